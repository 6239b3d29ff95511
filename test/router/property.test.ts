/**
 * Property tests: the indexed router agrees with a naive reference — a linear scan over the same
 * compiled routes with a matcher written independently here — on random route sets and requests;
 * and the virtual host index agrees with a scan of the domains.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RE2JS } from "../../src/config/regex.js";
import type { HTTPMatchRequest, HTTPRoute, StringMatch } from "../../src/config/schemas/virtual-service.js";
import type { Route, RouteMatch } from "../../src/config/snapshot.js";
import { buildRouter, type RouteInput } from "../../src/router/index.js";
import { regexLiteralPrefix } from "../../src/router/route-index.js";
import { VirtualHostIndex } from "../../src/router/virtual-host-index.js";
import { compile, httpGateway, vs } from "../config/compile/fixtures.js";

// ---- naive reference matcher ----

function sm(m: StringMatch, v: string): boolean {
  if (m.exact !== undefined) return v === m.exact;
  if (m.prefix !== undefined) return v.startsWith(m.prefix);
  if (m.regex !== undefined) return RE2JS.compile(m.regex).matches(v);
  return true;
}

function naiveMatches(m: RouteMatch, input: RouteInput): boolean {
  const [path, query] = input.path.includes("?") ? [input.path.slice(0, input.path.indexOf("?")), input.path.slice(input.path.indexOf("?") + 1)] : [input.path, undefined];
  const ci = m.ignoreUriCase === true;
  if (!m.uri) {
    if (!path.startsWith("/")) return false;
  } else if (m.uri.exact !== undefined) {
    if (ci ? path.toLowerCase() !== m.uri.exact.toLowerCase() : path !== m.uri.exact) return false;
  } else if (m.uri.prefix !== undefined) {
    if (ci ? !path.toLowerCase().startsWith(m.uri.prefix.toLowerCase()) : !path.startsWith(m.uri.prefix)) return false;
    // Gateway API PathPrefix: whole segments only.
    const p = m.uri.prefix;
    if (m.pathSeparatedPrefix && p !== "/" && path !== p && !path.startsWith(`${p}/`)) return false;
  } else if (m.uri.regex !== undefined) {
    if (!RE2JS.compile(m.uri.regex).matches(path)) return false;
  }
  if (m.method && !sm(m.method, input.method)) return false;
  if (m.scheme && !sm(m.scheme, input.scheme)) return false;
  if (m.authority && !sm(m.authority, input.authority)) return false;
  const header = (n: string) => (n === ":authority" || n === "host" ? input.authority : input.headers.get(n));
  for (const h of m.headers ?? []) {
    const v = header(h.name);
    const ok = h.invert ? (h.value ? !sm(h.value, v ?? "") : v === null) : v !== null && (!h.value || sm(h.value, v));
    if (!ok) return false;
  }
  for (const q of m.queryParams ?? []) {
    if (query === undefined) return false;
    const first = query.split("&").find((p) => p !== "" && (p === q.name || p.startsWith(`${q.name}=`)));
    if (first === undefined) return false;
    const value = first.includes("=") ? first.slice(first.indexOf("=") + 1) : "";
    if (q.value && !sm(q.value, value)) return false;
  }
  if (m.port !== undefined && m.port !== input.port) return false;
  return true;
}

function naiveRoute(routes: Route[], input: RouteInput): number {
  return routes.findIndex((r) => naiveMatches(r.match, input));
}

// ---- generators ----

const segment = fc.constantFrom("a", "b", "ab", "A", "api", "v1", "v2", "");
const path = fc.array(segment, { minLength: 0, maxLength: 3 }).map((s) => "/" + s.join("/"));
const pathPrefix = fc.tuple(path, fc.nat(4)).map(([p, cut]) => p.slice(0, Math.max(1, p.length - cut)));
const regexes = fc.constantFrom("/a.*", "/[ab]+", ".*", "/api/v[0-9]", "(?i)/A.*", "/b?", "/(a|b)/.*", "/a+b?", "^/ab.*", "/v1\\/.*", "/ap?i/.*", "/a|/b");
const strMatch = (values: fc.Arbitrary<string>): fc.Arbitrary<StringMatch> =>
  fc.oneof(values.map((exact) => ({ exact })), values.map((prefix) => ({ prefix })), fc.constantFrom({ regex: "[0-9]+" }, { regex: "a.*" }, { regex: "*" }), fc.constant({}));
const headerValue = fc.constantFrom("1", "2", "abc", "", "a1");

const matchBlock: fc.Arbitrary<HTTPMatchRequest> = fc.record(
  {
    uri: fc.oneof(path.map((exact) => ({ exact })), pathPrefix.map((prefix) => ({ prefix })), regexes.map((regex) => ({ regex }))),
    ignoreUriCase: fc.boolean(),
    method: fc.oneof(fc.constantFrom("GET", "POST").map((exact) => ({ exact })), fc.constant({ regex: "GET|HEAD" })),
    authority: fc.constant({ prefix: "x.com:" }),
    headers: fc.dictionary(fc.constantFrom("x", "y"), strMatch(headerValue), { maxKeys: 2 }),
    withoutHeaders: fc.dictionary(fc.constantFrom("x", "z"), strMatch(headerValue), { maxKeys: 1 }),
    queryParams: fc.dictionary(fc.constantFrom("q", "r"), strMatch(fc.constantFrom("1", "", "a")), { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);

const httpRoute: fc.Arbitrary<HTTPRoute> = fc.array(matchBlock, { maxLength: 3 }).map((match) => ({
  ...(match.length > 0 ? { match } : {}),
  route: [{ destination: { host: "a" } }],
}));

const request = fc.record({
  path: fc.tuple(path, fc.constantFrom("", "?q=1", "?q", "?q=1&q=2", "?r=a&q=", "?r=&q=a")).map(([p, q]) => p + q),
  method: fc.constantFrom("GET", "POST", "HEAD"),
  authority: fc.constantFrom("x.com", "x.com:8080"),
  headers: fc.dictionary(fc.constantFrom("x", "y", "z"), headerValue, { maxKeys: 3 }),
});

describe("indexed router = naive linear scan", () => {
  it("on random VirtualServices and requests", () => {
    fc.assert(
      fc.property(fc.array(fc.array(httpRoute, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 }), fc.array(request, { minLength: 1, maxLength: 25 }), (vsRoutes, requests) => {
        const snapshot = compile([httpGateway("g", ["*"]), ...vsRoutes.map((http, i) => vs(`v${i}`, { hosts: ["x.com"], gateways: ["g"], http }))]);
        // The ConfigStore keeps the snapshot as JSON: it must round-trip exactly, and route the same.
        const stored = JSON.parse(JSON.stringify(snapshot)) as typeof snapshot;
        expect(stored).toStrictEqual(snapshot);
        const router = buildRouter(stored);
        const routes = stored.listeners.gateway.routeConfigs[0]!.virtualHosts.find((v) => v.domains[0] === "x.com")?.routes ?? [];
        for (const r of requests) {
          const input: RouteInput = { listener: "gateway", scheme: "http", port: 80, ...r, headers: new Headers(r.headers) };
          const d = router.route(input);
          const expected = naiveRoute(routes, input);
          if (expected < 0) expect(d.outcome).toBe(routes.length === 0 ? "no_virtual_host" : "no_route");
          else {
            expect(d.outcome).toBe("matched");
            if (d.outcome === "matched") {
              expect(d.routeIndex).toBe(expected);
              expect(d.route).toBe(routes[expected]);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("on many prefix/exact routes in one VirtualService (deep trie)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("exact", "prefix"), path, fc.boolean()), { minLength: 1, maxLength: 80 }), fc.array(path, { maxLength: 30 }), (rules, paths) => {
        const http: HTTPRoute[] = rules.map(([kind, p, ci]) => ({ match: [{ uri: kind === "exact" ? { exact: p } : { prefix: p }, ignoreUriCase: ci }], route: [{ destination: { host: "a" } }] }));
        const snapshot = compile([httpGateway("g", ["*"]), vs("v", { hosts: ["x.com"], gateways: ["g"], http })]);
        const router = buildRouter(snapshot);
        const routes = snapshot.listeners.gateway.routeConfigs[0]!.virtualHosts[0]!.routes;
        for (const p of paths) {
          const input: RouteInput = { listener: "gateway", scheme: "http", port: 80, method: "GET", authority: "x.com", path: p, headers: new Headers() };
          const d = router.route(input);
          expect(d.outcome === "matched" ? d.routeIndex : -1).toBe(naiveRoute(routes, input));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("indexed router = naive linear scan, HTTPRoutes (Gateway API semantics)", () => {
  const gwMatch = fc.record(
    {
      path: fc.oneof(
        path.map((value) => ({ type: "Exact" as const, value })),
        pathPrefix.map((value) => ({ type: "PathPrefix" as const, value })),
        fc.constantFrom("/a.*", "/[ab]+", "/api/v[0-9]").map((value) => ({ type: "RegularExpression" as const, value })),
      ),
      method: fc.constantFrom("GET" as const, "POST" as const),
      headers: fc.array(fc.record({ name: fc.constantFrom("x", "y"), value: fc.constantFrom("1", "2") }), { maxLength: 2 }).map((hs) => hs.filter((h, i) => hs.findIndex((o) => o.name === h.name) === i)),
    },
    { requiredKeys: [] },
  );
  const httpRoutes = fc.array(fc.array(fc.array(gwMatch, { maxLength: 3 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 });
  it("on random HTTPRoutes on one hostname and requests", () => {
    fc.assert(
      fc.property(httpRoutes, fc.array(request, { minLength: 1, maxLength: 25 }), (routeSets, requests) => {
        let t = Date.parse("2024-01-01T00:00:00Z");
        const meta = (name: string) => ({ name, namespace: "default", creationTimestamp: new Date((t += 1000)).toISOString() });
        const resources = [
          { apiVersion: "gateway.networking.k8s.io/v1", kind: "KubernetesGateway", metadata: meta("gw"), spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] } },
          ...routeSets.map((rules, i) => ({
            apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: meta(`r${i}`),
            spec: { parentRefs: [{ name: "gw" }], hostnames: ["x.com"], rules: rules.map((matches) => ({ matches, backendRefs: [{ name: "a", port: 80 }] })) },
          })),
        ] as unknown as Parameters<typeof compile>[0];
        const snapshot = compile(resources);
        const router = buildRouter(snapshot);
        const routes = snapshot.listeners.gateway.routeConfigs[0]!.virtualHosts.find((v) => v.domains[0] === "x.com")?.routes ?? [];
        for (const r of requests) {
          const input: RouteInput = { listener: "gateway", scheme: "http", port: 80, ...r, headers: new Headers(r.headers) };
          const d = router.route(input);
          expect(d.outcome === "matched" ? d.routeIndex : -1).toBe(naiveRoute(routes, input));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("regexLiteralPrefix", () => {
  it.each([
    ["/api/v[0-9]+", "/api/v"],
    ["^/api/.*", "/api/"],
    ["/ab*c", "/a"],
    ["/ab?c", "/a"],
    ["/ab{2}", "/a"],
    ["/ab+c", "/ab"],
    ["/a\\.b.*", "/a.b"],
    ["/a\\d+", "/a"],
    ["(?i)/abc", ""],
    ["/a|/b", ""],
    [".*", ""],
    ["/x[yz]", "/x"],
    ["/exact", "/exact"],
  ])("%s → %s", (pattern, prefix) => {
    expect(regexLiteralPrefix(pattern)).toBe(prefix);
  });

  it("every string a pattern fully matches starts with its literal prefix (property)", () => {
    const pieces = fc.constantFrom("a", "b", "/", "\\.", ".", "*", "+", "?", "[ab]", "(a|b)", "\\d", "{2}", "^");
    fc.assert(
      fc.property(fc.array(pieces, { minLength: 1, maxLength: 6 }), fc.array(fc.constantFrom("a", "b", "/", ".", "1", "ab", "aa"), { maxLength: 6 }), (parts, words) => {
        const pattern = parts.join("");
        let re: RE2JS;
        try {
          re = RE2JS.compile(pattern);
        } catch {
          return;
        }
        const prefix = regexLiteralPrefix(pattern);
        const input = words.join("");
        if (re.matches(input)) expect(input.startsWith(prefix)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("virtual host index = scan of domains", () => {
  const label = fc.constantFrom("a", "b", "c", "x");
  const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join("."));
  const domain = fc.oneof(host, host.map((h) => `*.${h}`), fc.constant("*"));

  function naive(domains: string[], h: string): string | undefined {
    if (domains.includes(h)) return h;
    const suffixes = domains.filter((d) => d.startsWith("*.") && h.endsWith(d.slice(1)) && h.length > d.length - 1).sort((a, b) => b.length - a.length);
    if (suffixes.length > 0) return suffixes[0];
    return domains.includes("*") ? "*" : undefined;
  }

  it("exact > longest *.suffix > *", () => {
    fc.assert(
      fc.property(fc.uniqueArray(domain, { maxLength: 10 }), fc.array(host, { maxLength: 10 }), (domains, hosts) => {
        const idx = new VirtualHostIndex<string>();
        for (const d of domains) idx.add(d, d);
        for (const h of hosts) expect(idx.lookup(h)).toBe(naive(domains, h));
      }),
      { numRuns: 300 },
    );
  });
});
