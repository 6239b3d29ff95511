/**
 * Rate-limit test harness: YAML → validated resources → compiled table → limiter, with a fake global
 * store that counts calls and can fail, and a request builder with sensible defaults.
 */
import { expect } from "vitest";
import { loadText } from "../../../src/config/loader.js";
import type { Resource } from "../../../src/config/resource.js";
import { validateDocuments } from "../../../src/config/validate.js";
import { compileRateLimits } from "../../../src/config/compile/rate-limits.js";
import type { GlobalRateLimitStore, GlobalTake, GlobalTakeResult } from "../../../src/policy/ratelimit/global-store.js";
import { takeAll, type LimitState } from "../../../src/policy/ratelimit/limit.js";
import { LocalCounters } from "../../../src/policy/ratelimit/local-counters.js";
import { buildRateLimiter, type RateLimiter, type RateLimiterDeps } from "../../../src/policy/ratelimit/rate-limiter.js";
import type { RateLimitRequest } from "../../../src/policy/ratelimit/request.js";
import type { RateLimitTable } from "../../../src/config/compile/rate-limit-table.js";

export const MESH = { gatewayLabels: { istio: "ingressgateway" }, gatewayNamespace: "istio-system" };

export function resources(yaml: string): Resource[] {
  const loaded = loadText(yaml.replace(/^\n/, ""), { file: "test.yaml" });
  expect(loaded.errors).toEqual([]);
  const { resources, errors } = validateDocuments(loaded.documents);
  expect(errors.map((e) => `${e.path}: ${e.message}`)).toEqual([]);
  return resources;
}

export function table(yaml: string): RateLimitTable {
  // The table goes into the snapshot as JSON: make sure it survives that.
  return JSON.parse(JSON.stringify(compileRateLimits(resources(yaml), MESH))) as RateLimitTable;
}

export function limiter(yaml: string, deps: RateLimiterDeps = {}): RateLimiter {
  return buildRateLimiter(table(yaml), { local: new LocalCounters(), ...deps });
}

export function request(over: Partial<RateLimitRequest> & { h?: Record<string, string> } = {}): RateLimitRequest {
  const { h, ...rest } = over;
  return { host: "bookinfo.example.com", path: "/productpage", method: "GET", headers: new Headers(h), remoteIp: "203.0.113.7", ...rest };
}

/** An in-memory GlobalRateLimitStore with the RateLimiter's semantics, counting calls. */
export class FakeGlobalStore implements GlobalRateLimitStore {
  calls: { shard: string; key: string; takes: GlobalTake[] }[] = [];
  fail: false | "throw" | "hang" = false;
  private readonly states = new Map<string, LimitState>();

  async take(shard: string, key: string, takes: GlobalTake[]): Promise<GlobalTakeResult[]> {
    this.calls.push({ shard, key, takes });
    if (this.fail === "throw") throw new Error("Durable Object reset");
    if (this.fail === "hang") return new Promise(() => {});
    const results = takeAll(takes.map((t) => ({ limit: t.limit, state: this.states.get(`${shard}/${t.rule}`), cost: t.cost })), this.now);
    results.forEach((r, i) => r.commit && this.states.set(`${shard}/${takes[i]!.rule}`, r.state));
    return results.map((r) => ({ allowed: r.allowed, remaining: r.remaining, resetMs: r.resetMs, limit: r.limit }));
  }

  now = 0;
}

export const GATEWAY = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: bookinfo-gateway, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers:
  - name: http
    port: { number: 80, name: http, protocol: HTTP }
    hosts: ["bookinfo.example.com"]
  - name: admin
    port: { number: 8080, name: admin, protocol: HTTP }
    hosts: ["admin.example.com"]
`;
