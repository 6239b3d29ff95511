/**
 * The mesh listener (default routes, mesh VirtualServices, runtime source/port matchers) and
 * delegate VirtualServices (one level, Istio's merge rules).
 */
import { describe, expect, it } from "vitest";
import type { HTTPMatchRequest, HTTPRoute } from "../../../src/config/schemas/virtual-service.js";
import type { Route } from "../../../src/config/snapshot.js";
import { mergeHTTPMatchRequests, mergeHTTPRoute } from "../../../src/config/compile/virtual-services.js";
import { compile, httpGateway, se, vs } from "./fixtures.js";
import { compileHeaderOps } from "../../../src/config/compile/header-ops.js";

const svc = (name: string, ports = [9080], ns = "default") =>
  se(name, { hosts: [name], resolution: "STATIC", ports: ports.map((p, i) => ({ number: p, name: `http-${i}`, protocol: "HTTP" })), endpoints: [{ address: `binding:${name.toUpperCase()}` }] }, { namespace: ns });

function mesh(resources: Parameters<typeof compile>[0]) {
  return compile(resources).listeners.mesh.virtualHosts;
}

describe("mesh listener", () => {
  it("multi-port service: one default route per port, then the first port", () => {
    const v = mesh([svc("multi", [9080, 9090])]);
    expect(v[0]!.routes.map((r) => [r.match, r.action.kind === "forward" && r.action.destinations[0]!.cluster])).toEqual([
      [{ port: 9080 }, "outbound|9080||multi.default.svc.cluster.local"],
      [{ port: 9090 }, "outbound|9090||multi.default.svc.cluster.local"],
      [{}, "outbound|9080||multi.default.svc.cluster.local"],
    ]);
  });

  it("the oldest mesh VirtualService for a host wins; gateway-only ones do not apply", () => {
    const v = mesh([
      svc("reviews"),
      httpGateway("g", ["*"]),
      vs("gw-only", { hosts: ["reviews"], gateways: ["g"], http: [{ name: "gw", route: [{ destination: { host: "reviews" } }] }] }),
      vs("first", { hosts: ["reviews"], http: [{ name: "first", route: [{ destination: { host: "reviews" } }] }] }),
      vs("second", { hosts: ["reviews.default.svc.cluster.local"], gateways: ["mesh"], http: [{ name: "second", route: [{ destination: { host: "reviews" } }] }] }),
    ]);
    expect(v.map((x) => [x.name, x.routes.map((r) => r.name)])).toEqual([["reviews.default.svc.cluster.local", ["first"]]]);
  });

  it("wildcard mesh VirtualService applies to matching services; most specific wins", () => {
    const v = mesh([
      svc("a"),
      svc("b", [9080], "team"),
      vs("wide", { hosts: ["*.svc.cluster.local"], http: [{ name: "wide", route: [{ destination: { host: "a" } }] }] }),
      vs("narrow", { hosts: ["*.team.svc.cluster.local"], http: [{ name: "narrow", route: [{ destination: { host: "a" } }] }] }),
    ]);
    expect(v.map((x) => [x.name, x.routes.map((r) => r.name)])).toEqual([
      ["a.default.svc.cluster.local", ["wide"]],
      ["b.team.svc.cluster.local", ["narrow"]],
    ]);
  });

  it("VirtualService hosts outside the registry get their own vhost", () => {
    const v = mesh([vs("ext", { hosts: ["api.external.com", "*.wild.com"], http: [{ route: [{ destination: { host: "api.external.com" } }] }] })]);
    expect(v.map((x) => x.name)).toEqual(["api.external.com", "*.wild.com"]);
  });

  it("a mesh VirtualService without routes for the mesh keeps the default routes", () => {
    const v = mesh([svc("r"), vs("v", { hosts: ["r"], gateways: ["mesh", "default/g"], http: [{ match: [{ gateways: ["default/g"] }], route: [{ destination: { host: "r" } }] }] })]);
    expect(v[0]!.routes.map((r) => r.name)).toEqual(["default"]);
  });

  it("port, sourceNamespace and sourceLabels stay runtime matchers on the mesh", () => {
    const v = mesh([
      svc("r"),
      vs("v", {
        hosts: ["r"],
        http: [
          { match: [{ port: 9080, sourceNamespace: "ns1", sourceLabels: { app: "pp" } }], route: [{ destination: { host: "r" } }] },
          { match: [{ gateways: ["mesh"], sourceNamespace: "ignored" }], route: [{ destination: { host: "r" } }] },
        ],
      }),
    ]);
    expect(v[0]!.routes.map((r) => r.match)).toEqual([{ port: 9080, sourceNamespace: "ns1", sourceLabels: { app: "pp" } }, {}]);
  });

  it("destinations without a port use the VS host's service port", () => {
    const v = mesh([svc("multi", [7000, 7001]), vs("v", { hosts: ["multi"], http: [{ route: [{ destination: { host: "multi", subset: "x" } }] }] })]);
    const a = v[0]!.routes[0]!.action;
    expect(a.kind === "forward" && a.destinations[0]!.cluster).toBe("outbound|7000|x|multi.default.svc.cluster.local");
  });
});

describe("delegate", () => {
  const root = (http: HTTPRoute[], ns = "default") => vs("root", { hosts: ["a.com"], gateways: ["g"], http }, { namespace: ns });
  const gatewayRoutes = (resources: Parameters<typeof compile>[0]): Route[] =>
    compile([httpGateway("g", ["*"]), ...resources]).listeners.gateway.routeConfigs[0]!.virtualHosts[0]!.routes;

  it("pulls the delegate's routes under the root match, inheriting unset fields", () => {
    const routes = gatewayRoutes([
      root([
        { name: "first", match: [{ uri: { prefix: "/first" } }], route: [{ destination: { host: "f" } }] },
        { name: "prod", match: [{ uri: { prefix: "/productpage" } }], delegate: { name: "pp", namespace: "team" }, timeout: "2s", headers: { request: { set: { x: "root" } } } },
        { name: "last", route: [{ destination: { host: "l" } }] },
      ]),
      vs("pp", {
        http: [
          { name: "v2", match: [{ uri: { prefix: "/productpage/v2" } }], route: [{ destination: { host: "productpage", subset: "v2" } }], headers: { request: { set: { x: "leaf" } } } },
          { name: "conflict", match: [{ uri: { prefix: "/other" } }], route: [{ destination: { host: "productpage" } }] },
          { match: [{ headers: { user: { exact: "jason" } } }], route: [{ destination: { host: "productpage", subset: "v3" } }] },
          { route: [{ destination: { host: "productpage", subset: "v1" } }] },
        ],
      }, { namespace: "team" }),
    ]);
    expect(routes.map((r) => [r.name, r.match, r.source.delegate?.http ?? null])).toEqual([
      ["first", { uri: { prefix: "/first" } }, null],
      ["prod-v2", { uri: { prefix: "/productpage/v2" } }, 0],
      ["prod", { uri: { prefix: "/productpage" }, headers: [{ name: "user", value: { exact: "jason" } }] }, 2],
      ["prod", { uri: { prefix: "/productpage" } }, 3],
      ["last", {}, null],
    ]);
    // destinations resolve in the delegate's namespace; root fields fill what the delegate leaves unset
    const d = routes[1]!;
    expect(d.action.kind === "forward" && d.action.destinations[0]!.cluster).toBe("outbound|80|v2|productpage.team.svc.cluster.local");
    expect(d.timeoutMs).toBe(2000);
    expect(d.headerOps).toEqual(compileHeaderOps({ request: { set: { x: "leaf" } } }));
    expect(routes[3]!.headerOps).toEqual(compileHeaderOps({ request: { set: { x: "root" } } }));
    expect(routes[1]!.source).toEqual({ kind: "VirtualService", namespace: "default", name: "root", http: 1, delegate: { namespace: "team", name: "pp", http: 0 } });
  });

  it("delegate namespace defaults to the root's; a missing or hidden delegate drops only that rule", () => {
    const routes = gatewayRoutes([
      root([
        { match: [{ uri: { prefix: "/a" } }], delegate: { name: "same" } },
        { match: [{ uri: { prefix: "/b" } }], delegate: { name: "missing" } },
        { match: [{ uri: { prefix: "/c" } }], delegate: { name: "hidden", namespace: "team" } },
        { match: [{ uri: { prefix: "/d" } }], route: [{ destination: { host: "d" } }] },
      ]),
      vs("same", { http: [{ route: [{ destination: { host: "s" } }] }] }),
      vs("hidden", { exportTo: ["."], http: [{ route: [{ destination: { host: "h" } }] }] }, { namespace: "team" }),
    ]);
    expect(routes.map((r) => r.match.uri?.prefix)).toEqual(["/a", "/d"]);
  });

  it("only one level: a delegate's own delegate rules are ignored", () => {
    const routes = gatewayRoutes([
      root([{ match: [{ uri: { prefix: "/a" } }], delegate: { name: "d1" } }]),
      vs("d1", { http: [{ match: [{ uri: { prefix: "/a/x" } }], delegate: { name: "d2" } }, { route: [{ destination: { host: "one" } }] }] }),
      vs("d2", { http: [{ route: [{ destination: { host: "two" } }] }] }),
    ]);
    expect(routes.map((r) => r.action.kind === "forward" && r.action.destinations[0]!.host)).toEqual(["one.default.svc.cluster.local"]);
  });

  const m = (x: HTTPMatchRequest) => x;
  it.each([
    ["leaf prefix within root prefix", [m({ uri: { prefix: "/a" } })], [m({ uri: { prefix: "/a/b" } })], [{ uri: { prefix: "/a/b" } }]],
    ["leaf prefix outside root prefix", [m({ uri: { prefix: "/a/b" } })], [m({ uri: { prefix: "/a" } })], null],
    ["leaf exact within root prefix", [m({ uri: { prefix: "/a" } })], [m({ uri: { exact: "/a/x" } })], [{ uri: { exact: "/a/x" } }]],
    ["root exact, leaf same exact", [m({ uri: { exact: "/a" } })], [m({ uri: { exact: "/a" } })], [{ uri: { exact: "/a" } }]],
    ["root exact, leaf prefix", [m({ uri: { exact: "/a" } })], [m({ uri: { prefix: "/a" } })], null],
    ["regex on either side conflicts", [m({ uri: { regex: "/a.*" } })], [m({ uri: { prefix: "/a" } })], null],
    ["leaf regex when root has no uri", [m({ headers: { h: { exact: "1" } } })], [m({ uri: { regex: "/x" } })], [{ uri: { regex: "/x" }, headers: { h: { exact: "1" } } }]],
    ["ignoreUriCase must agree", [m({ uri: { prefix: "/a" }, ignoreUriCase: true })], [m({ uri: { prefix: "/a/b" } })], null],
    ["ports must agree", [m({ port: 80 })], [m({ port: 81 })], null],
    ["headers merge, leaf wins", [m({ headers: { a: { exact: "1" } } })], [m({ headers: { b: { exact: "2" } } })], [{ headers: { a: { exact: "1" }, b: { exact: "2" } } }]],
    ["conflicting header values", [m({ headers: { a: { exact: "1" } } })], [m({ headers: { a: { exact: "2" } } })], null],
    ["each compatible pair yields a match", [m({ uri: { prefix: "/a" } }), m({ uri: { prefix: "/b" } })], [m({ method: { exact: "GET" } })], [{ uri: { prefix: "/a" }, method: { exact: "GET" } }, { uri: { prefix: "/b" }, method: { exact: "GET" } }]],
    ["one leaf match fits nowhere ⇒ whole rule dropped", [m({ uri: { prefix: "/a" } })], [m({ uri: { prefix: "/a/1" } }), m({ uri: { prefix: "/z" } })], null],
    ["no root matches ⇒ leaf matches", undefined, [m({ uri: { prefix: "/z" } })], [{ uri: { prefix: "/z" } }]],
    ["no leaf matches ⇒ root matches", [m({ uri: { prefix: "/a" } })], undefined, [{ uri: { prefix: "/a" } }]],
    ["names combine", [m({ name: "r", uri: { prefix: "/a" } })], [m({ name: "l" })], [{ name: "r-l", uri: { prefix: "/a" } }]],
  ] as const)("merge matches: %s", (_n, rootMatches, leafMatches, expected) => {
    expect(mergeHTTPMatchRequests(rootMatches as HTTPMatchRequest[] | undefined, leafMatches as HTTPMatchRequest[] | undefined)).toEqual(expected);
  });

  it("mergeHTTPRoute inherits only unset fields and combines names", () => {
    const merged = mergeHTTPRoute(
      { name: "root", retries: { attempts: 1 }, fault: { abort: { httpStatus: 500 } }, corsPolicy: { allowMethods: ["GET"] }, mirror: { host: "m" }, rewrite: { uri: "/r" } },
      { name: "leaf", retries: { attempts: 5 }, route: [{ destination: { host: "x" } }] },
    );
    expect(merged).toEqual({
      name: "root-leaf",
      retries: { attempts: 5 },
      fault: { abort: { httpStatus: 500 } },
      corsPolicy: { allowMethods: ["GET"] },
      mirror: { host: "m" },
      rewrite: { uri: "/r" },
      route: [{ destination: { host: "x" } }],
    });
  });
});
