/**
 * Global limits by leasing, against the real RateLimiter Durable Object (workerd, SQLite, RPC):
 *
 * - property (fast-check): over random interleavings of concurrent requests from several isolates
 *   (calls answered in a random order), isolates dying with leases held, and RateLimiter restarts
 *   (the object evicted), admitted ≤ limit in every window (fixed windows, sharded or not), and
 *   admitted ≤ size + fills (token buckets);
 * - small limits stay exact with one call per admitted request; a busy isolate calls once per many
 *   requests; unused units are given back.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GlobalRateLimitStore, GlobalTake } from "../../../src/policy/ratelimit/global-store.js";
import { LeaseBook, leasingStore, shardCount } from "../../../src/policy/ratelimit/lease-book.js";
import type { Limit } from "../../../src/policy/ratelimit/limit.js";
import type { TakeAllAnswer } from "../../../src/durable/rate-limiter.js";

let seq = 0;

/** The RateLimiter objects of one run, called with the test's clock; counts calls per object. */
function objects(clock: { t: number }) {
  const prefix = `rl:lease-test/${Date.now()}-${++seq}`;
  const calls = new Map<string, number>();
  const store: GlobalRateLimitStore = {
    async take(shard, key, takes) {
      calls.set(shard, (calls.get(shard) ?? 0) + 1);
      const answer = (await env.RATE_LIMITER.getByName(`${prefix}/${shard}`).takeAll(key, JSON.parse(JSON.stringify(takes)) as GlobalTake[], clock.t)) as TakeAllAnswer;
      if ("error" in answer) throw new Error(answer.error);
      return answer.results;
    },
  };
  const restart = async () => {
    for (const shard of calls.keys()) {
      // An object that is not running has nothing in memory to lose.
      await evictDurableObject(env.RATE_LIMITER.getByName(`${prefix}/${shard}`)).catch((e: Error) => {
        if (!/not currently running/.test(e.message)) throw e;
      });
    }
  };
  const total = () => [...calls.values()].reduce((a, b) => a + b, 0);
  return { store, restart, calls, total };
}

const limits: fc.Arbitrary<Limit> = fc.oneof(
  fc.record({ type: fc.constant("fixedWindow" as const), requests: fc.constantFrom(3, 5, 100, 160, 2500), unit: fc.constant("second"), windowMs: fc.constantFrom(1000, 2000) }),
  fc.record({ type: fc.constant("tokenBucket" as const), maxTokens: fc.constantFrom(4, 150, 600), tokensPerFill: fc.constantFrom(1, 50), fillIntervalMs: fc.constantFrom(300, 1000) }),
);

type Op =
  | { op: "burst"; isolate: number; n: number; serial: boolean }
  | { op: "tick"; ms: number }
  | { op: "die"; isolate: number }
  | { op: "restart" };

const ops: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("burst" as const), isolate: fc.nat(5), n: fc.integer({ min: 1, max: 120 }), serial: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 900 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("die" as const), isolate: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("restart" as const) }) },
);

describe("global limits by leasing (RateLimiter Durable Object)", () => {
  it("property: admitted never exceeds the limit, whatever the interleaving, deaths and restarts", async () => {
    await fc.assert(
      fc.asyncProperty(limits, fc.array(ops, { minLength: 5, maxLength: 30 }), fc.scheduler(), async (limit, plan, s) => {
        const clock = { t: 1_700_000_000_000 + (seq % 7) * 137 };
        const start = clock.t;
        const o = objects(clock);
        const scheduled: GlobalRateLimitStore = { take: s.scheduleFunction((shard: string, key: string, takes: GlobalTake[]) => o.store.take(shard, key, takes)) };
        const books = Array.from({ length: 6 }, (_, i) => new LeaseBook(i * 7919));
        const stores = books.map((b) => leasingStore(scheduled, b, { now: () => clock.t }));
        const admittedAt: number[] = [];
        const take = [{ rule: "ns/p/r", limit, cost: 1 }];
        for (const step of plan) {
          if (step.op === "tick") clock.t += step.ms;
          else if (step.op === "restart") await o.restart();
          else if (step.op === "die") {
            books[step.isolate] = new LeaseBook(step.isolate * 7919 + 1);
            stores[step.isolate] = leasingStore(scheduled, books[step.isolate]!, { now: () => clock.t });
          } else {
            const store = stores[step.isolate]!;
            const one = () => store.take("rl:ns/p:r:k", "k", take).then((r) => {
              if (r[0]!.allowed) admittedAt.push(clock.t);
            });
            // Concurrent (calls answered in any order) or one after another (leases used locally).
            if (step.serial) for (let i = 0; i < step.n; i++) await s.waitFor(one());
            else await s.waitFor(Promise.all(Array.from({ length: step.n }, one)));
          }
        }
        if (limit.type === "fixedWindow") {
          const perWindow = new Map<number, number>();
          for (const t of admittedAt) perWindow.set(Math.floor(t / limit.windowMs), (perWindow.get(Math.floor(t / limit.windowMs)) ?? 0) + 1);
          for (const n of perWindow.values()) expect(n).toBeLessThanOrEqual(limit.requests);
        } else {
          const fills = Math.floor((clock.t - start) / limit.fillIntervalMs) + 1;
          expect(admittedAt.length).toBeLessThanOrEqual(limit.maxTokens + fills * limit.tokensPerFill);
        }
      }),
      { numRuns: 35 },
    );
  }, 120_000);

  it("a small limit (5 per minute) stays exact: one call per admitted request, refusals remembered", async () => {
    const clock = { t: 1_800_000_000_000 };
    const o = objects(clock);
    const limit: Limit = { type: "fixedWindow", requests: 5, unit: "minute", windowMs: 60_000 };
    const stores = [new LeaseBook(1), new LeaseBook(2)].map((b) => leasingStore(o.store, b, { now: () => clock.t }));
    let admitted = 0;
    for (let i = 0; i < 20; i++) {
      const r = await stores[i % 2]!.take("rl:small", "k", [{ rule: "ns/p/small", limit, cost: 1 }]);
      if (r[0]!.allowed) admitted++;
      clock.t += 10;
    }
    expect(admitted).toBe(5);
    // 5 admitted, one refusal per isolate; the other refusals were answered from memory.
    expect(o.total()).toBe(7);
  });

  it("a busy isolate calls once per many requests; an exact count survives a restart", async () => {
    const clock = { t: 1_900_000_000_000 };
    const o = objects(clock);
    const limit: Limit = { type: "fixedWindow", requests: 100_000, unit: "minute", windowMs: 60_000 };
    expect(shardCount([{ rule: "r", limit, cost: 1 }])).toBe(7);
    const book = new LeaseBook(0);
    const store = leasingStore(o.store, book, { now: () => clock.t });
    let admitted = 0;
    for (let i = 0; i < 2000; i++) {
      if ((await store.take("rl:busy", "k", [{ rule: "ns/p/busy", limit, cost: 1 }]))[0]!.allowed) admitted++;
      clock.t += 2; // 500 requests per second
      if (i === 1000) await o.restart();
    }
    expect(admitted).toBe(2000);
    expect(o.total()).toBeLessThan(40);
  });

  it("unused units are given back with the next call (the counter does not keep them)", async () => {
    const clock = { t: 2_000_000_000_000 };
    const o = objects(clock);
    const limit: Limit = { type: "fixedWindow", requests: 1000, unit: "hour", windowMs: 3_600_000 };
    const book = new LeaseBook(0);
    const store = leasingStore(o.store, book, { now: () => clock.t });
    const take = [{ rule: "ns/p/gb", limit, cost: 1 }];
    for (let i = 0; i < 50; i++) {
      await store.take("rl:gb", "k", take);
      clock.t += 20;
    }
    expect(book.held()).toBeGreaterThan(0);
    clock.t += 60_000; // the lease has ended, units unused
    const held = book.held();
    const r = await store.take("rl:gb", "k", take);
    // 50 admitted + this one; the units held were given back, a new (smaller) lease may be out.
    expect(r[0]!.remaining + 51 + book.held()).toBe(1000);
    expect(held).toBeGreaterThan(0);
  });
});

describe("leases end with their window", () => {
  it("units lent near a window's end are not used in the next window", async () => {
    const clock = { t: 2_100_000_000_000 - 2_100_000_000_000 % 1000 + 800 };
    const o = objects(clock);
    const limit: Limit = { type: "fixedWindow", requests: 100, unit: "second", windowMs: 1000 };
    const take = [{ rule: "ns/p/edge", limit, cost: 1 }];
    const a = leasingStore(o.store, new LeaseBook(1), { now: () => clock.t });
    const b = leasingStore(o.store, new LeaseBook(2), { now: () => clock.t });
    let admittedNext = 0;
    for (let i = 0; i < 10; i++) await a.take("rl:edge", "k", take); // a busy isolate gets a lease
    clock.t += 300; // next window
    for (let i = 0; i < 150; i++) if ((await b.take("rl:edge", "k", take))[0]!.allowed) admittedNext++;
    for (let i = 0; i < 50; i++) if ((await a.take("rl:edge", "k", take))[0]!.allowed) admittedNext++;
    expect(admittedNext).toBe(100);
  });
});
