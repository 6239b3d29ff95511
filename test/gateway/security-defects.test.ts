/**
 * Regression tests for the defects found by probing the local mesh as an attacker (issue 12): each
 * `describe` is one item, and each failed before its fix.
 */
import { exports } from "cloudflare:workers";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { admin, applyYaml, version } from "../helpers/admin.js";
import { gatewayYaml, loopbackOriginYaml } from "../helpers/fixtures.js";

const { echo } = inject("origins");
const ISSUER = "https://issuer.defects.example";
let privateKey: CryptoKey;
let jwks: string;

const token = (claims: Record<string, unknown>) =>
  new SignJWT({ aud: "shop", ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "d1" })
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
    .sign(privateKey);

const config = () => `
${gatewayYaml("defects", ["echo.local"])}---
${loopbackOriginYaml("echo-defects", "echo-defects.internal", echo)}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo-local, namespace: default}
spec:
  hosts: [echo.local]
  gateways: [defects]
  http:
  - name: exact-item
    match: [{uri: {exact: /public/item}}]
    directResponse: {status: 200, body: {string: "exact route"}}
  - name: all
    route: [{destination: {host: echo-defects.internal}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-admin, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  action: DENY
  rules:
  - to: [{operation: {hosts: [echo.local], paths: ["/admin*"]}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: private-needs-jwt, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  action: DENY
  rules:
  - from: [{source: {notRequestPrincipals: ["*"]}}]
    to: [{operation: {hosts: [echo.local], paths: ["/private*"]}}]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  jwtRules:
  - issuer: ${ISSUER}
    audiences: [shop]
    jwks: '${jwks}'
    outputClaimToHeaders: [{header: x-user, claim: sub}, {header: x-team, claim: org.team}]
`;

interface Seen { path: string; headers: Record<string, string> }

const call = (path: string, headers: Record<string, string> = {}, host = "echo.local") =>
  exports.default.fetch(`http://127.0.0.1:8787${path}`, { headers: { host, ...headers } });

/** The bytes of a header value as the loopback origin (Node) received them: one char per byte. */
const bytes = (latin1: string | undefined) => [...(latin1 ?? "")].map((c) => c.charCodeAt(0));

beforeAll(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  privateKey = pair.privateKey as CryptoKey;
  jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "d1", alg: "ES256", use: "sig" }] });
  const res = await applyYaml(config());
  expect(res.status, await res.clone().text()).toBe(200);
});

describe("1. percent-encoded unreserved characters cannot bypass authorization", () => {
  it.each([
    ["/admin", 403],
    ["/%61dmin", 403],
    ["/adm%69n", 403],
    ["/%61%64%6D%69%6E/x", 403],
    ["/%2561dmin", 200], // %25 is '%': the origin sees `/%2561dmin`, which decodes to `/%61dmin`, not `/admin`
    ["/Admin", 200],
  ])("GET %s → %i", async (path, status) => {
    expect((await call(path)).status).toBe(status);
  });

  it("forwards the normalized path (the origin receives /abc for /%61bc)", async () => {
    const res = await call("/%61b%63/%7Euser?q=%61");
    expect(res.status).toBe(200);
    expect(((await res.json()) as Seen).path).toBe("/abc/~user?q=%61");
  });

  it("routes on the normalized path", async () => {
    const res = await call("/public/%69tem");
    expect(await res.text()).toBe("exact route");
  });

  it.each(["/a%00b", "/admin%00", "/%00/x"])("answers 400 to a path holding an escaped NUL: %s", async (path) => {
    const res = await call(path);
    expect(res.status).toBe(400);
  });
});

describe("2. the local-dev loopback Host fallback: every stage sees the virtual host that was chosen", () => {
  it("a DENY on hosts [echo.local] stops Host 127.0.0.1 too", async () => {
    expect((await call("/admin", {}, "127.0.0.1:8787")).status).toBe(403);
    expect((await call("/admin", {}, "localhost")).status).toBe(403);
  });

  it("a JWT-required host is not reached without a token, and is with one", async () => {
    expect((await call("/private/x", {}, "127.0.0.1:8787")).status).toBe(403);
    const ok = await call("/private/x", { authorization: `Bearer ${await token({ sub: "alice" })}` }, "127.0.0.1:8787");
    expect(ok.status).toBe(200);
  });
});

describe("3. non-ASCII JWT claims reach the upstream as UTF-8, encoded once", () => {
  it.each([
    ["josé", [0x6a, 0x6f, 0x73, 0xc3, 0xa9]],
    ["李小龍", [0xe6, 0x9d, 0x8e, 0xe5, 0xb0, 0x8f, 0xe9, 0xbe, 0x8d]],
    ["plain", [0x70, 0x6c, 0x61, 0x69, 0x6e]],
  ])("sub %s", async (sub, expected) => {
    const res = await call("/who", { authorization: `Bearer ${await token({ sub, org: { team: sub } })}` });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as Seen;
    expect(bytes(seen.headers["x-user"])).toEqual(expected);
    expect(bytes(seen.headers["x-team"])).toEqual(expected);
  });
});

const ALIAS_BOMB = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bomb, namespace: default}
spec:
  a: &a [x, x, x, x, x, x, x, x, x, x]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: [${Array(120).fill("*c").join(", ")}]
`;

describe("4. a YAML alias bomb is a 422 ParseError with the document and line", () => {
  it.each(["/apply", "/analyze", "/delete"])("POST %s", async (path) => {
    const before = await version();
    const res = await admin(path, { method: "POST", body: `${gatewayYaml("fine", ["fine.local"])}---\n${ALIAS_BOMB}` });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errors: { code: string; message: string; line?: number }[] };
    expect(body.errors[0]).toMatchObject({ code: "ParseError", line: 8 });
    expect(body.errors[0]!.message).toMatch(/^document 2: YAML aliases expand too much/);
    expect(await version()).toBe(before);
  });
});

const deepJson = (levels: number) =>
  `{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"deep","namespace":"default"},"spec":${'{"a":'.repeat(levels)}1${"}".repeat(levels)}}`;

describe("5. deeply nested input is refused with the path where it stopped, never a 500", () => {
  const expectDeepRefusal = async (res: Response) => {
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errors: { path: string; message: string; kind: string; name: string }[] };
    expect(body.errors[0]).toMatchObject({ kind: "VirtualService", name: "deep" });
    expect(body.errors[0]!.path).toBe(`spec${".a".repeat(64)}`);
    expect(body.errors[0]!.message).toMatch(/nested more than 64 levels/);
  };

  it("apply, analyze and PUT of a 10,000-level spec", async () => {
    const before = await version();
    const json = deepJson(10_000);
    await expectDeepRefusal(await admin("/apply", { method: "POST", body: json }));
    await expectDeepRefusal(await admin("/apis/networking.istio.io/v1/namespaces/default/virtualservices/deep", { method: "PUT", body: json }));
    const analyzed = await admin("/analyze", { method: "POST", body: json });
    expect(analyzed.status).toBe(200);
    const messages = ((await analyzed.json()) as { messages: { code: string; message: string }[] }).messages;
    expect(messages.some((m) => m.code === "IST0106" && /nested more than 64 levels/.test(m.message))).toBe(true);
    expect(await version()).toBe(before);
  });

  it("a spec 64 levels deep is still judged by its schema, not by its depth", async () => {
    const res = await admin("/apply?dryRun=true", { method: "POST", body: deepJson(63) });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errors: { path: string; message: string }[] };
    expect(body.errors[0]!.path).toBe("spec.a");
    expect(body.errors[0]!.message).not.toMatch(/nested/);
  });

  it("deep YAML is a ParseError or a depth error, never a 500", async () => {
    const flow = `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: deep, namespace: default}\nspec: {a: ${"[".repeat(5000)}${"]".repeat(5000)}}\n`;
    const res = await admin("/apply", { method: "POST", body: flow });
    expect(res.status).toBe(422);
  });

  it("an inline JWKS nested 10,000 levels is shown redacted, not walked", async () => {
    const nested = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    const ra = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: deep-jwks, namespace: default}
spec:
  jwtRules: [{issuer: "https://deep.example", jwks: '{"keys": [], "x": ${nested}}'}]
`;
    const applied = await applyYaml(ra);
    expect(applied.status, await applied.clone().text()).toBe(200);
    {
      const got = await admin("/apis/security.istio.io/v1/namespaces/default/requestauthentications/deep-jwks");
      expect(got.status).toBe(200);
      expect(((await got.json()) as { spec: { jwtRules: { jwks: string }[] } }).spec.jwtRules[0]!.jwks).toBe("REDACTED");
      expect((await admin("/config_dump")).status).toBe(200);
      expect((await admin("/delete", { method: "POST", body: ra })).status).toBe(200);
    }
  });

  it("a JWT whose claims nest 700 levels (within the 8 KiB token limit) is served, not a 500", async () => {
    let claim: unknown = "x";
    for (let i = 0; i < 700; i++) claim = { a: claim };
    const res = await call("/private/deep", { authorization: `Bearer ${await token({ sub: "deep", nest: claim })}` });
    expect(res.status).toBe(200);
  });
});

describe("6. internal headers from the internet do not reach upstreams", () => {
  const internal = {
    "x-envoy-upstream-rq-timeout-ms": "1",
    "x-envoy-upstream-rq-per-try-timeout-ms": "1",
    "x-envoy-retry-on": "5xx",
    "x-envoy-max-retries": "10",
    "x-envoy-internal": "true",
    "x-envoy-external-address": "10.0.0.1",
    "x-envoy-force-trace": "true",
    "x-envoy-original-path": "/admin",
    "x-isthmus-debug": "1",
  };

  it("north-south: every x-envoy-* and x-isthmus-* header is removed, the rest kept", async () => {
    const res = await call("/h", { ...internal, "x-custom": "kept" });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as Seen;
    for (const name of Object.keys(internal)) expect(seen.headers[name], name).toBeUndefined();
    expect(seen.headers["x-custom"]).toBe("kept");
  });

  it("an authorization rule cannot be steered by a forged x-envoy-* header either", async () => {
    // `x-envoy-original-path` names /admin, but the request is for /ok: allowed; /admin stays denied.
    expect((await call("/ok", { "x-envoy-original-path": "/admin" })).status).toBe(200);
  });
});

describe("7. admin API error bodies: the body's status is the HTTP status", () => {
  const rows: [string, number, () => Promise<Response>][] = [
    ["no credentials", 401, () => exports.default.fetch("http://gateway.test/_mesh/version")],
    ["wrong token", 401, () => admin("/version", { headers: { authorization: "Bearer nope" } })],
    ["unknown admin call", 404, () => admin("/nope")],
    ["unknown resource type", 404, () => admin("/apis/networking.istio.io/v1/namespaces/default/widgets/x")],
    ["unknown resource type (list)", 404, () => admin("/apis/networking.istio.io/v1/widgets")],
    ["missing resource", 404, () => admin("/apis/networking.istio.io/v1/namespaces/default/virtualservices/none")],
    ["DELETE of a missing resource", 404, () => admin("/apis/networking.istio.io/v1/namespaces/default/virtualservices/none", { method: "DELETE" })],
    ["stale resourceVersion", 409, async () => {
      const vs = (await (await admin("/apis/networking.istio.io/v1/namespaces/default/virtualservices/echo-local")).json()) as { metadata: Record<string, unknown> };
      vs.metadata.resourceVersion = "1";
      return admin("/apis/networking.istio.io/v1/namespaces/default/virtualservices/echo-local?dryRun=true", { method: "PUT", body: JSON.stringify(vs) });
    }],
    ["body over 1 MiB", 413, () => admin("/apply", { method: "POST", body: "x".repeat(1024 * 1024 + 1) })],
    ["invalid resource", 422, () => applyYaml("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bad}\nspec: {hosts: 7}\n")],
    ["empty apply", 422, () => admin("/apply", { method: "POST", body: "" })],
    ["bad rollback", 422, () => admin("/rollback", { method: "POST", body: "{}" })],
    ["explain without a URL", 422, () => admin("/explain", { method: "POST", body: "{}" })],
    ["explain with a relative URL", 422, () => admin("/explain", { method: "POST", body: '{"url": "/x"}' })],
    ["PUT naming another resource", 422, () => admin("/apis/networking.istio.io/v1/namespaces/default/virtualservices/other", { method: "PUT", body: gatewayYaml("x", ["x.local"]) })],
  ];
  it.each(rows)("%s → %d", async (_name, status, send) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = (await res.json()) as { status: number; errors: { code: string; message: string }[] };
    expect(body.status).toBe(status);
    expect(body.errors.length).toBeGreaterThan(0);
    expect(typeof body.errors[0]!.message).toBe("string");
  });
});
