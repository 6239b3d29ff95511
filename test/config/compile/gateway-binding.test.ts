/**
 * Gateway listener: which Gateways apply, how VirtualServices bind to servers (gateway refs, host
 * intersection and narrowing, namespace scoping, exportTo), per-match gateways/port/source, merge order
 * across VirtualServices and catch-all sorting, httpsRedirect and the blackhole vhost.
 */
import { describe, expect, it } from "vitest";
import type { Resource } from "../../../src/config/resource.js";
import type { VirtualHost } from "../../../src/config/snapshot.js";
import { compile, gw, httpGateway, vs } from "./fixtures.js";

const to = (host: string) => [{ destination: { host } }];

function vhosts(resources: Resource<unknown>[], port = 80): VirtualHost[] {
  const s = compile(resources);
  return s.listeners.gateway.routeConfigs.find((r) => r.port === port)?.virtualHosts ?? [];
}

const domains = (v: VirtualHost[]) => v.map((x) => x.domains.join(",")).sort();

describe("gateway selection", () => {
  const v = vs("v", { hosts: ["a.com"], gateways: ["g"], http: [{ route: to("a") }] });
  it.each([
    ["selector matches the workload", { istio: "ingressgateway" }, ["a.com"]],
    ["nil selector selects all", undefined, ["a.com"]],
    ["other selector", { istio: "egressgateway" }, []],
  ] as const)("%s", (_n, selector, expected) => {
    const g = gw("g", { ...(selector ? { selector } : {}), servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }] });
    const s = compile([g, v]);
    const got = s.listeners.gateway.routeConfigs.flatMap((r) => r.virtualHosts.filter((x) => x.routes.length > 0).map((x) => x.domains[0]));
    expect(got).toEqual(expected);
  });

  it("non-HTTP and passthrough servers make no route config; servers merge by port", () => {
    const g = gw("g", {
      selector: { istio: "ingressgateway" },
      servers: [
        { port: { number: 443, name: "tls", protocol: "TLS" }, hosts: ["*"], tls: { mode: "PASSTHROUGH" } },
        { port: { number: 8443, name: "https-pt", protocol: "HTTPS" }, hosts: ["*"], tls: { mode: "PASSTHROUGH" } },
        { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["a.com"] },
        { port: { number: 80, name: "http2", protocol: "HTTP2" }, hosts: ["b.com"] },
        { port: { number: 9443, name: "https", protocol: "HTTPS" }, hosts: ["*"], tls: { mode: "SIMPLE", credentialName: "c" } },
      ],
    });
    const s = compile([g, vs("v", { hosts: ["a.com", "b.com"], gateways: ["g"], http: [{ route: to("a") }] })]);
    expect(s.listeners.gateway.routeConfigs.map((r) => [r.name, r.protocols])).toEqual([
      ["http.80", ["HTTP", "HTTP2"]],
      ["http.9443", ["HTTPS"]],
    ]);
    expect(domains(s.listeners.gateway.routeConfigs[0]!.virtualHosts)).toEqual(["a.com", "b.com"]);
  });
});

describe("VirtualService binding", () => {
  it.each([
    ["same-namespace gateway name", "default", ["g"], "default", ["a.com"]],
    ["ns/name reference", "other", ["default/g"], "default", ["a.com"]],
    ["short name resolves in the VS namespace", "other", ["g"], "default", []],
    ["mesh only", "default", ["mesh"], "default", []],
    ["no gateways ⇒ mesh only", "default", undefined, "default", []],
  ] as const)("%s", (_n, vsNs, gateways, gwNs, expected) => {
    const v = vhosts([
      httpGateway("g", ["*"], { namespace: gwNs }),
      vs("v", { hosts: ["a.com"], ...(gateways ? { gateways: [...gateways] } : {}), http: [{ route: to("a") }] }, { namespace: vsNs }),
    ]);
    expect(v.filter((x) => x.routes.length > 0).map((x) => x.domains[0])).toEqual(expected);
  });

  it.each([
    // server hosts, VS hosts, resulting domains
    ["server * narrows to VS host", ["*"], ["foo.example.com"], ["foo.example.com"]],
    ["VS * narrows to server host", ["foo.example.com"], ["*"], ["foo.example.com"]],
    ["server wildcard matches VS subdomain", ["*.example.com"], ["dev.example.com"], ["dev.example.com"]],
    ["server wildcard does not match the bare domain", ["*.example.com"], ["example.com"], []],
    ["VS wildcard on server exact", ["foo.example.com"], ["*.example.com"], ["foo.example.com"]],
    ["wildcard on wildcard keeps the narrower", ["*.example.com"], ["*.dev.example.com"], ["*.dev.example.com"]],
    ["no overlap", ["a.com"], ["b.com"], []],
    ["several hosts", ["a.com", "*.b.com"], ["a.com", "x.b.com", "c.com"], ["a.com", "x.b.com"]],
    ["case-insensitive", ["A.COM"], ["a.com"], ["a.com"]],
  ] as const)("host intersection: %s", (_n, serverHosts, vsHosts, expected) => {
    const v = vhosts([httpGateway("g", [...serverHosts]), vs("v", { hosts: [...vsHosts], gateways: ["g"], http: [{ route: to("a") }] })]);
    expect(v.filter((x) => x.routes.length > 0).map((x) => x.domains[0]).sort()).toEqual([...expected].sort());
  });

  it.each([
    ["*/ any namespace", "*/a.com", "team", true],
    [". is the gateway's namespace", "./a.com", "default", true],
    [". excludes other namespaces", "./a.com", "team", false],
    ["named namespace", "team/a.com", "team", true],
    ["named namespace excludes others", "team/a.com", "default", false],
  ] as const)("server host namespace: %s", (_n, serverHost, vsNs, binds) => {
    const v = vhosts([
      httpGateway("g", [serverHost], { namespace: "default" }),
      vs("v", { hosts: ["a.com"], gateways: ["default/g"], http: [{ route: to("a") }] }, { namespace: vsNs }),
    ]);
    expect(v.some((x) => x.routes.length > 0)).toBe(binds);
  });

  it("exportTo: a VirtualService must be visible to the gateway's namespace", () => {
    const mk = (exportTo: string[], ns: string) =>
      vhosts([httpGateway("g", ["*"], { namespace: "default" }), vs("v", { hosts: ["a.com"], gateways: ["default/g"], exportTo, http: [{ route: to("a") }] }, { namespace: ns })]);
    expect(mk(["*"], "team").length).toBe(1);
    expect(mk(["."], "team")[0]!.routes).toEqual([]); // blackhole
    expect(mk(["."], "istio-system")[0]!.routes).toHaveLength(1);
    expect(mk(["istio-system"], "team")[0]!.routes).toHaveLength(1);
  });
});

describe("per-match gateways, port and source", () => {
  it("per-match gateways override the top-level list", () => {
    const v = vhosts([
      httpGateway("g1", ["*"]),
      httpGateway("g2", ["*"]),
      vs("v", {
        hosts: ["a.com"],
        gateways: ["g1", "g2", "mesh"],
        http: [
          { match: [{ uri: { prefix: "/only-g2" }, gateways: ["g2"] }], route: to("a") },
          { match: [{ uri: { prefix: "/only-mesh" }, gateways: ["mesh"] }], route: to("a") },
          { match: [{ uri: { prefix: "/g1-ns" }, gateways: ["default/g1"] }], route: to("a") },
          { match: [{ uri: { prefix: "/all" } }], route: to("a") },
        ],
      }),
    ]);
    expect(v).toHaveLength(1);
    // g1's routes then g2's (same VS bound through two gateways)
    expect(v[0]!.routes.map((r) => r.match.uri?.prefix)).toEqual(["/g1-ns", "/all", "/only-g2", "/all"]);
  });

  it("a VirtualService whose blocks all belong elsewhere binds no host", () => {
    const v = vhosts([
      httpGateway("g", ["*"]),
      vs("v", { hosts: ["a.com"], gateways: ["g", "mesh"], http: [{ match: [{ gateways: ["mesh"] }], route: to("a") }] }),
    ]);
    expect(v.map((x) => x.name)).toEqual(["blackhole:80"]);
  });

  it("match port is compared with the server port at compile time", () => {
    const res = [
      httpGateway("g", ["*"], { port: 8080 }),
      vs("v", {
        hosts: ["a.com"],
        gateways: ["g"],
        http: [
          { match: [{ uri: { prefix: "/p80" }, port: 80 }], route: to("a") },
          { match: [{ uri: { prefix: "/p8080" }, port: 8080 }], route: to("a") },
        ],
      }),
    ];
    const routes = vhosts(res, 8080)[0]!.routes;
    expect(routes.map((r) => r.match)).toEqual([{ uri: { prefix: "/p8080" } }]);
  });

  it("sourceLabels / sourceNamespace are checked against the gateway workload", () => {
    const routes = vhosts([
      httpGateway("g", ["*"]),
      vs("v", {
        hosts: ["a.com"],
        gateways: ["g"],
        http: [
          { match: [{ uri: { prefix: "/yes" }, sourceLabels: { istio: "ingressgateway" }, sourceNamespace: "istio-system" }], route: to("a") },
          { match: [{ uri: { prefix: "/no-labels" }, sourceLabels: { app: "x" } }], route: to("a") },
          { match: [{ uri: { prefix: "/no-ns" }, sourceNamespace: "default" }], route: to("a") },
        ],
      }),
    ])[0]!.routes;
    expect(routes.map((r) => r.match)).toEqual([{ uri: { prefix: "/yes" } }]);
  });
});

describe("merging VirtualServices on one host", () => {
  it("concatenates by creation time, ties by name then namespace, catch-alls last", () => {
    const t = "2024-06-01T00:00:00Z";
    const v = vhosts([
      httpGateway("g", ["*"]),
      vs("late", { hosts: ["a.com"], gateways: ["default/g"], http: [{ match: [{ uri: { prefix: "/late" } }], route: to("a") }, { route: to("a") }] }, { created: "2024-06-02T00:00:00Z" }),
      vs("b", { hosts: ["a.com"], gateways: ["default/g"], http: [{ match: [{ uri: { prefix: "/b" } }], route: to("a") }] }, { created: t }),
      vs("a", { hosts: ["a.com"], gateways: ["default/g"], http: [{ match: [{ uri: { prefix: "/" } }], route: to("a") }] }, { created: t, namespace: "zz" }),
      vs("a", { hosts: ["a.com"], gateways: ["default/g"], http: [{ match: [{ uri: { regex: ".*" } }, { uri: { prefix: "/x" } }], route: to("a") }] }, { created: t, namespace: "aa" }),
      vs("early", { hosts: ["a.com"], gateways: ["default/g"], http: [{ match: [{ uri: { prefix: "/early" }, headers: { h: { exact: "1" } } }, { uri: { prefix: "/", }, method: { exact: "GET" } }], route: to("a") }] }, { created: "2024-05-01T00:00:00Z" }),
    ]);
    const routes = v[0]!.routes.map((r) => `${r.source.namespace}/${r.source.name}:${JSON.stringify(r.match.uri ?? null)}`);
    expect(routes).toEqual([
      'default/early:{"prefix":"/early"}',
      'default/early:{"prefix":"/"}', // has a method matcher: not a catch-all
      'default/b:{"prefix":"/b"}',
      'default/late:{"prefix":"/late"}',
      // catch-alls, in their merged order
      'aa/a:{"regex":".*"}', // its /x block is dropped: unreachable after a catch-all in the same VS
      'zz/a:{"prefix":"/"}',
      "default/late:null",
    ]);
  });

  it("creation order decides even when the VirtualServices bind through different servers", () => {
    const g = gw("g", {
      selector: { istio: "ingressgateway" },
      servers: [
        { port: { number: 80, name: "a", protocol: "HTTP" }, hosts: ["ns2/a.com"] },
        { port: { number: 80, name: "b", protocol: "HTTP" }, hosts: ["ns1/a.com"] },
      ],
    });
    const v = vhosts([
      g,
      vs("old", { hosts: ["a.com"], gateways: ["default/g"], http: [{ name: "old", match: [{ uri: { prefix: "/o" } }], route: to("a") }] }, { namespace: "ns1" }),
      vs("new", { hosts: ["a.com"], gateways: ["default/g"], http: [{ name: "new", match: [{ uri: { prefix: "/n" } }], route: to("a") }] }, { namespace: "ns2" }),
    ]);
    expect(v.map((x) => [x.name, x.routes.map((r) => r.name)])).toEqual([["a.com:80", ["old", "new"]]]);
  });

  it("routes of one VS bound to one host twice are added once", () => {
    const g = gw("g", {
      selector: { istio: "ingressgateway" },
      servers: [
        { port: { number: 80, name: "a", protocol: "HTTP" }, hosts: ["*"] },
        { port: { number: 80, name: "b", protocol: "HTTP" }, hosts: ["a.com"] },
      ],
    });
    const v = vhosts([g, vs("v", { hosts: ["a.com"], gateways: ["g"], http: [{ route: to("a") }] })]);
    expect(v[0]!.routes).toHaveLength(1);
  });
});

describe("httpsRedirect and blackhole", () => {
  it("httpsRedirect marks the server's vhosts, even without a VirtualService", () => {
    const v = vhosts([httpGateway("g", ["a.com", "b.com"], { httpsRedirect: true }), vs("v", { hosts: ["a.com"], gateways: ["g"], http: [{ route: to("a") }] })]);
    expect(v.map((x) => [x.name, x.httpsRedirect, x.routes.length])).toEqual([
      ["a.com:80", true, 1],
      ["b.com:80", true, 0],
    ]);
  });

  it("a port without any bound VirtualService gets Istio's blackhole vhost", () => {
    expect(vhosts([httpGateway("g", ["a.com"])])).toEqual([{ name: "blackhole:80", domains: ["*"], routes: [] }]);
  });
});
