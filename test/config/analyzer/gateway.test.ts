/**
 * Gateway analyzer tables: IST0101 `selector` (the gateway workload is the only workload) and
 * IST0145 ConflictingGateways.
 */
import { describe, expect, it } from "vitest";
import { analyzeLines, docs, GATEWAY } from "./harness.js";

/** A Gateway `name` in `default` with one server (first selector label on line 8, servers[0] on line 10). */
function gateway(name: string, opts: { selector?: string; port?: number; hosts?: string[]; bind?: string } = {}): string {
  const selector = opts.selector ?? "    istio: ingressgateway\n";
  return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: default
spec:
  selector:
${selector}  servers:
  - port:
      number: ${opts.port ?? 80}
      name: http
      protocol: HTTP
${opts.bind ? `    bind: ${opts.bind}\n` : ""}    hosts:
${(opts.hosts ?? ["bookinfo.local"]).map((h) => `    - ${JSON.stringify(h)}\n`).join("")}`;
}

const NO_SELECTOR = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: any
  namespace: default
spec:
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts:
    - "*"
`;

interface Row {
  name: string;
  yaml: string;
  expected: string[];
  /** Gateway workload labels, when not `istio: ingressgateway`. */
  gatewayLabels?: Record<string, string>;
}

function table(rows: Row[]): void {
  for (const row of rows) {
    it(row.name, () => {
      const opts = { ...GATEWAY, gatewayLabels: row.gatewayLabels ?? GATEWAY.gatewayLabels };
      expect(analyzeLines(row.yaml, "gw.yaml", opts)).toEqual(row.expected);
    });
  }
}

describe("IST0101 ReferencedResourceNotFound: Gateway selector", () => {
  table([
    { name: "selector matches the gateway workload", yaml: gateway("gw"), expected: [] },
    { name: "no selector selects every workload", yaml: NO_SELECTOR, expected: [] },
    {
      name: "selector matching no workload",
      yaml: gateway("gw", { selector: "    istio: foo\n" }),
      expected: ['Error [IST0101] (Gateway default/gw gw.yaml:8) Referenced selector not found: "istio=foo"'],
    },
    {
      name: "selector with an extra label the gateway lacks (printed sorted)",
      yaml: gateway("gw", { selector: "    istio: ingressgateway\n    app: edge\n" }),
      expected: ['Error [IST0101] (Gateway default/gw gw.yaml:9) Referenced selector not found: "app=edge,istio=ingressgateway"'],
    },
  ]);
});

describe("IST0145 ConflictingGateways", () => {
  const conflict = (self: string, other: string, hosts = "bookinfo.local", port = 80) =>
    `Error [IST0145] (Gateway default/${self} gw.yaml:${self === "alpha" ? 10 : 26}) Conflict with gateways default/${other} (workload selector istio=ingressgateway, port ${port}, hosts ${hosts}).`;
  table([
    {
      name: "same selector, port and host",
      yaml: docs(gateway("alpha"), gateway("beta")),
      expected: [conflict("alpha", "beta"), conflict("beta", "alpha")],
    },
    {
      name: "same host among several, in another case",
      yaml: docs(gateway("alpha", { hosts: ["a.local", "bookinfo.local"] }), gateway("beta", { hosts: ["BOOKINFO.local"] })),
      expected: [
        "Error [IST0145] (Gateway default/alpha gw.yaml:10) Conflict with gateways default/beta (workload selector istio=ingressgateway, port 80, hosts a.local,bookinfo.local).",
        "Error [IST0145] (Gateway default/beta gw.yaml:27) Conflict with gateways default/alpha (workload selector istio=ingressgateway, port 80, hosts BOOKINFO.local).",
      ],
    },
    { name: "different ports", yaml: docs(gateway("alpha"), gateway("beta", { port: 8080 })), expected: [] },
    { name: "different hosts", yaml: docs(gateway("alpha"), gateway("beta", { hosts: ["shop.local"] })), expected: [] },
    {
      name: "overlapping but different hosts (Istio compares hosts as written)",
      yaml: docs(gateway("alpha", { hosts: ["*.local"] }), gateway("beta")),
      expected: [],
    },
    { name: "different binds", yaml: docs(gateway("alpha", { bind: "10.0.0.1" }), gateway("beta", { bind: "10.0.0.2" })), expected: [] },
    {
      name: "selectors that differ select different workloads",
      yaml: docs(gateway("alpha"), gateway("beta", { selector: "    istio: egressgateway\n" })),
      expected: ['Error [IST0101] (Gateway default/beta gw.yaml:24) Referenced selector not found: "istio=egressgateway"'],
    },
    {
      name: "a selector contained in the other, both selecting the gateway",
      yaml: docs(gateway("alpha"), gateway("beta", { selector: "    istio: ingressgateway\n    app: edge\n" })),
      gatewayLabels: { istio: "ingressgateway", app: "edge" },
      expected: [
        "Error [IST0145] (Gateway default/alpha gw.yaml:10) Conflict with gateways default/beta (workload selector istio=ingressgateway, port 80, hosts bookinfo.local).",
        "Error [IST0145] (Gateway default/beta gw.yaml:27) Conflict with gateways default/alpha (workload selector app=edge,istio=ingressgateway, port 80, hosts bookinfo.local).",
      ],
    },
    {
      name: "a selector contained in the other, one not selecting the gateway",
      yaml: docs(gateway("alpha"), gateway("beta", { selector: "    istio: ingressgateway\n    app: edge\n" })),
      expected: ['Error [IST0101] (Gateway default/beta gw.yaml:25) Referenced selector not found: "app=edge,istio=ingressgateway"'],
    },
  ]);
});
