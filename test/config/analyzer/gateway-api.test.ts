/**
 * Gateway API analyzer findings: IST0101 for references to nothing (backend Service, parent Gateway,
 * GatewayClass), ISTH0001 for what a Worker cannot serve, ISTH0002 for routes a parent refuses.
 */
import { describe, expect, it } from "vitest";
import { analyzeLines, docs } from "./harness.js";

const gateway = (listener = "{name: http, port: 80, protocol: HTTP}", cls = "istio") => `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: ${cls}
  listeners: [${listener}]
`;
const service = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews, namespace: default}
spec: {hosts: [reviews.default.svc.cluster.local], resolution: STATIC, ports: [{number: 9080, name: http, protocol: HTTP}], endpoints: [{address: binding:REVIEWS}]}
`;
const route = (body: string, ns = "default") => `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: ${ns}}
spec:
${body}
`;

describe("Gateway API analysis", () => {
  it("is clean for a route to a known Service through a served Gateway", () => {
    expect(analyzeLines(docs(gateway(), service, route("  parentRefs: [{name: gw}]\n  rules: [{backendRefs: [{name: reviews, port: 9080}]}]")))).toEqual([]);
  });

  it("IST0101: unknown backend Service, parent Gateway and GatewayClass", () => {
    const lines = analyzeLines(docs(gateway(undefined, "nope"), route("  parentRefs: [{name: gw}, {name: missing}]\n  rules: [{backendRefs: [{name: ratings, port: 9080}]}]")));
    expect(lines).toContain('Error [IST0101] (KubernetesGateway default/gw test.yaml:5) Referenced gatewayclass not found: "nope"');
    expect(lines).toContainEqual(expect.stringMatching(/Error \[IST0101\] \(HTTPRoute default\/r test\.yaml:\d+\) Referenced gateway not found: "default\/missing"/));
    expect(lines).toContainEqual(expect.stringMatching(/Error \[IST0101\] \(HTTPRoute default\/r test\.yaml:\d+\) Referenced host not found: "ratings.default.svc.cluster.local"/));
  });

  it("ISTH0001: TCP listeners, TLS passthrough and TCPRoutes cannot be served by a Worker", () => {
    const lines = analyzeLines(docs(
      gateway("{name: tcp, port: 9000, protocol: TCP}"),
      "\napiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: t, namespace: default}\nspec: {parentRefs: [{name: gw}]}\n",
    ));
    expect(lines.filter((l) => l.includes("ISTH0001"))).toHaveLength(2);
    expect(lines.join("\n")).toContain("listener protocol TCP is not supported by Isthmus");
    expect(lines.join("\n")).toContain("TCPRoute is not supported by Isthmus");
  });

  it("ISTH0002: a route from another namespace on a listener that allows only its own", () => {
    const lines = analyzeLines(docs(gateway(), service, route("  parentRefs: [{name: gw, namespace: default}]\n  rules: [{backendRefs: [{name: reviews, namespace: default, port: 9080}]}]", "other")));
    expect(lines.join("\n")).toContain("ISTH0002");
    expect(lines.join("\n")).toContain("NotAllowedByListeners");
  });
});
