/**
 * RateLimitPolicy through the gateway: a local per-client limit, a route-targeted limit and a global
 * limit held by the real RateLimiter Durable Object.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { applyYaml } from "../helpers/admin.js";
import { gatewayYaml, loopbackOriginYaml } from "../helpers/fixtures.js";

const { echo } = inject("origins");

const config = `
${gatewayYaml("rl", ["rl.example.com", "global.example.com"])}---
${loopbackOriginYaml("echo-rl", "echo-rl.internal", echo)}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: rl, namespace: default}
spec:
  hosts: [rl.example.com, global.example.com]
  gateways: [rl]
  http:
  - name: limited
    match: [{uri: {prefix: /limited}}]
    route: [{destination: {host: echo-rl.internal}}]
  - name: open
    route: [{destination: {host: echo-rl.internal}}]
---
apiVersion: policy.isthmus.dev/v1alpha1
kind: RateLimitPolicy
metadata: {name: per-client, namespace: default}
spec:
  targetRefs: [{kind: VirtualService, name: rl, sectionName: limited}]
  rules:
  - name: per-ip
    key: [{remoteAddress: {}}]
    tokenBucket: {maxTokens: 3, tokensPerFill: 3, fillInterval: 1h}
---
apiVersion: policy.isthmus.dev/v1alpha1
kind: RateLimitPolicy
metadata: {name: global-key, namespace: default}
spec:
  hosts: [global.example.com]
  mode: global
  rules:
  - name: per-key
    key: [{header: {name: x-api-key}}]
    fixedWindow: {requests: 5, unit: hour}
`;

const call = (host: string, path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(`http://127.0.0.1:8787${path}`, { headers: { host, ...headers } });

describe("rate limits through the gateway", () => {
  beforeAll(async () => {
    const res = await applyYaml(config);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("limits one client on the targeted route and answers 429 like Envoy", async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await call("rl.example.com", "/limited", { "cf-connecting-ip": "203.0.113.7" });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(await last!.text()).toBe("local_rate_limited");
    expect(last!.headers.get("x-envoy-ratelimited")).toBe("true");
    expect(last!.headers.get("x-ratelimit-limit")).toBe("3");
    expect(last!.headers.get("x-ratelimit-remaining")).toBe("0");
    // another client and another route are unaffected
    expect((await call("rl.example.com", "/limited", { "cf-connecting-ip": "203.0.113.8" })).status).toBe(200);
    expect((await call("rl.example.com", "/open", { "cf-connecting-ip": "203.0.113.7" })).status).toBe(200);
  });

  it("admits exactly the global limit among parallel requests", async () => {
    const key = `k-${Date.now()}`;
    const results = await Promise.all(Array.from({ length: 12 }, () => call("global.example.com", "/x", { "x-api-key": key })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    await Promise.all(results.map((r) => r.body?.cancel()));
  });
});
