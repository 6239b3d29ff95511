/**
 * compileRateLimits: RateLimitPolicy resources → the plain table. One table of rows for attachments
 * (targetRefs, hosts, workload scope), one for rules (limits in ms, header names, shards).
 */
import { describe, expect, it } from "vitest";
import { compileRateLimits } from "../../../src/config/compile/rate-limits.js";
import type { Attachment, RateLimitRuleEntry } from "../../../src/config/compile/rate-limit-table.js";
import { GATEWAY, MESH, resources, table } from "./harness.js";

const policy = (ns: string, spec: string) => `
apiVersion: policy.isthmus.dev/v1alpha1
kind: RateLimitPolicy
metadata: { name: p, namespace: ${ns} }
spec:
${spec.replace(/^\n/, "").replace(/^/gm, "  ")}
`;
const RULE = "rules: [{name: r, fixedWindow: {requests: 1, unit: second}}]";
const none: Attachment = { workload: false, gateways: [], virtualServices: [], hosts: [] };

describe("attachment", () => {
  const rows: { name: string; yaml: string; attach: Attachment }[] = [
    { name: "no targets in the gateway's namespace: every request", yaml: policy("istio-system", RULE), attach: { ...none, workload: true } },
    { name: "no targets in another namespace: nothing", yaml: policy("default", RULE), attach: none },
    {
      name: "Gateway: its servers' ports and hosts",
      yaml: GATEWAY + "---" + policy("istio-system", `targetRefs: [{kind: Gateway, name: bookinfo-gateway}]\n${RULE}`),
      attach: { ...none, gateways: [{ gateway: "istio-system/bookinfo-gateway", servers: [{ port: 80, hosts: ["bookinfo.example.com"] }, { port: 8080, hosts: ["admin.example.com"] }] }] },
    },
    {
      name: "Gateway sectionName: one server",
      yaml: GATEWAY + "---" + policy("istio-system", `targetRefs: [{kind: Gateway, name: bookinfo-gateway, sectionName: admin}]\n${RULE}`),
      attach: { ...none, gateways: [{ gateway: "istio-system/bookinfo-gateway", servers: [{ port: 8080, hosts: ["admin.example.com"] }] }] },
    },
    {
      name: "Gateway that does not exist: nothing",
      yaml: policy("istio-system", `targetRefs: [{kind: Gateway, name: missing}]\n${RULE}`),
      attach: none,
    },
    {
      name: "Gateway selecting another workload: nothing",
      yaml: GATEWAY.replace("istio: ingressgateway", "istio: egressgateway") + "---" + policy("istio-system", `targetRefs: [{kind: Gateway, name: bookinfo-gateway}]\n${RULE}`),
      attach: none,
    },
    {
      name: "server host namespace part dropped",
      yaml: GATEWAY.replace('hosts: ["bookinfo.example.com"]', 'hosts: ["default/bookinfo.example.com"]') + "---" + policy("istio-system", `targetRefs: [{kind: Gateway, name: bookinfo-gateway, sectionName: http}]\n${RULE}`),
      attach: { ...none, gateways: [{ gateway: "istio-system/bookinfo-gateway", servers: [{ port: 80, hosts: ["bookinfo.example.com"] }] }] },
    },
    {
      name: "VirtualService and one of its routes",
      yaml: policy("default", `targetRefs: [{kind: VirtualService, name: bookinfo}, {kind: VirtualService, name: reviews, sectionName: v2}]\n${RULE}`),
      attach: { ...none, virtualServices: [{ virtualService: "default/bookinfo" }, { virtualService: "default/reviews", route: "v2" }] },
    },
    {
      name: "hosts resolved like VirtualService hosts",
      yaml: policy("default", `hosts: [Bookinfo.Example.com, "*.example.org", reviews]\n${RULE}`),
      attach: { ...none, hosts: ["bookinfo.example.com", "*.example.org", "reviews.default.svc.cluster.local"] },
    },
  ];
  for (const row of rows) it(row.name, () => expect(table(row.yaml).policies[0]!.attach).toEqual(row.attach));
});

describe("rules", () => {
  const rows: { name: string; spec: string; rules: Partial<RateLimitRuleEntry>[] }[] = [
    {
      name: "token bucket in ms, tokensPerFill defaults to 1",
      spec: "rules: [{name: a, tokenBucket: {maxTokens: 10, fillInterval: 1m}}]",
      rules: [{ name: "a", id: "istio-system/p/a", key: [], shard: "a", limit: { type: "tokenBucket", maxTokens: 10, tokensPerFill: 1, fillIntervalMs: 60_000 } }],
    },
    {
      name: "fixed window units, upper case accepted",
      spec: "rules: [{name: a, fixedWindow: {requests: 5, unit: HOUR}}, {name: b, fixedWindow: {requests: 5, unit: day}}]",
      rules: [
        { limit: { type: "fixedWindow", requests: 5, unit: "hour", windowMs: 3_600_000 } },
        { limit: { type: "fixedWindow", requests: 5, unit: "day", windowMs: 86_400_000 } },
      ],
    },
    {
      name: "header names lower-cased in keys and matches",
      spec: "rules: [{name: a, match: [{headers: {X-Tier: {exact: free}}}], key: [{header: {name: X-Api-Key}}], fixedWindow: {requests: 5, unit: second}}]",
      rules: [{ key: [{ header: { name: "x-api-key" } }], match: [{ headers: { "x-tier": { exact: "free" } } }] }],
    },
    {
      name: "rules with the same key share a shard",
      spec: `rules:
- {name: burst, key: [{remoteAddress: {}}], tokenBucket: {maxTokens: 10, fillInterval: 1s}}
- {name: sustained, key: [{remoteAddress: {}}], fixedWindow: {requests: 1000, unit: hour}}
- {name: per-key, key: [{header: {name: x-api-key}}], fixedWindow: {requests: 100, unit: minute}}`,
      rules: [{ shard: "burst" }, { shard: "burst" }, { shard: "per-key" }],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const rules = table(policy("istio-system", row.spec)).policies[0]!.rules;
      expect(rules).toHaveLength(row.rules.length);
      row.rules.forEach((r, i) => expect(rules[i]).toMatchObject(r));
    });
  }

  it("policy fields and order", () => {
    const t = table(policy("b", `mode: global\nshadow: true\nfailureModeDeny: true\ntimeout: 250ms\n${RULE}`) + "---" + policy("a", RULE));
    expect(t.policies.map((p) => `${p.namespace}/${p.name}`)).toEqual(["a/p", "b/p"]);
    expect(t.policies[1]).toMatchObject({ mode: "global", shadow: true, failureModeDeny: true, timeoutMs: 250 });
    expect(t.policies[0]).toMatchObject({ mode: "local", shadow: false, failureModeDeny: false });
    expect(t.policies[0]!.timeoutMs).toBeUndefined();
  });

  it("ignores other kinds", () => {
    expect(compileRateLimits(resources(GATEWAY), MESH)).toEqual({ policies: [] });
  });
});
