/**
 * The Gateway API translation as pure functions: ReplacePrefixMatch, the match translation, the spec's
 * precedence across routes, and the route table the Bookinfo HTTPRoute compiles to — the same entries
 * the Bookinfo VirtualService gives, with gateway semantics marked.
 */
import { describe, expect, it } from "vitest";
import gatewayYaml from "../../../examples/bookinfo/bookinfo-gateway.yaml?raw";
import servicesYaml from "../../../examples/bookinfo/bookinfo-services.yaml?raw";
import gatewayApiYaml from "../../../examples/bookinfo/gateway-api/bookinfo-gateway.yaml?raw";
import { sortByPrecedence, translateMatch } from "../../../src/config/compile/gateway-api/http-route-rules.js";
import { loadText } from "../../../src/config/loader.js";
import type { Resource } from "../../../src/config/resource.js";
import type { Route } from "../../../src/config/snapshot.js";
import { validateDocuments } from "../../../src/config/validate.js";
import { replacePrefixMatch } from "../../../src/policy/rewrite.js";
import { compile } from "./fixtures.js";

function load(...texts: string[]): Resource[] {
  const { resources, errors } = validateDocuments(texts.flatMap((t) => loadText(t).documents));
  expect(errors).toEqual([]);
  return resources;
}

describe("ReplacePrefixMatch (the spec's table)", () => {
  const rows: Array<[string, string, string, string]> = [
    ["/foo", "/xyz", "/foo/bar", "/xyz/bar"],
    ["/foo", "/xyz/", "/foo/bar", "/xyz/bar"],
    ["/foo", "/", "/foo/bar", "/bar"],
    ["/foo", "/", "/foo", "/"],
    ["/foo", "/xyz", "/foo", "/xyz"],
    ["/", "/xyz", "/foo", "/xyz/foo"],
    ["/", "/", "/foo", "/foo"],
  ];
  for (const [prefix, replacement, path, out] of rows) {
    it(`${prefix} → ${replacement}: ${path} becomes ${out}`, () => expect(replacePrefixMatch(path, prefix, replacement)).toBe(out));
  }
});

describe("match translation", () => {
  it("PathPrefix is the default; a trailing slash does not count", () => {
    expect(translateMatch(undefined).uri).toEqual({ prefix: "/" });
    expect(translateMatch({ path: { value: "/foo/" } }).uri).toEqual({ prefix: "/foo" });
    expect(translateMatch({ path: { type: "Exact", value: "/a" }, method: "GET", headers: [{ name: "X-A", value: "1" }] }))
      .toEqual({ uri: { exact: "/a" }, method: { exact: "GET" }, headers: { "x-a": { exact: "1" } } });
  });

  it("precedence: Exact, then the longest prefix, method, more headers, more query params; else the order given", () => {
    const r = (name: string, m: Parameters<typeof translateMatch>[0]) => ({ name, rule: { match: [translateMatch(m)] } });
    const sorted = sortByPrecedence([
      r("catch-all", undefined),
      r("prefix-short", { path: { value: "/a" } }),
      r("regex", { path: { type: "RegularExpression", value: "/a/.*" } }),
      r("prefix-long", { path: { value: "/a/b" } }),
      r("prefix-long-method", { path: { value: "/a/b" }, method: "GET" }),
      r("exact", { path: { type: "Exact", value: "/a" } }),
      r("header", { headers: [{ name: "h", value: "1" }] }),
      r("query", { queryParams: [{ name: "q", value: "1" }] }),
    ]);
    expect(sorted.map((x) => x.name)).toEqual(["exact", "prefix-long-method", "prefix-long", "prefix-short", "header", "query", "catch-all", "regex"]);
  });
});

describe("Bookinfo: the HTTPRoute compiles to the VirtualService's route table", () => {
  const strip = (r: Route) => ({ match: { ...r.match, pathSeparatedPrefix: undefined }, action: { ...r.action, clusterNotFoundStatus: undefined } });
  it("same matches and destinations, PathPrefix segment-aware, missing backends 500", () => {
    const vsRoutes = compile(load(gatewayYaml, servicesYaml)).listeners.gateway.routeConfigs[0]!.virtualHosts[0]!.routes;
    const snapshot = compile(load(gatewayApiYaml, servicesYaml));
    const config = snapshot.listeners.gateway.routeConfigs[0]!;
    expect(config.port).toBe(80);
    const vhost = config.virtualHosts[0]!;
    expect(vhost.domains).toEqual(["*"]);
    const sortedVs = sortByPrecedence(vsRoutes.map((r) => ({ rule: { match: [{ uri: r.match.uri! }] }, r }))).map((x) => x.r);
    expect(vhost.routes.map(strip)).toEqual(sortedVs.map(strip));
    expect(vhost.routes.find((r) => r.match.uri?.prefix === "/static")?.match.pathSeparatedPrefix).toBe(true);
    expect(vhost.routes[0]!.source).toEqual({ kind: "HTTPRoute", namespace: "default", name: "bookinfo", http: 0 });
    expect((vhost.routes[0]!.action as { clusterNotFoundStatus?: number }).clusterNotFoundStatus).toBe(500);
  });
});
