/**
 * Pure action helpers: weighted destination pick, redirect Location, path/authority rewrite, direct
 * response. Tables of (rule, request, expected).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ForwardAction, RedirectAction, Route, RouteMatch, WeightedDestination } from "../../src/config/snapshot.js";
import { directResponseBody } from "../../src/policy/direct-response.js";
import { httpsRedirect, redirect, type RedirectRequest } from "../../src/policy/redirect.js";
import { prefixRewrite, regexRewrite, rewriteAuthority, rewritePath, rewriteRequest } from "../../src/policy/rewrite.js";
import { pickDestination } from "../../src/policy/weighted-destination.js";
import { buildRouter } from "../../src/router/index.js";
import { compile, httpGateway, req, vs } from "../config/compile/fixtures.js";

/** Deterministic uniform [0,1) source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dest = (subset: string, weight: number): WeightedDestination => ({ host: "r", subset, port: 80, cluster: `outbound|80|${subset}|r`, weight });
const forward = (ds: WeightedDestination[]): ForwardAction => ({
  kind: "forward",
  destinations: ds,
  totalWeight: ds.length > 1 ? ds.reduce((s, d) => s + d.weight, 0) : 0,
});

describe("pickDestination", () => {
  it.each([
    ["25/75", [25, 75]],
    ["1/1/2", [1, 1, 2]],
    ["10/90", [10, 90]],
    ["33/33/34", [33, 33, 34]],
  ])("distribution %s over 2000 draws stays within tolerance", (_n, weights) => {
    const a = forward(weights.map((w, i) => dest(`s${i}`, w)));
    const counts = new Map<string, number>();
    const rnd = seeded(42);
    const N = 2000;
    for (let i = 0; i < N; i++) {
      const d = pickDestination(a, rnd)!;
      counts.set(d.subset!, (counts.get(d.subset!) ?? 0) + 1);
    }
    const total = weights.reduce((s, w) => s + w, 0);
    weights.forEach((w, i) => {
      const share = (counts.get(`s${i}`) ?? 0) / N;
      expect(Math.abs(share - w / total)).toBeLessThan(0.04);
    });
  });

  it("through the compiler: weight 0 never chosen, single destination always chosen (500 draws)", () => {
    const router = buildRouter(
      compile([
        httpGateway("g", ["*"]),
        vs("v", {
          hosts: ["x.com"],
          gateways: ["g"],
          http: [
            { match: [{ uri: { prefix: "/split" } }], route: [{ destination: { host: "r", subset: "zero" }, weight: 0 }, { destination: { host: "r", subset: "a" }, weight: 30 }, { destination: { host: "r", subset: "b" }, weight: 70 }] },
            { route: [{ destination: { host: "r", subset: "only" }, weight: 5 }] },
          ],
        }),
      ]),
    );
    const split = router.route(req({ authority: "x.com", path: "/split" }));
    const one = router.route(req({ authority: "x.com", path: "/other" }));
    if (split.outcome !== "matched" || one.outcome !== "matched") throw new Error("no match");
    const rnd = seeded(7);
    const seen = { a: 0, b: 0, zero: 0 } as Record<string, number>;
    for (let i = 0; i < 500; i++) {
      seen[pickDestination(split.route, rnd)!.subset!]!++;
      expect(pickDestination(one.route, rnd)!.subset).toBe("only");
    }
    expect(seen.zero).toBe(0);
    expect(Math.abs(seen.a! / 500 - 0.3)).toBeLessThan(0.07);
  });

  it("boundaries: random 0 picks the first, random just below 1 the last; non-forward routes give undefined", () => {
    const a = forward([dest("x", 1), dest("y", 1)]);
    expect(pickDestination(a, () => 0)!.subset).toBe("x");
    expect(pickDestination(a, () => 0.999999)!.subset).toBe("y");
    const r: Route = { name: "", source: { kind: "default" }, match: {}, action: { kind: "directResponse", status: 200 } };
    expect(pickDestination(r, Math.random)).toBeUndefined();
  });

  it("property: always returns a destination with weight > 0 when several", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 6 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (ws, r) => {
        const a = forward(ws.map((w, i) => dest(`s${i}`, w)));
        const d = pickDestination(a, () => r);
        expect(d).toBeDefined();
        expect(d!.weight).toBeGreaterThan(0);
      }),
    );
  });
});

describe("redirect", () => {
  const base: RedirectRequest = { scheme: "http", authority: "a.com", path: "/old/path?q=1", port: 80 };
  const R = (x: Partial<RedirectAction>): RedirectAction => ({ kind: "redirect", redirectCode: 301, ...x });
  it.each([
    ["uri replaces the whole path, query kept", R({ uri: "/new" }), base, {}, 301, "http://a.com/new?q=1"],
    ["uri with its own query replaces the query", R({ uri: "/new?x=2" }), base, {}, 301, "http://a.com/new?x=2"],
    ["authority", R({ authority: "b.com" }), base, {}, 301, "http://b.com/old/path?q=1"],
    ["scheme https drops :80 from Host", R({ scheme: "https" }), { ...base, authority: "a.com:80" }, {}, 301, "https://a.com/old/path?q=1"],
    ["scheme https keeps a non-default Host port", R({ scheme: "https" }), { ...base, authority: "a.com:8080" }, {}, 301, "https://a.com:8080/old/path?q=1"],
    ["explicit port", R({ port: 8443, scheme: "https" }), { ...base, authority: "a.com:8080" }, {}, 301, "https://a.com:8443/old/path?q=1"],
    ["explicit default port is omitted", R({ port: 443, scheme: "https" }), base, {}, 301, "https://a.com/old/path?q=1"],
    ["port 80 on http is omitted", R({ port: 80 }), base, {}, 301, "http://a.com/old/path?q=1"],
    ["derivePort FROM_PROTOCOL_DEFAULT sets no port", R({ scheme: "https", derivePort: "FROM_PROTOCOL_DEFAULT" }), base, {}, 301, "https://a.com/old/path?q=1"],
    ["derivePort FROM_REQUEST_PORT", R({ derivePort: "FROM_REQUEST_PORT" }), { ...base, port: 8080 }, {}, 301, "http://a.com:8080/old/path?q=1"],
    ["FROM_REQUEST_PORT default for scheme omitted", R({ derivePort: "FROM_REQUEST_PORT" }), base, {}, 301, "http://a.com/old/path?q=1"],
    ["FROM_REQUEST_PORT with https scheme and port 80", R({ scheme: "https", derivePort: "FROM_REQUEST_PORT" }), base, {}, 301, "https://a.com:80/old/path?q=1"],
    ["authority with explicit port", R({ authority: "b.com", port: 9000 }), base, {}, 301, "http://b.com:9000/old/path?q=1"],
    ["302", R({ uri: "/x", redirectCode: 302 }), base, {}, 302, "http://a.com/x?q=1"],
    ["303", R({ uri: "/x", redirectCode: 303 }), base, {}, 303, "http://a.com/x?q=1"],
    ["307", R({ uri: "/x", redirectCode: 307 }), base, {}, 307, "http://a.com/x?q=1"],
    ["308", R({ uri: "/x", redirectCode: 308 }), base, {}, 308, "http://a.com/x?q=1"],
    ["prefixRewrite swaps the matched prefix", R({ prefixRewrite: "/new" }), base, { uri: { prefix: "/old" } }, 301, "http://a.com/new/path?q=1"],
    ["prefixRewrite / on prefix /old gives //path", R({ prefixRewrite: "/" }), base, { uri: { prefix: "/old" } }, 301, "http://a.com//path?q=1"],
    ["prefixRewrite on an exact match replaces the path", R({ prefixRewrite: "/n" }), base, { uri: { exact: "/old/path" } }, 301, "http://a.com/n?q=1"],
    ["path without leading slash gets one", R({ uri: "rel" }), { ...base, path: "/x" }, {}, 301, "http://a.com/rel"],
    ["IPv6 Host keeps brackets", R({ scheme: "https" }), { ...base, authority: "[::1]:80" }, {}, 301, "https://[::1]/old/path?q=1"],
  ] as const)("%s", (_n, action, request, match, status, location) => {
    expect(redirect(action, request, match as RouteMatch)).toEqual({ status, location });
  });

  it("httpsRedirect: 301 to the same URL over https", () => {
    expect(httpsRedirect({ scheme: "http", authority: "a.com", path: "/p?x", port: 80 })).toEqual({ status: 301, location: "https://a.com/p?x" });
    expect(httpsRedirect({ scheme: "http", authority: "a.com:80", path: "/", port: 80 })).toEqual({ status: 301, location: "https://a.com/" });
  });
});

describe("rewrite", () => {
  it.each([
    ["prefix match: prefix replaced", { uri: { prefix: "/foo" } }, "/v2", "/foo/bar?x=1", "/v2/bar?x=1"],
    ["no uri match: implicit prefix / (the gotcha)", {}, "/v2", "/foo", "/v2foo"],
    ["prefix /foo + rewrite / gives //bar", { uri: { prefix: "/foo" } }, "/", "/foo/bar", "//bar"],
    ["prefix /foo/ + rewrite / gives /bar", { uri: { prefix: "/foo/" } }, "/", "/foo/bar", "/bar"],
    ["exact match: whole path", { uri: { exact: "/old" } }, "/new", "/old?q", "/new?q"],
    ["regex match: whole path, query kept", { uri: { regex: "/a.*" } }, "/b", "/abc?z=1", "/b?z=1"],
    ["ignoreUriCase prefix: replaced by length", { uri: { prefix: "/api" }, ignoreUriCase: true }, "/v1", "/API/x", "/v1/x"],
  ] as const)("uri: %s", (_n, match, replacement, path, expected) => {
    expect(prefixRewrite(path, match as RouteMatch, replacement)).toBe(expected);
  });

  it.each([
    ["captures", "^/service/([^/]+)(/.*)$", "/customprefix\\2/\\1", "/service/foo/v1/api?x=1", "/customprefix/v1/api/foo?x=1"],
    ["all matches", "a", "b", "/aXa/a", "/bXb/b"],
    ["\\0 is the whole match", "[0-9]+", "<\\0>", "/v12/x3", "/v<12>/x<3>"],
    ["no match leaves the path", "zzz", "y", "/abc?q=zzz", "/abc?q=zzz"],
    ["query untouched", "q", "Q", "/q?q=q", "/Q?q=q"],
    ["RE2 skips an empty match right after a match", "a*", "-", "/baaac", "-/-b-c-"],
    ["escaped backslash", "x", "\\\\", "/x", "/\\"],
    ["missing group is empty", "(a)|(b)", "[\\2]", "/ab", "/[][b]"],
  ])("uriRegexRewrite: %s", (_n, match, rewrite, path, expected) => {
    expect(regexRewrite(path, { match, rewrite })).toBe(expected);
  });

  const route = (x: Partial<Route>): Route => ({
    name: "",
    source: { kind: "default" },
    match: { uri: { prefix: "/api" } },
    action: { kind: "forward", destinations: [], totalWeight: 0 },
    ...x,
  });

  it("rewritePath / rewriteAuthority / rewriteRequest", () => {
    expect(rewritePath(route({}), "/api/x")).toBe("/api/x");
    expect(rewritePath(route({ rewrite: { uri: "/v1" } }), "/api/x?y")).toBe("/v1/x?y");
    expect(rewritePath(route({ rewrite: { uriRegexRewrite: { match: "^/api", rewrite: "" } } }), "/api/x")).toBe("/x");
    const d: WeightedDestination = { host: "h", port: 80, cluster: "c", weight: 1, authority: "dest.com" };
    expect(rewriteAuthority(route({ rewrite: { authority: "route.com" } }))).toBe("route.com");
    expect(rewriteAuthority(route({ rewrite: { authority: "route.com" } }), d)).toBe("dest.com");
    expect(rewriteAuthority(route({}))).toBeUndefined();
    expect(rewriteRequest(route({ rewrite: { uri: "/v2", authority: "up" } }), undefined, { path: "/api/a", authority: "orig" })).toEqual({ path: "/v2/a", authority: "up" });
    expect(rewriteRequest(route({}), undefined, { path: "/api/a", authority: "orig" })).toEqual({ path: "/api/a", authority: "orig" });
  });
});

describe("directResponseBody", () => {
  it.each([
    ["string body", { kind: "directResponse", status: 503, body: { string: "down" } }, "down"],
    ["no body", { kind: "directResponse", status: 204 }, null],
  ] as const)("%s", (_n, action, body) => {
    expect(directResponseBody(action)).toEqual(body);
  });

  it("bytes are base64-decoded", () => {
    const action = { kind: "directResponse" as const, status: 200, body: { bytes: btoa("hi\u0000there") } };
    expect(new TextDecoder().decode(directResponseBody(action) as Uint8Array)).toBe("hi\u0000there");
  });
});
