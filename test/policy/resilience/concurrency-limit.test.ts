/**
 * DestinationRule `connectionPool` as a per-destination concurrency limit: the field mapping, slots,
 * the 503 `UO` overflow reply, and overflow never being retried.
 */
import { describe, expect, it } from "vitest";
import type { ConnectionPoolSettings } from "../../../src/config/schemas/destination-rule.js";
import { compileConcurrencyLimit, ConcurrencyLimiter, ConcurrencyLimiters, overflowReply } from "../../../src/policy/concurrency-limit.js";
import { compileRetryPolicy } from "../../../src/config/compile/retry-policy.js";
import { runWithRetries } from "../../../src/policy/retry/run-with-retries.js";
import { FakeClock } from "./fake-clock.js";

describe("compileConcurrencyLimit", () => {
  it.each<[string, ConnectionPoolSettings | undefined, number | undefined]>([
    ["no connectionPool", undefined, undefined],
    ["http2MaxRequests", { http: { http2MaxRequests: 100 } }, 100],
    ["maxConnections + http1MaxPendingRequests (Istio's circuit-breaking task: 1 + 1)", { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1 } }, 2],
    ["the smaller of the two", { tcp: { maxConnections: 10 }, http: { http1MaxPendingRequests: 10, http2MaxRequests: 5 } }, 5],
    ["maxConnections alone only queues (no overflow)", { tcp: { maxConnections: 1 } }, undefined],
    ["http1MaxPendingRequests alone: nothing waits, nothing overflows", { http: { http1MaxPendingRequests: 1 } }, undefined],
    ["0 means unset", { tcp: { maxConnections: 0 }, http: { http2MaxRequests: 0, http1MaxPendingRequests: 0 } }, undefined],
    ["other fields only", { http: { maxRetries: 3, idleTimeout: "1s" }, tcp: { connectTimeout: "1s" } }, undefined],
  ])("%s ⇒ %s", (_n, pool, expected) => {
    expect(compileConcurrencyLimit(pool)).toBe(expected);
  });
});

describe("ConcurrencyLimiter", () => {
  it("admits up to the limit, then overflows until a release", () => {
    const l = new ConcurrencyLimiter(2);
    expect([l.tryAcquire(), l.tryAcquire(), l.tryAcquire()]).toEqual([true, true, false]);
    expect(l.active).toBe(2);
    l.release();
    expect(l.tryAcquire()).toBe(true);
    l.release();
    l.release();
    l.release();
    expect(l.active).toBe(0);
  });

  it("unlimited never overflows", () => {
    const l = new ConcurrencyLimiter(undefined);
    for (let i = 0; i < 1000; i++) expect(l.tryAcquire()).toBe(true);
  });

  it("per cluster, with limits following the snapshot and counts surviving it", () => {
    const ls = new ConcurrencyLimiters();
    expect(ls.get("c", undefined)).toBeUndefined();
    const a = ls.get("a", 1)!;
    expect(a.tryAcquire()).toBe(true);
    expect(ls.get("b", 1)!.tryAcquire()).toBe(true);
    expect(ls.get("a", 1)!.tryAcquire()).toBe(false);
    // A new snapshot raises the limit; the request in flight still counts.
    const a2 = ls.get("a", 2)!;
    expect(a2).toBe(a);
    expect(a2.tryAcquire()).toBe(true);
    expect(a2.tryAcquire()).toBe(false);
  });

  it("overflow reply is Envoy's 503 UO", () => {
    expect(overflowReply()).toEqual({
      status: 503,
      body: "upstream connect error or disconnect/reset before headers. reset reason: overflow",
      flag: "UO",
      details: "upstream_reset_before_response_started{overflow}",
      headers: undefined,
    });
  });

  it("an overflowing attempt is not retried, even under 5xx,reset", async () => {
    const clock = new FakeClock();
    const limiter = new ConcurrencyLimiter(0);
    let calls = 0;
    const r = await clock.run(
      runWithRetries(
        async () => {
          calls++;
          if (!limiter.tryAcquire()) return { kind: "overflow" };
          return new Response("ok");
        },
        compileRetryPolicy({ attempts: 5, retryOn: "5xx,reset,connect-failure,gateway-error" }),
        { now: clock.now, sleep: clock.sleep, random: () => 0 },
      ),
    );
    expect(calls).toBe(1);
    expect(r.kind === "local" && r.reply).toEqual(overflowReply());
    expect(r.flags).toEqual(["UO"]);
  });
});
