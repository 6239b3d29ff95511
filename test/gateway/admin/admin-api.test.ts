/**
 * The admin API contract of DESIGN §4, through the real gateway Worker and ConfigStore Durable Object.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, applyYaml, deleteYaml, version } from "../../helpers/admin.js";

const se = (name: string, extra = "") => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ${name}
  namespace: default${extra}
spec:
  hosts: [${name}.example.internal]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1}]
`;

type ApplyBody = { version: number; results: { kind: string; name: string; action: string }[]; warnings: unknown[] };
type ErrorBody = { errors: { kind: string; namespace: string; name: string; path: string; message: string; code: string; line?: number }[] };

describe("admin API authentication", () => {
  it.each([
    ["no credentials", {}],
    ["a wrong token", { authorization: "Bearer nope" }],
    ["a token with a different length", { authorization: "Bearer test-admin-token-longer" }],
    ["a non-bearer scheme", { authorization: "Basic dGVzdA==" }],
  ])("answers 401 to %s", async (_name, headers) => {
    const res = await exports.default.fetch("http://gw/_mesh/version", { headers });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { errors: { message: string }[] };
    expect(body.errors[0]!.message).toMatch(/credentials/);
  });

  it("serves healthz without credentials", async () => {
    const res = await exports.default.fetch("http://gw/_mesh/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("accepts the admin token", async () => {
    expect((await admin("/version")).status).toBe(200);
  });
});

describe("POST /_mesh/apply", () => {
  it("creates, then reports unchanged, then configured", async () => {
    const v0 = await version();
    const a = (await (await applyYaml(se("apply-a"))).json()) as ApplyBody;
    expect(a.results).toEqual([{ apiVersion: "networking.istio.io/v1", kind: "ServiceEntry", namespace: "default", name: "apply-a", action: "created" }]);
    expect(a.version).toBe(v0 + 1);
    const b = (await (await applyYaml(se("apply-a"))).json()) as ApplyBody;
    expect(b.results[0]!.action).toBe("unchanged");
    expect(b.version).toBe(a.version); // nothing changed, no new version
    const c = (await (await applyYaml(se("apply-a", "\n  labels: {team: x}"))).json()) as ApplyBody;
    expect(c.results[0]!.action).toBe("configured");
    expect(c.version).toBe(a.version + 1);
  });

  it.each([
    ["a JSON object", (y: object[]) => JSON.stringify(y[0])],
    ["a JSON array", (y: object[]) => JSON.stringify(y)],
    ["a kind: List", (y: object[]) => JSON.stringify({ apiVersion: "v1", kind: "List", items: y })],
  ])("accepts %s", async (_name, body) => {
    const docs = [
      { apiVersion: "networking.istio.io/v1", kind: "ServiceEntry", metadata: { name: "form-x", namespace: "default" },
        spec: { hosts: ["form-x.example.internal"], resolution: "STATIC", ports: [{ number: 80, name: "http", protocol: "HTTP" }], endpoints: [{ address: "127.0.0.2" }] } },
    ];
    const res = await admin("/apply", { method: "POST", body: body(docs), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(200);
    const out = (await res.json()) as ApplyBody;
    expect(out.results.map((r) => r.name)).toEqual(["form-x"]);
  });

  it("refuses invalid input with 422, names resource, field and line, and stores nothing", async () => {
    const v0 = await version();
    const res = await applyYaml(`${se("good-one")}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bad-weights, namespace: default}
spec:
  hosts: [a.example.com]
  http:
  - route:
    - destination: {host: a}
      weight: 0
    - destination: {host: b}
      weight: 0
`);
    expect(res.status).toBe(422);
    const body = (await res.json()) as ErrorBody;
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatchObject({ kind: "VirtualService", namespace: "default", name: "bad-weights" });
    expect(body.errors[0]!.path).toMatch(/^spec\.http\[0\]\.route/);
    expect(body.errors[0]!.line).toBeGreaterThan(10);
    expect(await version()).toBe(v0);
    expect((await admin("/apis/networking.istio.io/v1/namespaces/default/serviceentries/good-one")).status).toBe(404);
  });

  it.each([
    ["malformed YAML", "kind: [unclosed", "ParseError"],
    ["an unknown kind", "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s}\nspec: {}", "KindUnknown"],
    ["an unknown field", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: s}\nspec: {hosts: [a.b], bogus: 1}", "FieldUnknown"],
    ["a wrong type", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: s}\nspec: {hosts: a.b}", "FieldValueTypeInvalid"],
    ["a wrong apiVersion", "apiVersion: networking.istio.io/v9\nkind: ServiceEntry\nmetadata: {name: s}\nspec: {hosts: [a.b]}", "ApiVersionUnknown"],
    ["an empty body", "", "FieldValueRequired"],
  ])("answers 422 to %s", async (_name, body, code) => {
    const res = await applyYaml(body);
    expect(res.status).toBe(422);
    const out = (await res.json()) as ErrorBody;
    expect(out.errors.map((e) => e.code)).toContain(code);
  });

  it("answers 413 to a body over 1 MiB and stores nothing", async () => {
    const v0 = await version();
    const big = se("too-big") + "#" + "x".repeat(1024 * 1024) + "\n";
    const res = await applyYaml(big);
    expect(res.status).toBe(413);
    expect(await version()).toBe(v0);
  });

  it("dry-run validates and answers without storing", async () => {
    const v0 = await version();
    const res = await applyYaml(se("dry-one"), "?dryRun=true");
    expect(res.status).toBe(200);
    expect(((await res.json()) as ApplyBody).results[0]!.action).toBe("created");
    expect(await version()).toBe(v0);
    expect((await admin("/apis/networking.istio.io/v1/namespaces/default/serviceentries/dry-one")).status).toBe(404);
  });

  it("returns analyzer findings as warnings without blocking the apply", async () => {
    const res = await applyYaml(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: dangling, namespace: default}
spec:
  hosts: [dangling.example.com]
  http:
  - route:
    - destination: {host: nowhere.example.com}
`);
    expect(res.status).toBe(200);
    const out = (await res.json()) as ApplyBody & { warnings: { code: string; message: string }[] };
    expect(out.warnings).toContainEqual(expect.objectContaining({ code: "IST0101", message: 'Referenced host not found: "nowhere.example.com"' }));
  });
});

describe("Kubernetes-style resource paths", () => {
  const path = "/apis/networking.istio.io/v1/namespaces/default/serviceentries/rest-a";

  it("GET, PUT with resourceVersion (409 when stale), list and DELETE", async () => {
    expect((await applyYaml(se("rest-a"))).status).toBe(200);
    const got = (await (await admin(path)).json()) as { metadata: { resourceVersion: string; creationTimestamp: string }; spec: object };
    expect(got.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(got.metadata.creationTimestamp).toMatch(/^\d{4}-/);

    const updated = { ...got, metadata: { ...got.metadata, labels: { v: "2" } } };
    const put = await admin(path, { method: "PUT", body: JSON.stringify(updated), headers: { "content-type": "application/json" } });
    expect(put.status).toBe(200);
    expect(((await put.json()) as ApplyBody).results[0]!.action).toBe("configured");

    const stale = await admin(path, { method: "PUT", body: JSON.stringify({ ...updated, metadata: { ...updated.metadata, labels: { v: "3" } } }), headers: { "content-type": "application/json" } });
    expect(stale.status).toBe(409);
    const conflict = (await stale.json()) as ErrorBody;
    expect(conflict.errors[0]!.code).toBe("Conflict");
    expect(conflict.errors[0]!.message).toMatch(/has been modified/);

    const list = (await (await admin("/apis/networking.istio.io/v1/namespaces/default/serviceentries")).json()) as { kind: string; items: { metadata: { name: string } }[] };
    expect(list.kind).toBe("ServiceEntryList");
    expect(list.items.map((i) => i.metadata.name)).toContain("rest-a");
    const all = (await (await admin("/apis/networking.istio.io/v1/serviceentries")).json()) as { items: unknown[] };
    expect(all.items.length).toBeGreaterThanOrEqual(list.items.length);

    expect((await admin(path, { method: "DELETE" })).status).toBe(200);
    expect((await admin(path)).status).toBe(404);
    expect((await admin(path, { method: "DELETE" })).status).toBe(404);
  });

  it("refuses a PUT whose body names another resource", async () => {
    const res = await admin("/apis/networking.istio.io/v1/namespaces/default/serviceentries/other", { method: "PUT", body: se("rest-b") });
    expect(res.status).toBe(422);
  });

  it("answers 404 for an unknown resource type", async () => {
    expect((await admin("/apis/networking.istio.io/v1/namespaces/default/sidecars")).status).toBe(404);
  });
});

describe("delete, history, rollback", () => {
  it("POST /_mesh/delete removes what the body names and reports missing ones", async () => {
    expect((await applyYaml(se("del-a"))).status).toBe(200);
    const res = await deleteYaml(`${se("del-a")}---${se("del-never")}`);
    expect(res.status).toBe(200);
    const out = (await res.json()) as ApplyBody;
    expect(out.results.map((r) => [r.name, r.action])).toEqual([["del-a", "deleted"], ["del-never", "notfound"]]);
  });

  it("keeps history and rolls back to an earlier version as a new version", async () => {
    const a = (await (await applyYaml(se("hist-a"))).json()) as ApplyBody;
    const b = (await (await applyYaml(se("hist-b"))).json()) as ApplyBody;
    const history = (await (await admin("/history")).json()) as { items: { version: number; cause: string }[] };
    expect(history.items[0]!.version).toBe(b.version);
    expect(history.items.map((h) => h.version)).toContain(a.version);

    const rb = await admin("/rollback", { method: "POST", body: JSON.stringify({ version: a.version }) });
    expect(rb.status).toBe(200);
    const out = (await rb.json()) as ApplyBody;
    expect(out.version).toBe(b.version + 1);
    expect(out.results).toContainEqual(expect.objectContaining({ name: "hist-b", action: "deleted" }));
    expect((await admin("/apis/networking.istio.io/v1/namespaces/default/serviceentries/hist-b")).status).toBe(404);
    expect((await admin("/apis/networking.istio.io/v1/namespaces/default/serviceentries/hist-a")).status).toBe(200);
    const after = (await (await admin("/history")).json()) as { items: { version: number; cause: string }[] };
    expect(after.items[0]!.cause).toBe(`rollback to ${a.version}`);
  });

  it("answers 404 to a rollback outside the history and 422 to a bad body", async () => {
    expect((await admin("/rollback", { method: "POST", body: JSON.stringify({ version: 999999 }) })).status).toBe(404);
    expect((await admin("/rollback", { method: "POST", body: "{}" })).status).toBe(422);
  });
});

describe("other calls", () => {
  it("serves the OpenAPI document, config_dump, metrics, analyze and explain", async () => {
    const openapi = (await (await admin("/openapi.json")).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(openapi.openapi).toBe("3.1.0");
    expect(Object.keys(openapi.paths)).toContain("/_mesh/apply");

    const dump = (await (await admin("/config_dump")).json()) as { version: number; clusters: object };
    expect(dump.version).toBe(await version());
    expect(dump.clusters).toBeTypeOf("object");

    const metrics = await admin("/metrics");
    expect(metrics.headers.get("content-type")).toMatch(/text\/plain/);
    expect(await metrics.text()).toContain("# TYPE istio_requests_total counter");

    const analyzed = (await (await admin("/analyze", { method: "POST", body: "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: lonely}\nspec: {host: lonely.example.com}\n" })).json()) as { messages: { code: string }[] };
    expect(analyzed.messages.map((m) => m.code)).toContain("IST0174");

    const explained = await admin("/explain", { method: "POST", body: JSON.stringify({ method: "GET", url: "http://x.example.com/a", headers: {} }) });
    expect(explained.status).toBe(200);
    expect(await explained.json()).toMatchObject({ outcome: "reply", status: 404, flags: "NR", stage: "virtual_host" });
    expect((await admin("/explain", { method: "POST", body: "{}" })).status).toBe(422);
  });
});

describe("secrets", () => {
  const jwks = JSON.stringify({ keys: [
    { kty: "oct", kid: "hs", alg: "HS256", k: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA" },
    { kty: "EC", kid: "ec", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" },
  ] });
  const ra = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: with-secret, namespace: istio-system}
spec:
  jwtRules:
  - issuer: https://issuer.example.com
    jwks: '${jwks}'
`;

  it("never prints symmetric or private key material in get, list or config_dump", async () => {
    expect((await applyYaml(ra)).status).toBe(200);
    const one = await (await admin("/apis/security.istio.io/v1/namespaces/istio-system/requestauthentications/with-secret")).text();
    const list = await (await admin("/apis/security.istio.io/v1/requestauthentications")).text();
    const dump = await (await admin("/config_dump")).text();
    for (const text of [one, list, dump]) {
      expect(text).not.toContain("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA");
      expect(text).toContain("REDACTED");
    }
    expect(one).toContain("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"); // public keys stay visible
  });

  it("refuses to store the REDACTED placeholder when a read-back resource is applied again", async () => {
    const got = await (await admin("/apis/security.istio.io/v1/namespaces/istio-system/requestauthentications/with-secret")).json();
    const res = await admin("/apply", { method: "POST", body: JSON.stringify(got) });
    expect(res.status).toBe(422);
    expect(((await res.json()) as ErrorBody).errors[0]!.path).toBe("spec.jwtRules[0].jwks");
  });
});

describe("metrics", () => {
  it("counts requests with Istio's labels and response flags", async () => {
    await exports.default.fetch("http://gw/nothing-here", { headers: { host: "no-such-host.example" } });
    const text = await (await admin("/metrics")).text();
    expect(text).toMatch(/istio_requests_total\{reporter="source",source_workload="istio-ingressgateway",[^}]*destination_service="unknown",[^}]*response_code="404",grpc_response_status="",response_flags="NR",connection_security_policy="unknown"\} \d+/);
    expect(text).toContain("# TYPE istio_request_duration_milliseconds histogram");
  });
});
