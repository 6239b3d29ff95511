/**
 * A VirtualService `gateways` entry in the legacy FQDN form (`name.ns.svc.cluster.local`) names Gateway
 * `ns/name`, as pilot's resolveGatewayName reads it: Istio's webhook accepts it with a warning
 * (istioctl analyze: IST0133 SchemaWarning), never IST0101 — and the compiler binds it the same way.
 */
import { describe, expect, it } from "vitest";
import { legacyGatewayRef, resolveGatewayRef } from "../../../src/config/hosts.js";
import { GATEWAY_YAML, serviceEntry } from "./fixtures.js";
import { analyzeLines, docs } from "./harness.js";

function vs(gateway: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
  namespace: default
spec:
  hosts:
  - bookinfo.local
  gateways:
  - ${gateway}
  http:
  - route:
    - destination:
        host: productpage
`;
}

describe("legacy FQDN gateway names", () => {
  it.each([
    ["bookinfo-gateway.default.svc.cluster.local", "default/bookinfo-gateway"],
    ["bookinfo-gateway.default", "default/bookinfo-gateway"],
    ["edge.istio-system.svc.cluster.local", "istio-system/edge"],
  ])("%s names %s", (ref, expected) => {
    expect(legacyGatewayRef(ref)).toBe(expected);
    expect(resolveGatewayRef(ref, "other")).toBe(expected);
  });

  it("short and namespace/name references are not legacy", () => {
    expect(legacyGatewayRef("bookinfo-gateway")).toBeUndefined();
    expect(legacyGatewayRef("default/bookinfo-gateway")).toBeUndefined();
    expect(resolveGatewayRef("bookinfo-gateway", "shop")).toBe("shop/bookinfo-gateway");
  });

  it("an existing Gateway named in FQDN form gets Istio's warning, not IST0101", () => {
    expect(analyzeLines(docs(vs("bookinfo-gateway.default.svc.cluster.local"), serviceEntry("productpage"), GATEWAY_YAML), "bookinfo.yaml")).toEqual([
      'Warning [IST0133] (VirtualService default/bookinfo bookinfo.yaml:10) Schema validation warning: using legacy gatewayName format "bookinfo-gateway.default.svc.cluster.local"; prefer the <namespace>/<name> format: "default/bookinfo-gateway"',
    ]);
  });

  it("an FQDN reference to a Gateway that does not exist is still IST0101 (with the warning)", () => {
    const lines = analyzeLines(docs(vs("edge.shop.svc.cluster.local"), serviceEntry("productpage"), GATEWAY_YAML), "bookinfo.yaml");
    expect(lines).toContain('Error [IST0101] (VirtualService default/bookinfo bookinfo.yaml:10) Referenced gateway not found: "edge.shop.svc.cluster.local"');
    expect(lines.some((l) => l.startsWith("Warning [IST0133]"))).toBe(true);
  });
});
