/**
 * Which AuthorizationPolicies apply to the gateway: namespace scope (root namespace = mesh-wide),
 * `selector` against the gateway's labels, `targetRef(s)` naming a Gateway API Gateway.
 */
import { describe, expect, it } from "vitest";
import type { MeshOptions } from "../../../src/config/mesh-options.js";
import type { AuthorizationPolicySpec } from "../../../src/config/schemas/authorization-policy.js";
import { compileAuthorization, GATEWAY_NAME_LABEL } from "../../../src/policy/authz/index.js";
import { ap } from "./fixtures.js";

const CLASSIC: MeshOptions = { gatewayLabels: { istio: "ingressgateway", app: "edge" }, gatewayNamespace: "gateways", trustDomain: "cluster.local" };
const GATEWAY_API: MeshOptions = { gatewayLabels: { [GATEWAY_NAME_LABEL]: "public", app: "edge" }, gatewayNamespace: "gateways", trustDomain: "cluster.local" };
const GW_REF = { group: "gateway.networking.k8s.io", kind: "Gateway", name: "public" };

const rows: { name: string; mesh: MeshOptions; namespace: string; spec: AuthorizationPolicySpec; applies: boolean }[] = [
  { name: "root namespace, no selector: mesh-wide", mesh: CLASSIC, namespace: "istio-system", spec: { rules: [{}] }, applies: true },
  { name: "gateway namespace, no selector", mesh: CLASSIC, namespace: "gateways", spec: { rules: [{}] }, applies: true },
  { name: "another namespace", mesh: CLASSIC, namespace: "bookinfo", spec: { rules: [{}] }, applies: false },
  { name: "selector subset of the gateway labels", mesh: CLASSIC, namespace: "gateways", spec: { selector: { matchLabels: { istio: "ingressgateway" } } }, applies: true },
  { name: "selector with a label the gateway lacks", mesh: CLASSIC, namespace: "gateways", spec: { selector: { matchLabels: { istio: "egressgateway" } } }, applies: false },
  { name: "empty selector", mesh: CLASSIC, namespace: "gateways", spec: { selector: {} }, applies: true },
  { name: "root namespace selector applies mesh-wide to matching workloads", mesh: CLASSIC, namespace: "istio-system", spec: { selector: { matchLabels: { app: "edge" } } }, applies: true },
  { name: "targetRefs on a non-Gateway-API workload", mesh: CLASSIC, namespace: "gateways", spec: { targetRefs: [GW_REF] }, applies: false },
  { name: "targetRefs naming the gateway", mesh: GATEWAY_API, namespace: "gateways", spec: { targetRefs: [GW_REF] }, applies: true },
  { name: "singular targetRef naming the gateway", mesh: GATEWAY_API, namespace: "gateways", spec: { targetRef: GW_REF }, applies: true },
  { name: "targetRefs naming another Gateway", mesh: GATEWAY_API, namespace: "gateways", spec: { targetRefs: [{ ...GW_REF, name: "private" }] }, applies: false },
  { name: "targetRefs from the root namespace (no cross-namespace refs)", mesh: GATEWAY_API, namespace: "istio-system", spec: { targetRefs: [GW_REF] }, applies: false },
  { name: "targetRefs naming a Service", mesh: GATEWAY_API, namespace: "gateways", spec: { targetRefs: [{ group: "", kind: "Service", name: "public" }] }, applies: false },
  { name: "selector policies still apply to Gateway API gateways", mesh: GATEWAY_API, namespace: "gateways", spec: { selector: { matchLabels: { app: "edge" } } }, applies: true },
];

describe("policy scope", () => {
  for (const row of rows) {
    it(`${row.applies ? "applies" : "ignored"}: ${row.name}`, () => {
      const table = compileAuthorization([ap("p", row.spec, { namespace: row.namespace })], row.mesh);
      expect(table.allow.length).toBe(row.applies ? 1 : 0);
    });
  }

  it("groups by action and keeps creation order", () => {
    const table = compileAuthorization(
      [
        ap("b-deny", { action: "DENY", rules: [{}] }, { created: "2024-02-01T00:00:00Z" }),
        ap("a-deny", { action: "DENY", rules: [{}] }, { created: "2024-03-01T00:00:00Z" }),
        ap("audit", { action: "AUDIT", rules: [{}] }),
        ap("allow", { rules: [{}] }),
      ],
      CLASSIC,
    );
    expect(table.deny.map((p) => p.name)).toEqual(["b-deny", "a-deny"]);
    expect(table.audit.map((p) => p.name)).toEqual(["audit"]);
    expect(table.allow.map((p) => p.name)).toEqual(["allow"]);
    expect(JSON.parse(JSON.stringify(table))).toEqual(table);
  });
});
