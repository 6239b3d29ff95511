/**
 * Virtual host selection: precedence (exact > longest *.suffix > *), port and case ignored, route
 * config by listener port, mesh short names, httpsRedirect, and the 404 outcomes.
 */
import { describe, expect, it } from "vitest";
import { buildRouter } from "../../src/router/index.js";
import { VirtualHostIndex } from "../../src/router/virtual-host-index.js";
import { bookinfo, compile, gw, httpGateway, req, se, vs } from "../config/compile/fixtures.js";

describe("VirtualHostIndex precedence", () => {
  const idx = new VirtualHostIndex<string>();
  for (const d of ["*", "*.example.com", "*.api.example.com", "www.example.com", "*.com"]) idx.add(d, d);
  it.each([
    ["www.example.com", "www.example.com"],
    ["a.api.example.com", "*.api.example.com"],
    ["a.b.api.example.com", "*.api.example.com"],
    ["api.example.com", "*.example.com"],
    ["x.example.com", "*.example.com"],
    ["example.com", "*.com"],
    ["com", "*"],
    ["other.org", "*"],
  ])("%s → %s", (host, expected) => {
    expect(idx.lookup(host)).toBe(expected);
  });

  it("without *, an unknown host has no vhost; the first claim of a domain keeps it", () => {
    const i = new VirtualHostIndex<number>();
    i.add("A.com", 1);
    i.add("a.com", 2);
    i.add("*.b.com", 3);
    expect(i.lookup("a.com")).toBe(1);
    expect(i.lookup("b.com")).toBeUndefined();
    expect(i.lookup(".b.com")).toBeUndefined();
    expect(i.lookup("x.y")).toBeUndefined();
  });
});

describe("gateway listener", () => {
  const router = buildRouter(
    compile([
      httpGateway("g", ["*"]),
      vs("exact", { hosts: ["www.example.com"], gateways: ["g"], http: [{ name: "exact", route: [{ destination: { host: "a" } }] }] }),
      vs("wild", { hosts: ["*.example.com"], gateways: ["g"], http: [{ name: "wild", route: [{ destination: { host: "a" } }] }] }),
      vs("star", { hosts: ["*"], gateways: ["g"], http: [{ name: "star", match: [{ uri: { prefix: "/s" } }], route: [{ destination: { host: "a" } }] }] }),
    ]),
  );
  const nameFor = (authority: string, path = "/") => {
    const d = router.route(req({ authority, path }));
    return d.outcome === "matched" ? d.routeName : d.outcome;
  };

  it.each([
    ["www.example.com", "exact"],
    ["WWW.Example.COM", "exact"],
    ["www.example.com:8080", "exact"],
    ["foo.example.com", "wild"],
    ["example.com", "no_route"], // vhost "*" exists but its only route needs /s
    ["anything.org", "no_route"],
  ])("%s → %s", (authority, expected) => {
    expect(nameFor(authority)).toBe(expected);
  });

  it("the * vhost catches other hosts", () => {
    expect(nameFor("anything.org", "/s1")).toBe("star");
  });

  it("reports the virtual host and route config", () => {
    const d = router.route(req({ authority: "foo.example.com" }));
    expect(d.outcome === "matched" && d.virtualHost).toEqual({ name: "*.example.com:80", domains: ["*.example.com"], routeConfig: "http.80" });
  });

  it("no virtual host for the Host ⇒ no_virtual_host", () => {
    const r = buildRouter(compile([httpGateway("g", ["a.com"]), vs("v", { hosts: ["a.com"], gateways: ["g"], http: [{ route: [{ destination: { host: "a" } }] }] })]));
    expect(r.route(req({ authority: "b.com:80" }))).toEqual({ outcome: "no_virtual_host", listener: "gateway", host: "b.com", routeConfig: "http.80" });
    expect(r.virtualHost(req({ authority: "b.com" }))).toBeUndefined();
  });

  it("no Gateway at all ⇒ no_virtual_host", () => {
    expect(buildRouter(compile([])).route(req()).outcome).toBe("no_virtual_host");
  });
});

describe("route config by port", () => {
  const router = buildRouter(
    compile([
      gw("g", {
        selector: { istio: "ingressgateway" },
        servers: [
          { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["a.com"], tls: { httpsRedirect: true } },
          { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a.com"], tls: { mode: "SIMPLE", credentialName: "cert" } },
          { port: { number: 8080, name: "alt", protocol: "HTTP" }, hosts: ["a.com"] },
        ],
      }),
      vs("v", {
        hosts: ["a.com"],
        gateways: ["g"],
        http: [
          { name: "on-8080", match: [{ port: 8080 }], route: [{ destination: { host: "a" } }] },
          { name: "any", route: [{ destination: { host: "a" } }] },
        ],
      }),
    ]),
  );
  const at = (port: number, scheme: "http" | "https") => {
    const d = router.route(req({ authority: "a.com", port, scheme }));
    return d.outcome === "matched" ? [d.virtualHost.routeConfig, d.routeName] : [d.outcome, "virtualHost" in d ? d.virtualHost.routeConfig : undefined];
  };

  it.each([
    [80, "http", ["https_redirect", "http.80"]],
    [443, "https", ["http.443", "any"]],
    [8080, "http", ["http.8080", "on-8080"]],
    // unknown listener ports (e.g. 8787 under wrangler dev): pick by scheme, preferring 80/443
    [8787, "http", ["https_redirect", "http.80"]],
    [8787, "https", ["http.443", "any"]],
  ] as const)("port %d %s", (port, scheme, expected) => {
    expect(at(port, scheme)).toEqual(expected);
  });

  it("httpsRedirect does not apply to https requests; virtualHost() exposes it", () => {
    const vh = router.virtualHost(req({ authority: "a.com", port: 80 }));
    expect(vh?.httpsRedirect).toBe(true);
    expect(router.route(req({ authority: "a.com", port: 80, scheme: "https" })).outcome).toBe("matched");
  });

  it("with a single HTTP server, any port and scheme use it", () => {
    const r = buildRouter(compile([httpGateway("g", ["*"]), vs("v", { hosts: ["x.com"], gateways: ["g"], http: [{ route: [{ destination: { host: "a" } }] }] })]));
    expect(r.route(req({ authority: "x.com", port: 443, scheme: "https" })).outcome).toBe("matched");
    expect(r.route(req({ authority: "x.com", port: 8787 })).outcome).toBe("matched");
  });
});

describe("mesh listener", () => {
  const router = buildRouter(
    compile([
      ...bookinfo(),
      se("ext", { hosts: ["api.partner.com"], resolution: "DNS", ports: [{ number: 443, name: "https", protocol: "HTTPS" }] }),
      se("wild", { hosts: ["*.wild.com"], resolution: "DYNAMIC_DNS", ports: [{ number: 80, name: "http", protocol: "HTTP" }] }),
      se("team-svc", { hosts: ["reviews"], resolution: "STATIC", ports: [{ number: 9080, name: "http" }], endpoints: [{ address: "binding:TEAM_REVIEWS" }] }, { namespace: "team" }),
    ]),
  );
  const vhostFor = (authority: string, sourceNamespace?: string) => {
    const d = router.route(req({ listener: "mesh", authority, port: 9080, ...(sourceNamespace ? { sourceNamespace } : {}) }));
    return d.outcome === "no_virtual_host" ? null : d.virtualHost.name;
  };

  it.each([
    ["reviews", "default", "reviews.default.svc.cluster.local"],
    ["reviews:9080", "default", "reviews.default.svc.cluster.local"],
    ["reviews", "team", "reviews.team.svc.cluster.local"],
    ["reviews.default", "team", "reviews.default.svc.cluster.local"],
    ["reviews.default.svc", "team", "reviews.default.svc.cluster.local"],
    ["reviews.default.svc.cluster.local:9080", "team", "reviews.default.svc.cluster.local"],
    ["REVIEWS", "default", "reviews.default.svc.cluster.local"],
    ["ratings", "default", "ratings.default.svc.cluster.local"],
    ["api.partner.com", "default", "api.partner.com"],
    ["x.wild.com", "default", "*.wild.com"],
    ["reviews", "nowhere", null],
    ["unknown.example.org", "default", null],
  ] as const)("%s from namespace %s", (authority, ns, expected) => {
    expect(vhostFor(authority, ns)).toBe(expected);
  });

  it("a caller without a namespace is in default", () => {
    expect(vhostFor("reviews")).toBe("reviews.default.svc.cluster.local");
  });

  it("mesh VirtualService routes apply (end-user jason → v2, else 50/50 v1/v3)", () => {
    const d = router.route(req({ listener: "mesh", authority: "reviews:9080", path: "/reviews/0", headers: { "end-user": "jason" } }));
    expect(d.outcome === "matched" && d.route.action.kind === "forward" && d.route.action.destinations[0]!.subset).toBe("v2");
    const other = router.route(req({ listener: "mesh", authority: "reviews:9080", path: "/reviews/0" }));
    expect(other.outcome === "matched" && other.routeName).toBe("split");
  });

  it("the default route forwards to the host's cluster", () => {
    const d = router.route(req({ listener: "mesh", authority: "details", path: "/x" }));
    expect(d.outcome).toBe("no_virtual_host"); // details is not registered in this fixture
    const p = router.route(req({ listener: "mesh", authority: "productpage:9080", path: "/x" }));
    expect(p.outcome === "matched" && p.route.action.kind === "forward" && p.route.action.destinations[0]!.cluster).toBe(
      "outbound|9080||productpage.default.svc.cluster.local",
    );
    expect(p.outcome === "matched" && router.cluster("outbound|9080||productpage.default.svc.cluster.local")?.endpoints).toEqual([
      { kind: "binding", binding: "PRODUCTPAGE", labels: { version: "v1" }, workload: 0, policySet: 0 },
    ]);
    expect(router.cluster("toString")).toBeUndefined();
  });
});
