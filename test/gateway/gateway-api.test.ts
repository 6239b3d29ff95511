/**
 * Gateway API through the gateway in workerd: GatewayClass, Gateway and HTTPRoutes applied through the
 * admin API, requests sent to real loopback origins. Each case restates a Gateway API conformance test
 * (named after it) on its own hostname; the status the admin API reports is checked at the end.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { admin, applyYaml } from "../helpers/admin.js";
import { loopbackOriginYaml } from "../helpers/fixtures.js";

const { echo, scripted, scriptedB } = inject("origins");

const route = (name: string, body: string, ns = "default") => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: ${ns}}
spec:
  parentRefs: [{name: gw, namespace: default, sectionName: http}]
  hostnames: [${name}.gwapi.example]
${body.replace(/^/gm, "  ")}
`;

const config = [
  `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: isthmus}
spec: {controllerName: isthmus.dev/gateway-controller}`,
  `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: other}
spec: {controllerName: example.com/other-controller}`,
  `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: isthmus
  listeners:
  - {name: http, port: 80, protocol: HTTP, hostname: "*.gwapi.example", allowedRoutes: {namespaces: {from: Same}}}
  - {name: https, port: 443, protocol: HTTPS, hostname: "secure.gwapi.example", tls: {certificateRefs: [{name: secure-cert}]}, allowedRoutes: {namespaces: {from: All}}}`,
  `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: foreign, namespace: default}
spec:
  gatewayClassName: other
  listeners: [{name: http, port: 80, protocol: HTTP, hostname: "foreign.example"}]`,
  loopbackOriginYaml("echo", "echo", echo),
  loopbackOriginYaml("scripted", "scripted", scripted),
  loopbackOriginYaml("scripted-b", "scripted-b", scriptedB),
  route("exact", `rules:
- matches: [{path: {type: Exact, value: /one}}]
  backendRefs: [{name: scripted, port: 80}]`),
  route("prefix", `rules:
- matches: [{path: {type: PathPrefix, value: /prefix/}}]
  backendRefs: [{name: scripted, port: 80}]`),
  route("regex", `rules:
- matches: [{path: {type: RegularExpression, value: "/v[0-9]+/items"}}]
  backendRefs: [{name: scripted, port: 80}]`),
  route("headers", `rules:
- matches: [{headers: [{name: version, value: one}]}]
  backendRefs: [{name: scripted, port: 80}]
- matches: [{headers: [{name: version, value: two}, {name: color, type: RegularExpression, value: "bl.*"}]}]
  backendRefs: [{name: scripted-b, port: 80}]`),
  route("query", `rules:
- matches: [{queryParams: [{name: animal, value: whale}]}]
  backendRefs: [{name: scripted, port: 80}]`),
  route("method", `rules:
- matches: [{method: POST}]
  backendRefs: [{name: scripted, port: 80}]
- matches: [{method: GET}]
  backendRefs: [{name: scripted-b, port: 80}]`),
  // Two routes on one hostname: the newer, more specific one still wins (precedence, not creation order).
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: across-a, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [across.gwapi.example]
  rules: [{backendRefs: [{name: scripted, port: 80}]}]`,
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: across-b, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [across.gwapi.example]
  rules: [{matches: [{path: {value: /api}}], backendRefs: [{name: scripted-b, port: 80}]}]`,
  route("reqheaders", `rules:
- filters:
  - type: RequestHeaderModifier
    requestHeaderModifier: {set: [{name: X-Set, value: set}], add: [{name: X-Add, value: added}], remove: [x-remove]}
  backendRefs: [{name: echo, port: 80}]`),
  route("respheaders", `rules:
- filters:
  - type: ResponseHeaderModifier
    responseHeaderModifier: {set: [{name: X-Resp, value: yes}], remove: [x-origin]}
  backendRefs: [{name: echo, port: 80}]`),
  route("redirect", `rules:
- matches: [{path: {value: /scheme}}]
  filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
- matches: [{path: {value: /port}}]
  filters: [{type: RequestRedirect, requestRedirect: {port: 8443}}]
- matches: [{path: {value: /scheme-port}}]
  filters: [{type: RequestRedirect, requestRedirect: {scheme: https, port: 8443, statusCode: 301}}]
- matches: [{path: {value: /host}}]
  filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org, statusCode: 308}}]
- matches: [{path: {value: /original-prefix}}]
  filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}}}]
- matches: [{path: {value: /full}}]
  filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /full-path-replacement}}}]`),
  route("rewrite", `rules:
- matches: [{path: {value: /prefix/one}}]
  filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}}]
  backendRefs: [{name: echo, port: 80}]
- matches: [{path: {value: /strip}}]
  filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
  backendRefs: [{name: echo, port: 80}]
- matches: [{path: {value: /full/one}}]
  filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /one}}}]
  backendRefs: [{name: echo, port: 80}]`),
  `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: member, namespace: default}
spec:
  hosts: [member.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: "binding:TEST_ECHO"}]`,
  route("hostrewrite", `rules:
- filters: [{type: URLRewrite, urlRewrite: {hostname: rewritten.example.org}}]
  backendRefs: [{name: member, port: 8080}]`),
  route("weight", `rules:
- backendRefs: [{name: scripted, port: 80, weight: 70}, {name: scripted-b, port: 80, weight: 30}, {name: echo, port: 80, weight: 0}]`),
  route("invalid", `rules:
- matches: [{path: {value: /missing}}]
  backendRefs: [{name: no-such-service, port: 80}]
- matches: [{path: {value: /no-backends}}]
  filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: a, value: b}]}}]
- matches: [{path: {value: /kind}}]
  backendRefs: [{group: example.com, kind: Bucket, name: b}]`),
  route("mirror", `rules:
- filters: [{type: RequestMirror, requestMirror: {backendRef: {name: scripted, port: 80}}}]
  backendRefs: [{name: echo, port: 80}]`),
  route("timeout", `rules:
- timeouts: {request: 1s}
  backendRefs: [{name: scripted, port: 80}]`),
  route("retry", `rules:
- retry: {attempts: 2, codes: [503]}
  backendRefs: [{name: scripted, port: 80}]`),
  route("cors", `rules:
- filters: [{type: CORS, cors: {allowOrigins: ["https://*.trusted.dev"], allowMethods: [GET, POST], allowHeaders: [x-token], maxAge: 60}}]
  backendRefs: [{name: echo, port: 80}]`),
  // Hostname outside the listener's: not attached.
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: elsewhere, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  hostnames: [elsewhere.example.com]
  rules: [{backendRefs: [{name: echo, port: 80}]}]`,
  // Another namespace on a listener that allows only its own.
  route("stranger", "rules: [{backendRefs: [{name: echo, namespace: default, port: 80}]}]", "other"),
  // Another namespace on the HTTPS listener (from: All), backend across namespaces without a grant.
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: secure, namespace: other}
spec:
  parentRefs: [{name: gw, namespace: default, sectionName: https}]
  rules:
  - matches: [{path: {value: /granted}}]
    backendRefs: [{name: echo, namespace: default, port: 80}]`,
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: on-foreign, namespace: default}
spec:
  parentRefs: [{name: foreign}]
  rules: [{backendRefs: [{name: echo, port: 80}]}]`,
].join("\n---\n");

const call = (host: string, path: string, init: RequestInit = {}, scheme = "http") =>
  exports.default.fetch(`${scheme}://${host}${path}`, { redirect: "manual", ...init });
const origin = async (res: Response) => {
  await res.text();
  return res.headers.get("x-origin");
};
const echoed = async (res: Response) => (await res.json()) as { path: string; headers: Record<string, string> };

describe("Gateway API through the gateway (conformance cases)", () => {
  beforeAll(async () => {
    const res = await applyYaml(config);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("HTTPRouteTimeoutRequest: 504 after timeouts.request", async () => {
    const res = await call("timeout.gwapi.example", "/slow/2500");
    expect(res.status).toBe(504);
    expect((await call("timeout.gwapi.example", "/slow/10")).status).toBe(200);
  });

  it("HTTPRouteExactPathMatching", async () => {
    expect(await origin(await call("exact.gwapi.example", "/one"))).toBe("scripted");
    expect((await call("exact.gwapi.example", "/one/two")).status).toBe(404);
    expect((await call("exact.gwapi.example", "/")).status).toBe(404);
  });

  it("HTTPRouteMatching: PathPrefix matches whole segments, a trailing slash does not count", async () => {
    expect(await origin(await call("prefix.gwapi.example", "/prefix"))).toBe("scripted");
    expect(await origin(await call("prefix.gwapi.example", "/prefix/x"))).toBe("scripted");
    expect((await call("prefix.gwapi.example", "/prefixx")).status).toBe(404);
  });

  it("HTTPRoutePathMatchRegularExpression (RE2, whole path)", async () => {
    expect(await origin(await call("regex.gwapi.example", "/v12/items"))).toBe("scripted");
    expect((await call("regex.gwapi.example", "/vx/items")).status).toBe(404);
    expect((await call("regex.gwapi.example", "/v1/items/more")).status).toBe(404);
  });

  it("HTTPRouteHeaderMatching (Exact and RegularExpression, all must match)", async () => {
    expect(await origin(await call("headers.gwapi.example", "/", { headers: { version: "one" } }))).toBe("scripted");
    expect(await origin(await call("headers.gwapi.example", "/", { headers: { version: "two", color: "blue" } }))).toBe("scripted-b");
    expect((await call("headers.gwapi.example", "/", { headers: { version: "two", color: "red" } })).status).toBe(404);
    expect((await call("headers.gwapi.example", "/")).status).toBe(404);
  });

  it("HTTPRouteQueryParamMatching", async () => {
    expect(await origin(await call("query.gwapi.example", "/?animal=whale"))).toBe("scripted");
    expect((await call("query.gwapi.example", "/?animal=dolphin")).status).toBe(404);
  });

  it("HTTPRouteMethodMatching", async () => {
    expect(await origin(await call("method.gwapi.example", "/", { method: "POST", body: "x" }))).toBe("scripted");
    expect(await origin(await call("method.gwapi.example", "/"))).toBe("scripted-b");
    expect((await call("method.gwapi.example", "/", { method: "DELETE" })).status).toBe(404);
  });

  it("HTTPRouteMatchingAcrossRoutes: the longer prefix of the newer route wins over the older catch-all", async () => {
    expect(await origin(await call("across.gwapi.example", "/api/v1"))).toBe("scripted-b");
    expect(await origin(await call("across.gwapi.example", "/other"))).toBe("scripted");
  });

  it("HTTPRouteRequestHeaderModifier", async () => {
    const seen = await echoed(await call("reqheaders.gwapi.example", "/", { headers: { "x-set": "old", "x-add": "first", "x-remove": "gone" } }));
    expect(seen.headers["x-set"]).toBe("set");
    expect(seen.headers["x-add"]).toBe("first, added");
    expect(seen.headers["x-remove"]).toBeUndefined();
  });

  it("HTTPRouteResponseHeaderModifier", async () => {
    const res = await call("respheaders.gwapi.example", "/");
    await res.text();
    expect(res.headers.get("x-resp")).toBe("yes");
    expect(res.headers.get("x-origin")).toBeNull();
  });

  it.each([
    ["HTTPRouteRedirectScheme", "/scheme/a?q=1", 302, "https://redirect.gwapi.example/scheme/a?q=1"],
    ["HTTPRouteRedirectPort", "/port", 302, "http://redirect.gwapi.example:8443/port"],
    ["HTTPRouteRedirectPortAndScheme", "/scheme-port", 301, "https://redirect.gwapi.example:8443/scheme-port"],
    ["HTTPRouteRedirectHostAndStatus", "/host", 308, "http://example.org/host"],
    ["HTTPRouteRedirectPath (ReplacePrefixMatch)", "/original-prefix/lemon", 302, "http://redirect.gwapi.example/replacement-prefix/lemon"],
    ["HTTPRouteRedirectPath (ReplaceFullPath)", "/full/x", 302, "http://redirect.gwapi.example/full-path-replacement"],
  ])("%s", async (_name, path, status, location) => {
    const res = await call("redirect.gwapi.example", path);
    expect(res.status).toBe(status);
    expect(res.headers.get("location")).toBe(location);
  });

  it.each([
    ["/prefix/one/two", "/one/two"],
    ["/prefix/one", "/one"],
    ["/strip/three?x=1", "/three?x=1"],
    ["/strip", "/"],
    ["/full/one/any", "/one"],
  ])("HTTPRouteRewritePath %s → %s", async (path, upstream) => {
    expect((await echoed(await call("rewrite.gwapi.example", path))).path).toBe(upstream);
  });

  it("HTTPRouteRewriteHost: a member sees the rewritten Host", async () => {
    const seen = (await (await call("hostrewrite.gwapi.example", "/x")).json()) as { headers: Record<string, string>; url: string };
    expect(seen.headers.host ?? new URL(seen.url).host).toBe("rewritten.example.org");
  });

  it("explain names the HTTPRoute rule that decided", async () => {
    const res = await admin("/explain", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ method: "GET", url: "http://exact.gwapi.example/one" }) });
    const body = (await res.json()) as { outcome: string; stages: { route: { source: unknown; name: string } } };
    expect(body.outcome).toBe("forward");
    expect(body.stages.route.source).toEqual({ kind: "HTTPRoute", namespace: "default", name: "exact", http: 0 });
    expect(body.stages.route.name).toBe("default.exact.0.0");
  });

  it("HTTPRouteWeight: 70/30 split, weight 0 gets nothing", async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const o = (await origin(await call("weight.gwapi.example", "/"))) ?? "none";
      counts[o] = (counts[o] ?? 0) + 1;
    }
    expect(counts.echo).toBeUndefined();
    expect(counts.scripted).toBeGreaterThan(50);
    expect(counts["scripted-b"]).toBeGreaterThan(10);
  });

  it("HTTPRouteInvalidBackendRefNotFound, no backendRefs, InvalidKind: 500", async () => {
    expect((await call("invalid.gwapi.example", "/missing")).status).toBe(500);
    expect((await call("invalid.gwapi.example", "/no-backends")).status).toBe(500);
    expect((await call("invalid.gwapi.example", "/kind")).status).toBe(500);
  });

  it("HTTPRouteRequestMirror", async () => {
    const key = `gwapi-mirror-${Date.now()}`;
    const res = await call("mirror.gwapi.example", "/mirrored", { headers: { "x-test-key": key } });
    expect(res.status).toBe(200);
    expect(await origin(res)).toBe("echo");
    let seen = { count: 0, requests: [] as { path: string }[] };
    for (let i = 0; i < 20 && seen.count === 0; i++) {
      await new Promise((ok) => setTimeout(ok, 25));
      seen = (await (await fetch(`http://127.0.0.1:${scripted}/__seen/${key}`)).json()) as typeof seen;
    }
    expect(seen.count).toBe(1);
    expect(seen.requests[0]!.path).toBe("/mirrored");
  });

  it("HTTPRouteRetry: a 503 listed in codes is retried", async () => {
    const res = await call("retry.gwapi.example", `/flaky/gwapi-${Date.now()}/1`);
    expect(res.status).toBe(200);
  });

  it("HTTPRouteCORS: wildcard origin, preflight answered", async () => {
    const pre = await call("cors.gwapi.example", "/x", { method: "OPTIONS", headers: { origin: "https://app.trusted.dev", "access-control-request-method": "POST" } });
    expect(pre.status).toBe(200);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.trusted.dev");
    expect(pre.headers.get("access-control-max-age")).toBe("60");
    const stranger = await call("cors.gwapi.example", "/x", { headers: { origin: "https://evil.example" } });
    await stranger.text();
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("HTTPRouteHostnameIntersection, allowedRoutes Same, other GatewayClasses: not served", async () => {
    expect((await call("elsewhere.example.com", "/")).status).toBe(404);
    expect((await call("stranger.gwapi.example", "/")).status).toBe(404);
    expect((await call("foreign.example", "/")).status).toBe(404);
  });

  it("HTTPRouteReferenceGrant: a cross-namespace backend answers 500 until granted", async () => {
    expect((await call("secure.gwapi.example", "/granted", {}, "https")).status).toBe(500);
    const grant = `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: allow-other, namespace: default}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: other}]
  to: [{group: "", kind: Service}]`;
    expect((await applyYaml(grant)).status).toBe(200);
    expect(await origin(await call("secure.gwapi.example", "/granted", {}, "https"))).toBe("echo");
  });

  it("RateLimitPolicy targetRefs an HTTPRoute, or a Gateway API Gateway's listener", async () => {
    const policies = ["limit-route", "limit-listener"].map((name, i) => `apiVersion: policy.isthmus.dev/v1alpha1
kind: RateLimitPolicy
metadata: {name: ${name}, namespace: default}
spec:
  targetRefs: [${i === 0 ? "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: query}" : "{group: gateway.networking.k8s.io, kind: Gateway, name: gw, sectionName: https}"}]
  rules: [{name: two, key: [{remoteAddress: {}}], tokenBucket: {maxTokens: 2, tokensPerFill: 2, fillInterval: 1h}}]`).join("\n---\n");
    const res = await applyYaml(policies);
    expect(res.status, await res.clone().text()).toBe(200);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call("query.gwapi.example", "/?animal=whale")).status);
    expect(statuses).toEqual([200, 200, 429]);
    // Another route on the same listener is not limited by the HTTPRoute's policy.
    for (let i = 0; i < 3; i++) expect((await call("exact.gwapi.example", "/one")).status).toBe(200);
    const secure = [];
    for (let i = 0; i < 3; i++) secure.push((await call("secure.gwapi.example", "/granted", {}, "https")).status);
    expect(secure).toEqual([200, 200, 429]);
  });

  it("status: route parents with Accepted / ResolvedRefs reasons, Gateway listeners with attachedRoutes", async () => {
    const get = async (plural: string, ns: string, name: string) =>
      (await (await admin(`/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/${plural}/${name}`)).json()) as {
        kind: string; status: { conditions?: { type: string; status: string; reason: string }[]; parents?: { conditions: { type: string; status: string; reason: string }[] }[]; listeners?: { name: string; attachedRoutes: number }[] };
      };
    const cond = (conds: { type: string; status: string; reason: string }[] | undefined, type: string) => conds?.find((c) => c.type === type);
    const exact = await get("httproutes", "default", "exact");
    expect(cond(exact.status.parents![0]!.conditions, "Accepted")).toMatchObject({ status: "True", reason: "Accepted" });
    expect(cond(exact.status.parents![0]!.conditions, "ResolvedRefs")).toMatchObject({ status: "True" });
    expect(cond(exact.status.parents![0]!.conditions, "Accepted")).toHaveProperty("observedGeneration", 1);
    const invalid = await get("httproutes", "default", "invalid");
    expect(cond(invalid.status.parents![0]!.conditions, "ResolvedRefs")).toMatchObject({ status: "False", reason: "BackendNotFound" });
    expect(cond((await get("httproutes", "default", "elsewhere")).status.parents![0]!.conditions, "Accepted")).toMatchObject({ status: "False", reason: "NoMatchingListenerHostname" });
    expect(cond((await get("httproutes", "other", "stranger")).status.parents![0]!.conditions, "Accepted")).toMatchObject({ status: "False", reason: "NotAllowedByListeners" });
    const gw = await get("gateways", "default", "gw");
    expect(gw.kind).toBe("Gateway");
    expect(cond(gw.status.conditions, "Accepted")).toMatchObject({ status: "True" });
    expect(cond(gw.status.conditions, "Programmed")).toMatchObject({ status: "True" });
    expect(gw.status.listeners!.find((l) => l.name === "https")!.attachedRoutes).toBe(1);
    expect(gw.status.listeners!.find((l) => l.name === "http")!.attachedRoutes).toBeGreaterThan(15);
    const foreign = await get("httproutes", "default", "on-foreign");
    expect(foreign.status.parents ?? []).toEqual([]);
  });
});
