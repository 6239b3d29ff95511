/**
 * Compiled snapshots for a Bookinfo-like config: listeners, routes, clusters, endpoints, subsets,
 * traffic policies — and the snapshot is plain JSON data.
 */
import { describe, expect, it } from "vitest";
import type { Cluster, Route, Snapshot } from "../../../src/config/snapshot.js";
import { bookinfo, compile, dr, httpGateway, se, vs, we } from "./fixtures.js";
import { compileHeaderOps } from "../../../src/config/compile/header-ops.js";

const REVIEWS = "reviews.default.svc.cluster.local";

function meshRoutes(s: Snapshot, host: string): Route[] {
  const vh = s.listeners.mesh.virtualHosts.find((v) => v.name === host);
  if (!vh) throw new Error(`no mesh vhost ${host}`);
  return vh.routes;
}

describe("compileSnapshot: Bookinfo", () => {
  const snap = compile(bookinfo());

  it("is plain JSON data that round-trips unchanged", () => {
    expect(JSON.parse(JSON.stringify(snap))).toStrictEqual(snap);
    const walk = (v: unknown): void => {
      if (v === null || typeof v !== "object") {
        expect(["string", "number", "boolean"]).toContain(typeof v === "object" ? "null" : typeof v);
        return;
      }
      const proto = Object.getPrototypeOf(v);
      expect(proto === Object.prototype || proto === Array.prototype).toBe(true);
      for (const x of Object.values(v)) walk(x);
    };
    walk(snap);
  });

  it("records version and gateway workload", () => {
    expect(snap.version).toBe(1);
    expect(snap.gateway).toEqual({
      labels: { istio: "ingressgateway" },
      namespace: "istio-system",
      serviceAccount: "istio-ingressgateway-service-account",
      principal: "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
      policySet: 0,
    });
    expect(snap.policySets[0]).toEqual({ peerAuthn: { mode: "PERMISSIVE", from: {} }, jwt: { rules: [] }, authz: { custom: [], deny: [], allow: [], audit: [] } });
  });

  it("builds one route config per gateway port with narrowed virtual hosts", () => {
    const rcs = snap.listeners.gateway.routeConfigs;
    expect(rcs.map((r) => [r.name, r.port, r.protocols])).toEqual([["http.80", 80, ["HTTP"]]]);
    const vh = rcs[0]!.virtualHosts;
    expect(vh.map((v) => [v.name, v.domains])).toEqual([["bookinfo.local:80", ["bookinfo.local"]]]);
    // one route per match block, in order
    expect(vh[0]!.routes.map((r) => [r.matchIndex, r.match.uri])).toEqual([
      [0, { exact: "/productpage" }],
      [1, { prefix: "/static" }],
      [2, { exact: "/login" }],
      [3, { exact: "/logout" }],
      [4, { prefix: "/api/v1/products" }],
    ]);
    expect(vh[0]!.routes[0]!.action).toEqual({
      kind: "forward",
      destinations: [{ host: "productpage.default.svc.cluster.local", port: 9080, cluster: "outbound|9080||productpage.default.svc.cluster.local", weight: 0 }],
      totalWeight: 0,
    });
    expect(vh[0]!.routes[0]!.source).toEqual({ kind: "VirtualService", namespace: "default", name: "bookinfo", http: 0 });
  });

  it("mesh listener: default routes per registry host, replaced by the mesh VirtualService", () => {
    const names = snap.listeners.mesh.virtualHosts.map((v) => v.name);
    expect(names).toEqual(["httpbin.org", "origin.example.com", "productpage.default.svc.cluster.local", "ratings.default.svc.cluster.local", REVIEWS]);
    const pp = meshRoutes(snap, "productpage.default.svc.cluster.local");
    expect(pp).toHaveLength(1);
    expect(pp[0]!.name).toBe("default");
    expect(pp[0]!.source).toEqual({ kind: "default" });
    const reviews = meshRoutes(snap, REVIEWS);
    expect(reviews.map((r) => r.name)).toEqual(["jason.user", "split"]);
    expect(reviews[0]!.match.headers).toEqual([{ name: "end-user", value: { exact: "jason" } }]);
    const split = reviews[1]!.action;
    expect(split.kind === "forward" && split.destinations.map((d) => [d.cluster, d.weight])).toEqual([
      [`outbound|9080|v1|${REVIEWS}`, 50],
      [`outbound|9080|v3|${REVIEWS}`, 50],
    ]);
    expect(split.kind === "forward" && split.totalWeight).toBe(100);
    expect(snap.listeners.mesh.virtualHosts.find((v) => v.name === REVIEWS)!.domains).toEqual([REVIEWS, "reviews.default", "reviews.default.svc"]);
  });

  it("clusters: one per host and port, plus one per DestinationRule subset", () => {
    expect(Object.keys(snap.clusters).sort()).toEqual([
      "outbound|443||httpbin.org",
      "outbound|80||origin.example.com",
      "outbound|9080||productpage.default.svc.cluster.local",
      "outbound|9080||ratings.default.svc.cluster.local",
      `outbound|9080||${REVIEWS}`,
      `outbound|9080|v1|${REVIEWS}`,
      `outbound|9080|v2|${REVIEWS}`,
      `outbound|9080|v3|${REVIEWS}`,
      `outbound|9080|v4|${REVIEWS}`,
    ].sort());
  });

  it("binding endpoints, selected by subset labels", () => {
    const c = (name: string): Cluster => snap.clusters[name]!;
    expect(c(`outbound|9080||${REVIEWS}`).endpoints.map((e) => e.kind === "binding" && e.binding)).toEqual(["REVIEWS_V1", "REVIEWS_V2", "REVIEWS_V3"]);
    expect(c(`outbound|9080|v2|${REVIEWS}`).endpoints).toEqual([{ kind: "binding", binding: "REVIEWS_V2", labels: { version: "v2" }, workload: expect.any(Number), policySet: 0 }]);
    // a member of a MESH_INTERNAL ServiceEntry is a workload: the binding names its Worker
    const v2 = c(`outbound|9080|v2|${REVIEWS}`).endpoints[0]!;
    expect(snap.workloads[v2.workload!]).toEqual({
      name: "reviews-v2", namespace: "default", labels: { version: "v2" }, serviceAccount: "default", principal: "cluster.local/ns/default/sa/default",
    });
    // a subset whose labels select nothing still exists, with no endpoints (503 UH)
    expect(c(`outbound|9080|v4|${REVIEWS}`).endpoints).toEqual([]);
    expect(c(`outbound|9080|v2|${REVIEWS}`)).toMatchObject({
      host: REVIEWS,
      port: 9080,
      subset: "v2",
      protocol: "http",
      serviceEntry: { namespace: "default", name: "reviews", resolution: "STATIC", location: "MESH_INTERNAL" },
      destinationRule: { namespace: "default", name: "reviews" },
    });
  });

  it("traffic policy: subset overrides a field group, keeps the others", () => {
    expect(snap.clusters[`outbound|9080|v1|${REVIEWS}`]!.trafficPolicy).toEqual({
      loadBalancer: { simple: "ROUND_ROBIN" },
      outlierDetection: { consecutive5xxErrors: 3 },
    });
    expect(snap.clusters[`outbound|9080|v2|${REVIEWS}`]!.trafficPolicy).toEqual({
      loadBalancer: { simple: "RANDOM" },
      outlierDetection: { consecutive5xxErrors: 3 },
    });
    expect(snap.clusters["outbound|9080||productpage.default.svc.cluster.local"]!.trafficPolicy).toBeUndefined();
  });

  it("WorkloadEntries selected by workloadSelector in the ServiceEntry's namespace", () => {
    const endpoints = snap.clusters["outbound|9080||ratings.default.svc.cluster.local"]!.endpoints;
    expect(endpoints).toEqual([
      { kind: "binding", binding: "RATINGS", labels: { app: "ratings", version: "v1" }, workloadEntry: "WorkloadEntry/default/ratings-v1", workload: expect.any(Number), policySet: 0 },
    ]);
    // the WorkloadEntry names the workload
    expect(snap.workloads[endpoints[0]!.workload!]).toMatchObject({ name: "ratings-v1", namespace: "default" });
  });

  it("address endpoints: port from endpoint ports[name], else targetPort, else the port", () => {
    expect(snap.clusters["outbound|80||origin.example.com"]!.endpoints).toEqual([
      { kind: "address", address: "127.0.0.1", port: 8080 },
      { kind: "address", address: "127.0.0.2", port: 9999 },
    ]);
  });

  it("DNS entry without endpoints reaches the host itself; HTTPS port ⇒ https", () => {
    expect(snap.clusters["outbound|443||httpbin.org"]).toMatchObject({
      protocol: "https",
      endpoints: [{ kind: "address", address: "httpbin.org", port: 443 }],
    });
  });
});

describe("compileSnapshot: clusters and policies", () => {
  const base = [
    se("api", {
      hosts: ["api.example.com"],
      resolution: "STATIC",
      ports: [{ number: 80, name: "http", protocol: "HTTP" }, { number: 8443, name: "alt", protocol: "HTTP" }],
      endpoints: [{ address: "10.0.0.1", labels: { v: "a" } }, { address: "10.0.0.2", labels: { v: "b" } }],
    }),
  ];

  it("DR tls SIMPLE makes the cluster https", () => {
    const s = compile([...base, dr("api", { host: "api.example.com", trafficPolicy: { tls: { mode: "SIMPLE" } } })]);
    expect(s.clusters["outbound|80||api.example.com"]!.protocol).toBe("https");
  });

  it("port-level settings replace their groups without inheriting", () => {
    const s = compile([
      ...base,
      dr("api", {
        host: "api.example.com",
        trafficPolicy: {
          loadBalancer: { simple: "ROUND_ROBIN" },
          connectionPool: { http: { http2MaxRequests: 10 } },
          retryBudget: { percent: 10 },
          portLevelSettings: [{ port: { number: 8443 }, outlierDetection: { consecutive5xxErrors: 1 } }],
        },
        subsets: [
          { name: "a", labels: { v: "a" }, trafficPolicy: { connectionPool: { http: { http2MaxRequests: 1 } } } },
          { name: "b", labels: { v: "b" }, trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: "RANDOM" } }] } },
        ],
      }),
    ]);
    const tp = (n: string) => s.clusters[n]!.trafficPolicy;
    expect(tp("outbound|80||api.example.com")).toEqual({
      loadBalancer: { simple: "ROUND_ROBIN" },
      connectionPool: { http: { http2MaxRequests: 10 } },
      retryBudget: { percent: 10 },
    });
    // port 8443: top-level port settings replace loadBalancer/connectionPool/outlierDetection/tls
    expect(tp("outbound|8443||api.example.com")).toEqual({ outlierDetection: { consecutive5xxErrors: 1 }, retryBudget: { percent: 10 } });
    expect(tp("outbound|80|a|api.example.com")).toEqual({
      loadBalancer: { simple: "ROUND_ROBIN" },
      connectionPool: { http: { http2MaxRequests: 1 } },
      retryBudget: { percent: 10 },
    });
    expect(tp("outbound|8443|a|api.example.com")).toEqual({
      outlierDetection: { consecutive5xxErrors: 1 },
      connectionPool: { http: { http2MaxRequests: 1 } },
      retryBudget: { percent: 10 },
    });
    // subset port-level for 80 replaces the groups again
    expect(tp("outbound|80|b|api.example.com")).toEqual({ loadBalancer: { simple: "RANDOM" }, retryBudget: { percent: 10 } });
  });

  it("a route to an unknown host or subset compiles; its cluster is simply missing (503 NC)", () => {
    const s = compile([
      ...base,
      httpGateway("gw", ["*"]),
      vs("v", {
        hosts: ["x.com"],
        gateways: ["gw"],
        http: [
          { match: [{ uri: { prefix: "/a" } }], route: [{ destination: { host: "nowhere.example.com" } }] },
          { route: [{ destination: { host: "api.example.com", subset: "zzz", port: { number: 80 } } }] },
        ],
      }),
    ]);
    const routes = s.listeners.gateway.routeConfigs[0]!.virtualHosts[0]!.routes;
    const clusters = routes.map((r) => (r.action.kind === "forward" ? r.action.destinations[0]!.cluster : ""));
    // unknown host without port: Istio falls back to the listener port
    expect(clusters).toEqual(["outbound|80||nowhere.example.com", "outbound|80|zzz|api.example.com"]);
    expect(s.clusters["outbound|80||nowhere.example.com"]).toBeUndefined();
    expect(s.clusters["outbound|80|zzz|api.example.com"]).toBeUndefined();
  });

  it("destination port: explicit, else the service's only port, else the listener port", () => {
    const s = compile([
      ...base,
      se("one", { hosts: ["one.example.com"], ports: [{ number: 7000, name: "http", protocol: "HTTP" }], resolution: "DNS" }),
      httpGateway("gw", ["*"], { port: 8080 }),
      vs("v", {
        hosts: ["x.com"],
        gateways: ["gw"],
        http: [
          { match: [{ uri: { prefix: "/1" } }], route: [{ destination: { host: "one.example.com" } }] },
          { match: [{ uri: { prefix: "/2" } }], route: [{ destination: { host: "api.example.com" } }] },
          { match: [{ uri: { prefix: "/3" } }], route: [{ destination: { host: "api.example.com", port: { number: 8443 } } }] },
        ],
      }),
    ]);
    const routes = s.listeners.gateway.routeConfigs[0]!.virtualHosts[0]!.routes;
    expect(routes.map((r) => r.action.kind === "forward" && r.action.destinations[0]!.port)).toEqual([7000, 8080, 8443]);
  });

  it("the older ServiceEntry keeps a host declared twice", () => {
    const s = compile([
      se("first", { hosts: ["dup.example.com"], resolution: "STATIC", ports: [{ number: 80, name: "http" }], endpoints: [{ address: "1.1.1.1" }] }),
      se("second", { hosts: ["dup.example.com"], resolution: "STATIC", ports: [{ number: 80, name: "http" }], endpoints: [{ address: "2.2.2.2" }] }),
    ]);
    expect(s.clusters["outbound|80||dup.example.com"]!.serviceEntry.name).toBe("first");
  });

  it("ServiceEntry short host and DestinationRule FQDN meet in either form", () => {
    const s = compile([
      se("details", { hosts: ["details"], resolution: "STATIC", ports: [{ number: 9080, name: "http" }], endpoints: [{ address: "binding:DETAILS", labels: { version: "v1" } }] }),
      dr("details", { host: "details.default.svc.cluster.local", subsets: [{ name: "v1", labels: { version: "v1" } }] }),
    ]);
    expect(s.clusters["outbound|9080|v1|details.default.svc.cluster.local"]!.endpoints).toHaveLength(1);
  });

  it("wildcard DestinationRule applies when no exact one exists; the most specific wins", () => {
    const s = compile([
      ...base,
      dr("all", { host: "*", trafficPolicy: { loadBalancer: { simple: "RANDOM" } } }),
      dr("example", { host: "*.example.com", trafficPolicy: { loadBalancer: { simple: "LEAST_REQUEST" } } }),
    ]);
    expect(s.clusters["outbound|80||api.example.com"]!.destinationRule).toEqual({ namespace: "default", name: "example" });
  });

  it("DestinationRule with a workloadSelector applies only when it selects the gateway", () => {
    const withSel = (ns: string, labels: Record<string, string>) =>
      compile([...base, dr("sel", { host: "api.example.com", workloadSelector: { matchLabels: labels }, trafficPolicy: { loadBalancer: { simple: "RANDOM" } } }, { namespace: ns })]);
    expect(withSel("istio-system", { istio: "ingressgateway" }).clusters["outbound|80||api.example.com"]!.destinationRule).toBeDefined();
    expect(withSel("istio-system", { app: "other" }).clusters["outbound|80||api.example.com"]!.destinationRule).toBeUndefined();
    expect(withSel("default", { istio: "ingressgateway" }).clusters["outbound|80||api.example.com"]!.destinationRule).toBeUndefined();
  });

  it("WorkloadEntry labels merge metadata labels under spec labels", () => {
    const s = compile([
      se("svc", { hosts: ["svc.example.com"], resolution: "STATIC", ports: [{ number: 80, name: "http" }], workloadSelector: { labels: { app: "svc" } } }),
      we("w1", { address: "10.1.1.1", labels: { version: "v1" } }, { labels: { app: "svc" } }),
      we("w2", { address: "10.1.1.2", labels: { app: "nope" } }, { labels: { app: "svc" } }),
    ]);
    expect(s.clusters["outbound|80||svc.example.com"]!.endpoints.map((e) => e.kind === "address" && e.address)).toEqual(["10.1.1.1"]);
  });

  it("STATIC entry without endpoints has none", () => {
    const s = compile([se("s", { hosts: ["s.example.com"], resolution: "STATIC", ports: [{ number: 80, name: "http" }] })]);
    expect(s.clusters["outbound|80||s.example.com"]!.endpoints).toEqual([]);
  });
});

describe("compileSnapshot: route fields", () => {
  const compileRoute = (http: Parameters<typeof vs>[1]["http"]): Route[] =>
    compile([httpGateway("gw", ["*"]), vs("v", { hosts: ["x.com"], gateways: ["gw"], http })]).listeners.gateway.routeConfigs[0]!.virtualHosts[0]!.routes;

  it("names: http[].name plus .match.name", () => {
    const r = compileRoute([
      { name: "r", match: [{ name: "m", uri: { prefix: "/a" } }, { uri: { prefix: "/b" } }], route: [{ destination: { host: "a" } }] },
      { match: [{ name: "only", uri: { prefix: "/c" } }], route: [{ destination: { host: "a" } }] },
    ]);
    expect(r.map((x) => x.name)).toEqual(["r.m", "r", ".only"]);
  });

  it("weights: zero dropped when others exist, single destination always wins", () => {
    const r = compileRoute([
      { match: [{ uri: { prefix: "/a" } }], route: [{ destination: { host: "a" }, weight: 0 }, { destination: { host: "b" }, weight: 25 }, { destination: { host: "c" }, weight: 75 }] },
      { match: [{ uri: { prefix: "/b" } }], route: [{ destination: { host: "a" }, weight: 0 }] },
    ]);
    const a0 = r[0]!.action;
    expect(a0.kind === "forward" && a0.destinations.map((d) => [d.host, d.weight])).toEqual([["b.default.svc.cluster.local", 25], ["c.default.svc.cluster.local", 75]]);
    expect(a0.kind === "forward" && a0.totalWeight).toBe(100);
    const a1 = r[1]!.action;
    expect(a1.kind === "forward" && a1.destinations.length).toBe(1);
  });

  it("redirect, directResponse and policy fields as data", () => {
    const r = compileRoute([
      { match: [{ uri: { prefix: "/r" } }], redirect: { uri: "/new", authority: "n.com", derivePort: "FROM_REQUEST_PORT" } },
      { match: [{ uri: { prefix: "/d" } }], directResponse: { status: 418, body: { string: "teapot" } }, headers: { response: { set: { "content-type": "text/plain" } } } },
      {
        match: [{ uri: { prefix: "/f" } }],
        route: [{ destination: { host: "a" } }],
        timeout: "1.5s",
        retries: { attempts: 3, retryOn: "5xx" },
        fault: { abort: { httpStatus: 503, percentage: { value: 10 } } },
        corsPolicy: { allowOrigins: [{ exact: "https://a.com" }] },
        mirror: { host: "m" },
        mirrorPercentage: { value: 25 },
      },
      { match: [{ uri: { prefix: "/g" } }], route: [{ destination: { host: "a" } }], mirrors: [{ destination: { host: "m1" } }, { destination: { host: "m2" }, percentage: { value: 0 } }] },
      { match: [{ uri: { prefix: "/h" } }], route: [{ destination: { host: "a" } }], mirror: { host: "m" }, mirrorPercentage: { value: 0 } },
    ]);
    expect(r[0]!.action).toEqual({ kind: "redirect", uri: "/new", authority: "n.com", derivePort: "FROM_REQUEST_PORT", redirectCode: 301 });
    expect(r[1]!.action).toEqual({ kind: "directResponse", status: 418, body: { string: "teapot" } });
    expect(r[1]!.headerOps).toEqual(compileHeaderOps({ response: { set: { "content-type": "text/plain" } } }));
    expect(r[2]).toMatchObject({ timeoutMs: 1500, retryPolicy: { attempts: 3, retryOn: ["5xx"] }, fault: { abort: { httpStatus: 503 } }, cors: { allowOrigins: [{ exact: "https://a.com" }] } });
    expect(r[2]!.mirrors).toEqual([{ host: "m.default.svc.cluster.local", port: 80, cluster: "outbound|80||m.default.svc.cluster.local", percentage: 25 }]);
    expect(r[3]!.mirrors!.map((m) => [m.host, m.percentage])).toEqual([["m1.default.svc.cluster.local", 100]]);
    expect(r[4]!.mirrors).toBeUndefined();
  });

  it("rewrite: uri, uriRegexRewrite, authority from rewrite or a host header op", () => {
    const r = compileRoute([
      { match: [{ uri: { prefix: "/a" } }], route: [{ destination: { host: "a" } }], rewrite: { uri: "/b", authority: "up.com" } },
      { match: [{ uri: { prefix: "/c" } }], route: [{ destination: { host: "a" } }], rewrite: { uriRegexRewrite: { match: "^/c/(.*)", rewrite: "/\\1" } } },
      { match: [{ uri: { prefix: "/d" } }], route: [{ destination: { host: "a" } }], headers: { request: { set: { Host: "hdr.com" } } } },
      { match: [{ uri: { prefix: "/e" } }], route: [{ destination: { host: "a" }, headers: { request: { set: { ":authority": "dest.com" } } } }] },
      { match: [{ uri: { prefix: "/f" } }], route: [{ destination: { host: "a" }, weight: 1, headers: { request: { add: { host: "w.com" } } } }, { destination: { host: "b" }, weight: 1 }] },
    ]);
    expect(r.map((x) => x.rewrite)).toEqual([
      { uri: "/b", authority: "up.com" },
      { uriRegexRewrite: { match: "^/c/(.*)", rewrite: "/\\1" } },
      { authority: "hdr.com" },
      { authority: "dest.com" },
      undefined,
    ]);
    const f = r[4]!.action;
    expect(f.kind === "forward" && f.destinations.map((d) => d.authority)).toEqual(["w.com", undefined]);
  });

  it("stops after the first catch-all of a VirtualService", () => {
    const r = compileRoute([
      { match: [{ uri: { prefix: "/a" } }, { uri: { prefix: "/" } }, { uri: { prefix: "/never" } }], route: [{ destination: { host: "a" } }] },
      { match: [{ uri: { prefix: "/unreachable" } }], route: [{ destination: { host: "a" } }] },
    ]);
    expect(r.map((x) => x.match.uri)).toEqual([{ prefix: "/a" }, { prefix: "/" }]);
    const r2 = compileRoute([
      { route: [{ destination: { host: "a" } }] },
      { match: [{ uri: { prefix: "/unreachable" } }], route: [{ destination: { host: "a" } }] },
    ]);
    expect(r2).toHaveLength(1);
  });

  it("match translation: presence, withoutHeaders, claims, query params, ignoreUriCase", () => {
    const r = compileRoute([
      {
        match: [
          {
            uri: { exact: "/X" },
            ignoreUriCase: true,
            method: { exact: "GET" },
            scheme: { regex: "*" },
            headers: { "X-Env": { prefix: "pr" }, present: {}, star: { regex: "*" }, "@request.auth.claims.groups": { exact: "admin" }, "@request.auth.claims[org][id]": {} },
            withoutHeaders: { "x-debug": { exact: "1" }, "@request.auth.claims.sub": { exact: "bob" } },
            queryParams: { q: { exact: "" }, p: {} },
          },
        ],
        route: [{ destination: { host: "a" } }],
      },
    ]);
    expect(r[0]!.match).toEqual({
      uri: { exact: "/X" },
      ignoreUriCase: true,
      method: { exact: "GET" },
      headers: [{ name: "present" }, { name: "star" }, { name: "x-debug", value: { exact: "1" }, invert: true }, { name: "x-env", value: { prefix: "pr" } }],
      claims: [{ path: ["groups"], value: { exact: "admin" } }, { path: ["org", "id"] }, { path: ["sub"], value: { exact: "bob" }, invert: true }],
      queryParams: [{ name: "q", value: { exact: "" } }, { name: "p" }],
    });
  });
});
