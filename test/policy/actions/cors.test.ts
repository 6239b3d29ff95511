/**
 * corsPolicy: Envoy's CORS filter as Istio configures it. Tables of (policy, request, expected
 * decision) for preflights and of (policy, request, response headers) for actual requests.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CorsPolicy } from "../../../src/config/schemas/virtual-service.js";
import { compileCors, isCorsPreflight, translateCors } from "../../../src/policy/cors.js";
import { compile, httpGateway, req, vs } from "../../config/compile/fixtures.js";
import { buildRouter } from "../../../src/router/index.js";

const FULL: CorsPolicy = {
  allowOrigins: [{ exact: "https://a.com" }, { prefix: "https://pre." }, { regex: "https://[a-z]+\\.rx\\.com" }],
  allowMethods: ["GET", "POST"],
  allowHeaders: ["x-a", "x-b"],
  exposeHeaders: ["x-e1", "x-e2"],
  maxAge: "24h",
  allowCredentials: true,
};
const FULL_REPLY = {
  "access-control-allow-credentials": "true",
  "access-control-allow-methods": "GET,POST",
  "access-control-allow-headers": "x-a,x-b",
  "access-control-max-age": "86400",
};

const preflight = (origin: string | undefined, extra: Record<string, string> = { "access-control-request-method": "PUT" }, method = "OPTIONS") => {
  const h = new Headers(extra);
  if (origin !== undefined) h.set("origin", origin);
  return { method, headers: h };
};

describe("cors preflight (OPTIONS + Origin + Access-Control-Request-Method)", () => {
  it.each([
    ["exact origin ⇒ answered locally with every header", FULL, preflight("https://a.com"), { "access-control-allow-origin": "https://a.com", ...FULL_REPLY }],
    ["prefix origin", FULL, preflight("https://pre.example.org"), { "access-control-allow-origin": "https://pre.example.org", ...FULL_REPLY }],
    ["regex origin (RE2 full match)", FULL, preflight("https://app.rx.com"), { "access-control-allow-origin": "https://app.rx.com", ...FULL_REPLY }],
    ["exact * allows any origin, which is echoed", { allowOrigins: [{ exact: "*" }] }, preflight("https://x.org"), { "access-control-allow-origin": "https://x.org" }],
    ["regex .* allows any origin", { allowOrigins: [{ regex: ".*" }] }, preflight("null"), { "access-control-allow-origin": "null" }],
    ["prefix * matches the literal * so allows any origin (Envoy)", { allowOrigins: [{ prefix: "*" }] }, preflight("https://x.org"), { "access-control-allow-origin": "https://x.org" }],
    ["allowMethods [*] echoes the requested method", { allowOrigins: [{ exact: "https://a.com" }], allowMethods: ["*"] }, preflight("https://a.com", { "access-control-request-method": "PATCH" }),
      { "access-control-allow-origin": "https://a.com", "access-control-allow-methods": "PATCH" }],
    ["allowHeaders [*] echoes the requested headers", { allowOrigins: [{ exact: "https://a.com" }], allowHeaders: ["*"] },
      preflight("https://a.com", { "access-control-request-method": "GET", "access-control-request-headers": "x-y, content-type" }),
      { "access-control-allow-origin": "https://a.com", "access-control-allow-headers": "x-y, content-type" }],
    ["allowHeaders [*] without requested headers gives an empty header", { allowOrigins: [{ exact: "https://a.com" }], allowHeaders: ["*"] }, preflight("https://a.com"),
      { "access-control-allow-origin": "https://a.com", "access-control-allow-headers": "" }],
    ["allowMethods [GET, *] is not the wildcard", { allowOrigins: [{ exact: "https://a.com" }], allowMethods: ["GET", "*"] }, preflight("https://a.com"),
      { "access-control-allow-origin": "https://a.com", "access-control-allow-methods": "GET,*" }],
    ["allowCredentials false ⇒ no credentials header", { allowOrigins: [{ exact: "https://a.com" }], allowCredentials: false }, preflight("https://a.com"), { "access-control-allow-origin": "https://a.com" }],
    ["maxAge in whole seconds", { allowOrigins: [{ exact: "https://a.com" }], maxAge: "90s" }, preflight("https://a.com"), { "access-control-allow-origin": "https://a.com", "access-control-max-age": "90" }],
    ["maxAge 1m30s", { allowOrigins: [{ exact: "https://a.com" }], maxAge: "1m30s" }, preflight("https://a.com"), { "access-control-allow-origin": "https://a.com", "access-control-max-age": "90" }],
    ["deprecated allowOrigin (exact strings) when allowOrigins is unset", { allowOrigin: ["https://old.com"] }, preflight("https://old.com"), { "access-control-allow-origin": "https://old.com" }],
    ["deprecated allowOrigin when allowOrigins is empty", { allowOrigins: [], allowOrigin: ["https://old.com"] }, preflight("https://old.com"), { "access-control-allow-origin": "https://old.com" }],
    ["IGNORE: unmatched origin answered locally without Allow-Origin (other headers kept, as Envoy)", { ...FULL, unmatchedPreflights: "IGNORE" }, preflight("https://evil.com"), FULL_REPLY],
    ["IGNORE: matched origin answered as usual", { ...FULL, unmatchedPreflights: "IGNORE" }, preflight("https://a.com"), { "access-control-allow-origin": "https://a.com", ...FULL_REPLY }],
    ["IGNORE with no other fields: bare 200", { allowOrigins: [{ exact: "https://a.com" }], unmatchedPreflights: "IGNORE" }, preflight("https://b.com"), {}],
  ] as const)("%s", (_n, policy, request, headers) => {
    const d = compileCors(policy as CorsPolicy).preflight(request);
    expect(d.action).toBe("reply");
    if (d.action !== "reply") return;
    expect(d.reply).toEqual({ status: 200, body: "", flag: "-", details: "cors_response", headers });
    expect(d.originAllowed).toBe("access-control-allow-origin" in headers);
  });

  it.each([
    ["unmatched origin, FORWARD default", FULL, preflight("https://evil.com"), "unmatched-origin-forwarded"],
    ["unmatched origin, explicit FORWARD", { ...FULL, unmatchedPreflights: "FORWARD" }, preflight("https://evil.com"), "unmatched-origin-forwarded"],
    ["unmatched origin, UNSPECIFIED forwards", { ...FULL, unmatchedPreflights: "UNSPECIFIED" }, preflight("https://evil.com"), "unmatched-origin-forwarded"],
    ["regex is a full match: suffix after the match does not match", FULL, preflight("https://app.rx.com.evil.org"), "unmatched-origin-forwarded"],
    ["origins are case sensitive", FULL, preflight("https://A.com"), "unmatched-origin-forwarded"],
    ["deprecated allowOrigin ignored when allowOrigins is set", { allowOrigins: [{ exact: "https://a.com" }], allowOrigin: ["https://old.com"] }, preflight("https://old.com"), "unmatched-origin-forwarded"],
    ["no allowed origins at all", { allowMethods: ["GET"] }, preflight("https://a.com"), "unmatched-origin-forwarded"],
    ["OPTIONS without Access-Control-Request-Method is not a preflight", FULL, preflight("https://a.com", {}), "not-preflight"],
    ["empty Access-Control-Request-Method is not a preflight", FULL, preflight("https://a.com", { "access-control-request-method": "" }), "not-preflight"],
    ["GET with the preflight headers is not a preflight", FULL, preflight("https://a.com", undefined, "GET"), "not-preflight"],
    ["lower-case options is not OPTIONS", FULL, preflight("https://a.com", undefined, "options"), "not-preflight"],
    ["no Origin", FULL, preflight(undefined), "no-origin"],
    ["empty Origin", FULL, preflight(""), "no-origin"],
    ["IGNORE never applies without an Origin", { ...FULL, unmatchedPreflights: "IGNORE" }, preflight(undefined), "no-origin"],
    ["IGNORE never applies to a non-preflight", { ...FULL, unmatchedPreflights: "IGNORE" }, preflight("https://evil.com", {}), "not-preflight"],
  ] as const)("continues: %s", (_n, policy, request, reason) => {
    expect(compileCors(policy as CorsPolicy).preflight(request)).toEqual({ action: "continue", reason });
  });
});

describe("cors on actual responses (decorate)", () => {
  const run = (policy: CorsPolicy, reqHeaders: Record<string, string>, upstream: Record<string, string> = {}) => {
    const res = new Headers(upstream);
    const changed = compileCors(policy).decorate(new Headers(reqHeaders), res);
    return { changed, headers: Object.fromEntries(res) };
  };
  it.each([
    ["allowed origin: origin echoed, credentials, expose headers", FULL, { origin: "https://a.com" }, {},
      { "access-control-allow-origin": "https://a.com", "access-control-allow-credentials": "true", "access-control-expose-headers": "x-e1,x-e2" }, true],
    ["allowed origin without credentials or expose", { allowOrigins: [{ prefix: "https://" }] }, { origin: "https://b.com" }, {}, { "access-control-allow-origin": "https://b.com" }, true],
    ["overrides an Allow-Origin set by the upstream", { allowOrigins: [{ exact: "https://a.com" }] }, { origin: "https://a.com" }, { "access-control-allow-origin": "*" },
      { "access-control-allow-origin": "https://a.com" }, true],
    ["unmatched origin: nothing added, upstream headers untouched", FULL, { origin: "https://evil.com" }, { "access-control-allow-origin": "*" }, { "access-control-allow-origin": "*" }, false],
    ["no origin: nothing added", FULL, {}, {}, {}, false],
    ["allowMethods/allowHeaders/maxAge are preflight-only", { allowOrigins: [{ exact: "https://a.com" }], allowMethods: ["GET"], allowHeaders: ["x"], maxAge: "10s" },
      { origin: "https://a.com" }, {}, { "access-control-allow-origin": "https://a.com" }, true],
  ] as const)("%s", (_n, policy, reqHeaders, upstream, expected, added) => {
    const { changed, headers } = run(policy as CorsPolicy, reqHeaders, upstream);
    expect(headers).toEqual(expected);
    expect(changed).toBe(added);
  });
});

describe("cors translation and caching", () => {
  it("translates as Istio does", () => {
    expect(translateCors(FULL)).toEqual({
      allowOrigins: FULL.allowOrigins,
      allowMethods: "GET,POST",
      allowHeaders: "x-a,x-b",
      exposeHeaders: "x-e1,x-e2",
      maxAge: "86400",
      allowCredentials: true,
      forwardNotMatchingPreflights: true,
    });
    expect(translateCors({ unmatchedPreflights: "IGNORE" }).forwardNotMatchingPreflights).toBe(false);
    expect(translateCors({ allowOrigin: ["x"] }).allowOrigins).toEqual([{ exact: "x" }]);
  });

  it("the compiler translates corsPolicy; the runtime half hydrates from it", () => {
    const snapshot = compile([
      httpGateway("g", ["*"]),
      vs("v", {
        hosts: ["x.com"],
        gateways: ["g"],
        http: [
          { match: [{ uri: { prefix: "/cors" } }], corsPolicy: { allowOrigins: [{ regex: "https://.*\\.x\\.com" }], allowMethods: ["GET"] }, route: [{ destination: { host: "r" } }] },
          { route: [{ destination: { host: "r" } }] },
        ],
      }),
    ]);
    const router = buildRouter(snapshot);
    const withCors = router.route(req({ authority: "x.com", path: "/cors" }));
    const without = router.route(req({ authority: "x.com", path: "/" }));
    if (withCors.outcome !== "matched" || without.outcome !== "matched") throw new Error("no match");
    expect(withCors.route.cors).toEqual(translateCors({ allowOrigins: [{ regex: "https://.*\\.x\\.com" }], allowMethods: ["GET"] }));
    expect(without.route.cors).toBeUndefined();
    const c = compileCors(withCors.route.cors!);
    const d = c.preflight(preflight("https://app.x.com", { "access-control-request-method": "GET" }));
    expect(d.action).toBe("reply");
  });

  it.each([
    ["OPTIONS", { origin: "https://a.com", "access-control-request-method": "GET" }, true],
    ["OPTIONS", { origin: "https://a.com" }, false],
    ["OPTIONS", { "access-control-request-method": "GET" }, false],
    ["OPTIONS", { origin: "", "access-control-request-method": "GET" }, false],
    ["GET", { origin: "https://a.com", "access-control-request-method": "GET" }, false],
  ] as const)("isCorsPreflight(%s, %j) = %s (the JWT stage lets preflights through)", (method, headers, expected) => {
    expect(isCorsPreflight(method, new Headers(headers))).toBe(expected);
  });

  it("property: preflight and decorate never throw and agree on the origin", () => {
    const c = compileCors(FULL);
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.constantFrom("OPTIONS", "GET", "POST"), fc.option(fc.constantFrom("GET", "PUT", "")), (origin, method, acrm) => {
        const clean = origin.replace(/[\u0000-\u001f\u007f]/g, "").trim();
        const h = new Headers({ origin: clean });
        if (acrm !== null) h.set("access-control-request-method", acrm);
        const d = c.preflight({ method, headers: h });
        const res = new Headers();
        const decorated = c.decorate(h, res);
        expect(decorated).toBe(clean !== "" && c.isOriginAllowed(clean));
        if (d.action === "reply") expect(d.reply.headers?.["access-control-allow-origin"]).toBe(clean);
      }),
    );
  });
});
