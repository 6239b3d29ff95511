import { describe, expect, it } from "vitest";
import { parseHeader, requestUrl } from "../../src/cli/explain.js";
import { humanDuration } from "../../src/cli/human-duration.js";
import { notFoundMessage, quotedName, resourceName, resourceTable } from "../../src/cli/resource-printer.js";
import { normalizePrefix, normalizeServer } from "../../src/cli/run.js";
import { renderTable } from "../../src/cli/table.js";
import { kindInfo, type Resource } from "../../src/config/resource.js";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe("humanDuration (kubectl AGE)", () => {
  const rows: Array<[number, string]> = [
    [-5 * S, "<invalid>"],
    [-500, "0s"],
    [0, "0s"],
    [59 * S, "59s"],
    [119 * S, "119s"],
    [2 * M, "2m"],
    [3 * M + 20 * S, "3m20s"],
    [9 * M + 59 * S, "9m59s"],
    [10 * M + 30 * S, "10m"],
    [179 * M, "179m"],
    [3 * H, "3h"],
    [5 * H + 12 * M, "5h12m"],
    [8 * H + 30 * M, "8h"],
    [47 * H, "47h"],
    [2 * D, "2d"],
    [3 * D + 4 * H, "3d4h"],
    [8 * D, "8d"],
    [400 * D, "400d"],
    [2 * 365 * D + 10 * D, "2y10d"],
    [9 * 365 * D, "9y"],
  ];
  for (const [ms, text] of rows) it(`${ms}ms → ${text}`, () => expect(humanDuration(ms)).toBe(text));
});

describe("renderTable", () => {
  it("pads columns three spaces apart and trims trailing blanks", () => {
    expect(renderTable(["name", "hosts", "age"], [["reviews", '["reviews"]', "5m"], ["a", "", "1s"]])).toBe(
      'NAME      HOSTS         AGE\nreviews   ["reviews"]   5m\na                       1s\n',
    );
  });
});

describe("resource names (kubectl forms)", () => {
  const vs = kindInfo("VirtualService")!;
  it("apply/-o name", () => expect(resourceName(vs, "reviews")).toBe("virtualservice.networking.istio.io/reviews"));
  it("delete", () => expect(quotedName(vs, "reviews")).toBe('virtualservice.networking.istio.io "reviews"'));
  it("not found", () => expect(notFoundMessage(vs, "reviews")).toBe('virtualservices.networking.istio.io "reviews" not found'));
});

describe("resourceTable (Istio's printer columns)", () => {
  const now = Date.parse("2026-11-26T12:00:00Z");
  const made = (kind: Resource["kind"], name: string, spec: Record<string, unknown>, ns = "default"): Resource => ({
    apiVersion: "networking.istio.io/v1",
    kind,
    metadata: { name, namespace: ns, creationTimestamp: "2026-11-26T11:55:00Z" },
    spec,
  });
  const rows: Array<[Resource["kind"], Record<string, unknown>, string]> = [
    ["VirtualService", { hosts: ["bookinfo.local"], gateways: ["bookinfo-gateway"] }, 'NAME   GATEWAYS               HOSTS                AGE\nx      ["bookinfo-gateway"]   ["bookinfo.local"]   5m\n'],
    ["DestinationRule", { host: "reviews" }, "NAME   HOST      AGE\nx      reviews   5m\n"],
    ["ServiceEntry", { hosts: ["a.b"], location: "MESH_EXTERNAL", resolution: "DNS" }, 'NAME   HOSTS     LOCATION        RESOLUTION   AGE\nx      ["a.b"]   MESH_EXTERNAL   DNS          5m\n'],
    ["WorkloadEntry", { address: "binding:REVIEWS" }, "NAME   AGE   ADDRESS\nx      5m    binding:REVIEWS\n"],
    ["PeerAuthentication", { mtls: { mode: "STRICT" } }, "NAME   MODE     AGE\nx      STRICT   5m\n"],
    ["AuthorizationPolicy", { action: "DENY" }, "NAME   ACTION   AGE\nx      DENY     5m\n"],
    ["Gateway", {}, "NAME   AGE\nx      5m\n"],
    ["VirtualService", { hosts: ["h"] }, 'NAME   GATEWAYS   HOSTS   AGE\nx                 ["h"]   5m\n'],
  ];
  for (const [kind, spec, table] of rows) {
    it(`${kind} ${JSON.stringify(spec)}`, () => {
      expect(resourceTable(kindInfo(kind)!, [made(kind, "x", spec)], { allNamespaces: false, now })).toBe(table);
    });
  }
  it("Gateway API kinds print as kubectl prints their CRDs, status columns included", () => {
    const withStatus = (r: Resource, status: unknown) => ({ ...r, status }) as Resource;
    const route = made("HTTPRoute", "bookinfo", { hostnames: ["bookinfo.local"] });
    expect(resourceTable(kindInfo("HTTPRoute")!, [route], { allNamespaces: false, now })).toBe('NAME       HOSTNAMES            AGE\nbookinfo   ["bookinfo.local"]   5m\n');
    const gw = withStatus(made("KubernetesGateway", "gw", { gatewayClassName: "istio" }), { conditions: [{ type: "Accepted", status: "True" }, { type: "Programmed", status: "True" }] });
    expect(resourceTable(kindInfo("KubernetesGateway")!, [gw], { allNamespaces: false, now })).toBe("NAME   CLASS   ADDRESS   PROGRAMMED   AGE\ngw     istio             True         5m\n");
    const gc = withStatus(made("GatewayClass", "isthmus", { controllerName: "isthmus.dev/gateway-controller" }), { conditions: [{ type: "Accepted", status: "True" }] });
    expect(resourceTable(kindInfo("GatewayClass")!, [gc], { allNamespaces: false, now })).toBe("NAME      CONTROLLER                       ACCEPTED   AGE\nisthmus   isthmus.dev/gateway-controller   True       5m\n");
    expect(resourceName(kindInfo("KubernetesGateway")!, "gw")).toBe("gateway.gateway.networking.k8s.io/gw");
  });
  it("-A adds NAMESPACE first", () => {
    const table = resourceTable(kindInfo("Gateway")!, [made("Gateway", "gw", {}, "istio-system")], { allNamespaces: true, now });
    expect(table).toBe("NAMESPACE      NAME   AGE\nistio-system   gw     5m\n");
  });
  it("a resource without creationTimestamp has an unknown age", () => {
    const r = made("Gateway", "gw", {});
    delete r.metadata.creationTimestamp;
    expect(resourceTable(kindInfo("Gateway")!, [r], { allNamespaces: false, now })).toBe("NAME   AGE\ngw     <unknown>\n");
  });
});

describe("explain request", () => {
  const rows: Array<[string, Record<string, string>, string]> = [
    ["http://bookinfo.local/productpage", {}, "http://bookinfo.local/productpage"],
    ["https://api.example.com/v1?x=1", {}, "https://api.example.com/v1?x=1"],
    ["bookinfo.local/productpage", {}, "http://bookinfo.local/productpage"],
    ["/reviews/0", { host: "reviews" }, "http://reviews/reviews/0"],
  ];
  for (const [target, headers, url] of rows) it(`${target} → ${url}`, () => expect(requestUrl(target, headers)).toBe(url));
  it("a bare path needs a Host header", () => expect(() => requestUrl("/x", {})).toThrow(/has no host/));
  it("headers: name lower-cased, value trimmed", () => expect(parseHeader("End-User:  jason ")).toEqual(["end-user", "jason"]));
  it("headers: a colon is required", () => expect(() => parseHeader("nocolon")).toThrow(/invalid header/));
});

describe("--server and --prefix", () => {
  const servers: Array<[string, string]> = [
    ["http://127.0.0.1:8787", "http://127.0.0.1:8787"],
    ["http://127.0.0.1:8787/", "http://127.0.0.1:8787"],
    ["127.0.0.1:8787", "http://127.0.0.1:8787"],
    ["https://mesh.example.com/base/", "https://mesh.example.com/base"],
  ];
  for (const [input, out] of servers) it(`server ${input}`, () => expect(normalizeServer(input)).toBe(out));
  const prefixes: Array<[string, string]> = [["/_mesh", "/_mesh"], ["_mesh/", "/_mesh"], ["//admin//", "/admin"], ["/", ""]];
  for (const [input, out] of prefixes) it(`prefix ${input}`, () => expect(normalizePrefix(input)).toBe(out));
});
