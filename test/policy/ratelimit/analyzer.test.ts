/**
 * RateLimitPolicy analysis: one row per finding (YAML → validate → analyzeRateLimitPolicies), printed
 * as istioctl lines with file and line. Runs the check directly (it is registered in the analyzer
 * list by the lead).
 */
import { describe, expect, it } from "vitest";
import { AnalysisContext } from "../../../src/config/analyzer/context.js";
import { analyzeRateLimitPolicies } from "../../../src/config/analyzer/rate-limit-policies.js";
import { formatMessage } from "../../../src/config/errors.js";
import { loadText, type LoadedDocument } from "../../../src/config/loader.js";
import { resourceKey } from "../../../src/config/resource.js";
import { validateDocuments } from "../../../src/config/validate.js";
import { GATEWAY } from "./harness.js";

function lines(yaml: string): string[] {
  const loaded = loadText(yaml.replace(/^\n/, ""), { file: "rl.yaml" });
  expect(loaded.errors).toEqual([]);
  const { resources, errors } = validateDocuments(loaded.documents);
  expect(errors).toEqual([]);
  const sources = new Map<string, LoadedDocument>();
  resources.forEach((r, i) => sources.set(resourceKey(r), loaded.documents[i]!));
  const ctx = new AnalysisContext(resources, { gatewayLabels: { istio: "ingressgateway" }, gatewayNamespace: "istio-system", sources });
  analyzeRateLimitPolicies(ctx);
  return ctx.messages.map(formatMessage);
}

const VS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: bookinfo, namespace: istio-system }
spec:
  hosts: [bookinfo.example.com]
  gateways: [bookinfo-gateway]
  http:
  - name: reviews
    route: [{destination: {host: reviews.default.svc.cluster.local}}]
`;
const policy = (spec: string, ns = "istio-system") => `
apiVersion: policy.isthmus.dev/v1alpha1
kind: RateLimitPolicy
metadata: { name: p, namespace: ${ns} }
spec:
${spec.replace(/^\n/, "").replace(/^/gm, "  ")}
  rules: [{name: r, key: [{remoteAddress: {}}], fixedWindow: {requests: 1, unit: second}}]
`;
const docs = (...parts: string[]) => parts.map((p) => p.replace(/^\n/, "")).join("---\n");

describe("RateLimitPolicy analysis", () => {
  const rows: { name: string; yaml: string; lines: string[] }[] = [
    { name: "clean: gateway, route and host targets that exist", yaml: docs(GATEWAY, VS, policy("targetRefs: [{kind: Gateway, name: bookinfo-gateway, sectionName: http}, {kind: VirtualService, name: bookinfo, sectionName: reviews}]\nhosts: [bookinfo.example.com]")), lines: [] },
    { name: "clean: workload-wide in the gateway namespace", yaml: policy(""), lines: [] },
    {
      name: "missing Gateway",
      yaml: policy("targetRefs: [{kind: Gateway, name: nope}]"),
      lines: ['Error [IST0101] (RateLimitPolicy istio-system/p rl.yaml:5) Referenced gateway not found: "istio-system/nope"'],
    },
    {
      name: "missing server and VirtualService route",
      yaml: docs(GATEWAY, VS, policy("targetRefs: [{kind: Gateway, name: bookinfo-gateway, sectionName: https}, {kind: VirtualService, name: bookinfo, sectionName: ratings}]")),
      lines: [
        'Error [IST0101] (RateLimitPolicy istio-system/p rl.yaml:28) Referenced server in gateway istio-system/bookinfo-gateway not found: "https"',
        'Error [IST0101] (RateLimitPolicy istio-system/p rl.yaml:28) Referenced http route in virtualservice istio-system/bookinfo not found: "ratings"',
      ],
    },
    {
      name: "missing VirtualService",
      yaml: policy("targetRefs: [{kind: VirtualService, name: nope}]"),
      lines: ['Error [IST0101] (RateLimitPolicy istio-system/p rl.yaml:5) Referenced virtualservice not found: "istio-system/nope"'],
    },
    {
      name: "Gateway for another workload",
      yaml: docs(GATEWAY.replace("istio: ingressgateway", "istio: egressgateway"), policy("targetRefs: [{kind: Gateway, name: bookinfo-gateway}]")),
      lines: ["Warning [IST0167] (RateLimitPolicy istio-system/p rl.yaml:18) The policy has no impact: gateway istio-system/bookinfo-gateway does not select the gateway workload (istio=ingressgateway)."],
    },
    {
      name: "no targets in an app namespace",
      yaml: policy("", "default"),
      lines: ["Warning [IST0167] (RateLimitPolicy default/p rl.yaml:4) The policy has no impact: it has no targetRefs or hosts, and only policies in the gateway's namespace (istio-system) or the root namespace (istio-system) apply to every request."],
    },
    {
      name: "host no VirtualService serves",
      yaml: docs(VS, policy('hosts: [bookinfo.example.com, "*.example.org"]')),
      lines: ['Warning [IST0167] (RateLimitPolicy istio-system/p rl.yaml:15) The policy has no impact: host "*.example.org" matches no VirtualService host, so no request for it reaches rate limiting.'],
    },
  ];
  for (const row of rows) it(row.name, () => expect(lines(row.yaml)).toEqual(row.lines));

  it("claim keys need a RequestAuthentication on the gateway", () => {
    const claimPolicy = `
apiVersion: policy.isthmus.dev/v1alpha1
kind: RateLimitPolicy
metadata: { name: per-user, namespace: istio-system }
spec:
  rules:
  - {name: by-sub, key: [{claim: {name: sub}}], fixedWindow: {requests: 1, unit: second}}
  - {name: by-sub-or-anon, key: [{claim: {name: sub, default: anonymous}}], fixedWindow: {requests: 1, unit: second}}
`;
    expect(lines(claimPolicy)).toEqual([
      'Warning [IST0167] (RateLimitPolicy istio-system/per-user rl.yaml:6) The policy has no impact: rule by-sub keys on JWT claim "sub" but no RequestAuthentication applies to the gateway workload, so the rule never applies.',
    ]);
    const ra = `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: jwt, namespace: istio-system }
spec:
  jwtRules: [{issuer: "https://issuer.example.com", jwksUri: "https://issuer.example.com/jwks"}]
`;
    expect(lines(docs(claimPolicy, ra))).toEqual([]);
  });
});
