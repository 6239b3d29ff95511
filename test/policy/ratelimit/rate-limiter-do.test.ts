/**
 * The RateLimiter Durable Object for real (workerd, SQLite storage, RPC), alone and behind
 * buildRateLimiter in global mode: exact under N parallel requests, one call per request, all-or-none
 * batches, malformed input refused, failures failing open, and the alarm cleaning up.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { rateLimiterStore, type RateLimiter } from "../../../src/durable/rate-limiter.js";
import type { GlobalRateLimitStore, GlobalTakeResult } from "../../../src/policy/ratelimit/global-store.js";
import type { Limit } from "../../../src/policy/ratelimit/limit.js";
import { limiter, request } from "./harness.js";

const ns = env.RATE_LIMITER;
let seq = 0;
/** A fresh object per test (storage is shared within the file). */
const fresh = () => ns.getByName(`rl:test/${Date.now()}-${++seq}`);
const bucket = (maxTokens: number, fillIntervalMs = 3_600_000): Limit => ({ type: "tokenBucket", maxTokens, tokensPerFill: 1, fillIntervalMs });
const results = (a: { results: GlobalTakeResult[] } | { error: string }) => {
  if ("error" in a) throw new Error(a.error);
  return a.results;
};
const window = (requests: number): Limit => ({ type: "fixedWindow", requests, unit: "day", windowMs: 86_400_000 });

describe("RateLimiter Durable Object", () => {
  it("take: token bucket over RPC", async () => {
    const stub = fresh();
    const now = Date.now();
    const rule = { id: "ns/p/r", limit: bucket(2, 1000) };
    expect(await stub.take(rule, "k", 1, now)).toEqual({ allowed: true, remaining: 1, resetMs: 1000, limit: 2 });
    expect(await stub.take(rule, "k", 1, now)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await stub.take(rule, "k", 1, now + 999)).toMatchObject({ allowed: false, remaining: 0, resetMs: 1 });
    expect(await stub.take(rule, "k", 1, now + 1000)).toMatchObject({ allowed: true, remaining: 0 });
    // Another key in the same object is its own counter.
    expect(await stub.take(rule, "other", 1, now)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("take: fixed window over RPC", async () => {
    const stub = fresh();
    const rule = { id: "ns/p/r", limit: window(1) };
    expect((await stub.take(rule, "k")).allowed).toBe(true);
    expect(await stub.take(rule, "k")).toMatchObject({ allowed: false, remaining: 0, limit: 1 });
  });

  it("takeAll: all counters or none", async () => {
    const stub = fresh();
    const takes = [
      { rule: "ns/p/burst", limit: bucket(1), cost: 1 },
      { rule: "ns/p/day", limit: window(10), cost: 1 },
    ];
    expect(results(await stub.takeAll("k", takes)).map((r) => r.allowed)).toEqual([true, true]);
    const refused = results(await stub.takeAll("k", takes));
    expect(refused.map((r) => r.allowed)).toEqual([false, true]);
    // The refused request took nothing from the day window.
    expect(refused[1]!.remaining).toBe(9);
    const stored = await runInDurableObject(stub, (o: RateLimiter) => o.counters());
    expect(stored.find((c) => c.rule === "ns/p/day")!.state).toMatchObject({ count: 1 });
  });

  it("N parallel calls: exactly the limit admitted", async () => {
    const stub = fresh();
    const rule = { id: "ns/p/r", limit: bucket(10) };
    const results = await Promise.all(Array.from({ length: 50 }, () => stub.take(rule, "k")));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.filter((r) => r.allowed).map((r) => r.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  // Answered with `{ error }`, not thrown: a rejected RPC would also trip vitest-pool-workers'
  // leaked-rejection bug (cloudflare/workers-sdk#14736).
  it("refuses malformed input instead of corrupting a counter", async () => {
    const stub = fresh();
    const take = (limit: unknown, cost: unknown = 1, rule: unknown = "ns/p/r") => ({ rule, limit, cost }) as never;
    const rows: { takes: unknown; error: string }[] = [
      { takes: [take({ type: "tokenBucket", maxTokens: 0, tokensPerFill: 1, fillIntervalMs: 1000 })], error: "not a valid limit" },
      { takes: [take({ type: "fixedWindow", requests: 1, windowMs: 0 })], error: "not a valid limit" },
      { takes: [take({ type: "leakyBucket" })], error: "not a valid limit" },
      { takes: [take(null)], error: "not a valid limit" },
      { takes: [take(bucket(1), -1)], error: "cost" },
      { takes: [take(bucket(1), 1.5)], error: "cost" },
      { takes: [take(bucket(1), 1, "")], error: "rule" },
      { takes: [], error: "1 to 64" },
      { takes: Array(65).fill(take(bucket(1))), error: "1 to 64" },
    ];
    for (const row of rows) expect(await stub.takeAll("k", row.takes as never)).toEqual({ error: expect.stringContaining(row.error) });
    expect(await runInDurableObject(stub, (o: RateLimiter) => o.counters())).toEqual([]);
  });

  it("the alarm deletes expired counters and keeps the rest", async () => {
    const stub = fresh();
    const long = Date.now() - 2 * 86_400_000;
    await stub.take({ id: "ns/p/old", limit: { type: "fixedWindow", requests: 5, unit: "second", windowMs: 1000 } }, "k", 1, long);
    await stub.take({ id: "ns/p/live", limit: window(5) }, "k");
    expect((await runInDurableObject(stub, (o: RateLimiter) => o.counters())).map((c) => c.rule)).toEqual(["ns/p/live", "ns/p/old"]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await runInDurableObject(stub, (o: RateLimiter) => o.counters())).map((c) => c.rule)).toEqual(["ns/p/live"]);
    // Rescheduled for the live counter's expiry.
    const alarm = await runInDurableObject(stub, (_o: RateLimiter, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now());
  });

  it("the alarm frees the object once no counter is left", async () => {
    const stub = fresh();
    await stub.take({ id: "ns/p/old", limit: { type: "fixedWindow", requests: 5, unit: "second", windowMs: 1000 } }, "k", 1, Date.now() - 86_400_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (o: RateLimiter) => o.counters())).toEqual([]);
    // Still usable afterwards.
    expect((await stub.take({ id: "ns/p/r", limit: window(1) }, "k")).allowed).toBe(true);
  });
});

describe("global mode through the Durable Object", () => {
  const POLICY = (name: string, extra = "") => `
apiVersion: policy.isthmus.dev/v1alpha1
kind: RateLimitPolicy
metadata: { name: ${name}, namespace: istio-system }
spec:
  mode: global
${extra}  rules:
  - {name: per-ip, key: [{remoteAddress: {}}], tokenBucket: {maxTokens: 10, fillInterval: 1h}}
  - {name: per-ip-day, key: [{remoteAddress: {}}], fixedWindow: {requests: 1000, unit: day}}
`;

  /** rateLimiterStore(env.RATE_LIMITER), counting calls. */
  function counted(): GlobalRateLimitStore & { calls: number } {
    const real = rateLimiterStore(ns);
    const store = { calls: 0, take: (shard: string, key: string, takes: Parameters<GlobalRateLimitStore["take"]>[2]) => (store.calls++, real.take(shard, key, takes)) };
    return store;
  }

  it("N parallel requests over a global limit: exactly `limit` admitted, one DO call each", async () => {
    const store = counted();
    // Two limiters stand for two gateway isolates sharing the Durable Object.
    const yaml = POLICY(`parallel-${Date.now()}`);
    const a = limiter(yaml, { global: store });
    const b = limiter(yaml, { global: store });
    const n = 40;
    const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => (i % 2 ? a : b).check(request({ remoteIp: "198.51.100.23" }))));
    expect(outcomes.filter((o) => !o.limited)).toHaveLength(10);
    expect(outcomes.filter((o) => o.limited).every((o) => o.limited && o.reply.status === 429 && o.reply.flag === "RL")).toBe(true);
    expect(outcomes.every((o) => o.globalCalls === 1)).toBe(true);
    expect(store.calls).toBe(n);
    // Another client is untouched.
    expect((await a.check(request({ remoteIp: "198.51.100.24" }))).limited).toBe(false);
  });

  it("headers come from the object's counters", async () => {
    const rl = limiter(POLICY(`headers-${Date.now()}`), { global: rateLimiterStore(ns) });
    const o = await rl.check(request());
    expect(o.headers).toEqual({ "x-ratelimit-limit": "10", "x-ratelimit-remaining": "9", "x-ratelimit-reset": "3600" });
  });

  it("an object error fails open, or 500 RLSE with failureModeDeny", async () => {
    // A take the object refuses stands in for any failure of the call (the store rejects).
    const broken: GlobalRateLimitStore = {
      take: (shard, key, takes) => rateLimiterStore(ns).take(shard, key, takes.map((t) => ({ ...t, cost: -1 }))),
    };
    const open = await limiter(POLICY(`open-${Date.now()}`), { global: broken }).check(request());
    expect(open).toMatchObject({ limited: false, failedOpen: [expect.stringMatching(/^istio-system\/open-/)] });
    const closed = await limiter(POLICY(`closed-${Date.now()}`, "  failureModeDeny: true\n"), { global: broken }).check(request());
    expect(closed).toMatchObject({ limited: true, reply: { status: 500, flag: "RLSE" } });
  });
});
