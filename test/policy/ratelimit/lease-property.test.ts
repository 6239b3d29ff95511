/**
 * Global limits by leasing, against the real RateLimiter Durable Object (workerd, SQLite, RPC):
 *
 * - property (fast-check): over random interleavings of concurrent requests from several isolates
 *   (calls — awaited ones and background renewals — answered in a random order, some replies lost
 *   after the object took), isolates dying with leases held or renewals in flight, and RateLimiter
 *   restarts (the object evicted), admitted ≤ limit
 *   in every window (fixed windows, sharded or not), and admitted ≤ size + fills (token buckets), for
 *   one counter or two taken together;
 * - small limits stay exact with one call per admitted request; a busy isolate calls once per many
 *   requests and, renewing ahead, awaits none after warm-up; concurrent requests on an empty lease make
 *   one call; unused units are given back.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GlobalRateLimitStore, GlobalTake, GlobalTakeResult } from "../../../src/policy/ratelimit/global-store.js";
import { LeaseBook, leasingStore, shardCount } from "../../../src/policy/ratelimit/lease-book.js";
import type { Limit } from "../../../src/policy/ratelimit/limit.js";
import type { TakeAllAnswer } from "../../../src/durable/rate-limiter.js";

let seq = 0;

/** The RateLimiter objects of one run, called with the test's clock; counts calls per object. */
function objects(clock: { t: number }) {
  const prefix = `rl:lease-test/${Date.now()}-${++seq}`;
  const calls = new Map<string, number>();
  /** The longest lease the objects lent (ms). */
  const longest = { leaseMs: 0 };
  const store: GlobalRateLimitStore = {
    async take(shard, key, takes) {
      calls.set(shard, (calls.get(shard) ?? 0) + 1);
      const answer = (await env.RATE_LIMITER.getByName(`${prefix}/${shard}`).takeAll(key, JSON.parse(JSON.stringify(takes)) as GlobalTake[], clock.t)) as TakeAllAnswer;
      if ("error" in answer) throw new Error(answer.error);
      for (const r of answer.results) longest.leaseMs = Math.max(longest.leaseMs, r.leaseMs ?? 0);
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
  /** Background renewals (every take of the call costs 0) and awaited calls, counted apart. */
  const kinds = { renewals: 0, awaited: 0 };
  const counted: GlobalRateLimitStore = {
    take(shard, key, takes) {
      if (takes.every((t) => t.cost === 0)) kinds.renewals++;
      else kinds.awaited++;
      return store.take(shard, key, takes);
    },
  };
  return { store, restart, calls, total, kinds, counted, longest };
}

const limits: fc.Arbitrary<Limit> = fc.oneof(
  fc.record({ type: fc.constant("fixedWindow" as const), requests: fc.constantFrom(3, 5, 100, 160, 2500), unit: fc.constant("second"), windowMs: fc.constantFrom(1000, 2000) }),
  fc.record({ type: fc.constant("tokenBucket" as const), maxTokens: fc.constantFrom(4, 150, 600), tokensPerFill: fc.constantFrom(1, 50), fillIntervalMs: fc.constantFrom(300, 1000) }),
);

type Op =
  | { op: "burst"; isolate: number; n: number; serial: boolean }
  | { op: "tick"; ms: number }
  | { op: "die"; isolate: number }
  | { op: "restart" }
  | { op: "lose"; replies: number };

const ops: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("burst" as const), isolate: fc.nat(5), n: fc.integer({ min: 1, max: 120 }), serial: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 900 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("die" as const), isolate: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("restart" as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("lose" as const), replies: fc.integer({ min: 1, max: 4 }) }) },
);

describe("global limits by leasing (RateLimiter Durable Object)", () => {
  it("property: admitted never exceeds the limit, whatever the interleaving, renewals, lost replies, deaths and restarts", async () => {
    let renewalsSent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(limits, { minLength: 1, maxLength: 2 }), fc.array(ops, { minLength: 5, maxLength: 30 }), fc.scheduler(), async (counters, plan, s) => {
        const clock = { t: 1_700_000_000_000 + (seq % 7) * 137 };
        const start = clock.t;
        const o = objects(clock);
        // A call reaches the object when the scheduler says (a renewal may get there after a tick: the
        // object's clock is then past the send time), and its answer comes back when it says.
        const answer = s.scheduleFunction((shard: string, key: string, takes: GlobalTake[]) => o.store.take(shard, key, takes));
        // `lose`: the next replies are lost after the object took (the caller sees a failed call).
        let lose = 0;
        const scheduled: GlobalRateLimitStore = {
          async take(shard, key, takes) {
            await s.schedule(Promise.resolve("sent"));
            const results = await answer(shard, key, takes);
            if (lose > 0) {
              lose--;
              throw new Error("reply lost");
            }
            return results;
          },
        };
        const books = Array.from({ length: 6 }, (_, i) => new LeaseBook(i * 7919));
        const stores = books.map((b) => leasingStore(scheduled, b, { now: () => clock.t }));
        const admittedAt: number[] = [];
        const take = counters.map((limit, i) => ({ rule: `ns/p/r${i}`, limit, cost: 1 }));
        // Renewals ahead run in the background: their calls are scheduled like the others (answered in
        // any order, possibly after later requests, after a tick, a restart or the isolate's death).
        const background: Promise<unknown>[] = [];
        const waitUntil = (p: Promise<unknown>) => {
          renewalsSent++;
          background.push(p);
        };
        for (const step of plan) {
          if (step.op === "tick") clock.t += step.ms;
          else if (step.op === "restart") await o.restart();
          else if (step.op === "lose") lose = step.replies;
          else if (step.op === "die") {
            books[step.isolate] = new LeaseBook(step.isolate * 7919 + 1);
            stores[step.isolate] = leasingStore(scheduled, books[step.isolate]!, { now: () => clock.t });
          } else {
            const store = stores[step.isolate]!;
            // A failed call admits nothing here (the gateway fails open or closed by policy, outside the limit).
            const one = () => store.take("rl:ns/p:r:k", "k", take, waitUntil).then((r) => {
              if (r.every((t) => t.allowed)) admittedAt.push(clock.t);
            }, () => undefined);
            // Concurrent (calls answered in any order) or one after another (leases used locally).
            if (step.serial) for (let i = 0; i < step.n; i++) await s.waitFor(one());
            else await s.waitFor(Promise.all(Array.from({ length: step.n }, one)));
          }
        }
        await s.waitFor(Promise.all(background));
        for (const limit of counters) {
          if (limit.type === "fixedWindow") {
            const perWindow = new Map<number, number>();
            for (const t of admittedAt) perWindow.set(Math.floor(t / limit.windowMs), (perWindow.get(Math.floor(t / limit.windowMs)) ?? 0) + 1);
            for (const n of perWindow.values()) expect(n).toBeLessThanOrEqual(limit.requests);
          } else {
            const fills = Math.floor((clock.t - start) / limit.fillIntervalMs) + 1;
            expect(admittedAt.length).toBeLessThanOrEqual(limit.maxTokens + fills * limit.tokensPerFill);
            // And over any stretch [a, b]: a lent unit was taken from the bucket at most one lease
            // before it was used, so at most a full bucket plus the fills from a − lease to b.
            const times = [...admittedAt].sort((x, y) => x - y);
            for (let i = 0; i < times.length; i++) {
              for (let j = i; j < times.length; j++) {
                const steps = Math.floor((times[j]! - times[i]! + o.longest.leaseMs) / limit.fillIntervalMs) + 1;
                if (j - i + 1 > limit.maxTokens + steps * limit.tokensPerFill) expect({ from: times[i], to: times[j], admitted: j - i + 1 }).toBe("within the bucket's bound");
              }
            }
          }
        }
      }),
      { numRuns: 35 },
    );
    // The model does exercise renewals ahead.
    expect(renewalsSent).toBeGreaterThan(10);
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

describe("renewing ahead and coalescing calls", () => {
  /** The counters of scenario (g) of `npm run bench`: a huge token bucket and hourly window on one key, one shard. */
  const benchTakes = [
    { rule: "ns/p/burst", limit: { type: "tokenBucket", maxTokens: 1_000_000, tokensPerFill: 1_000_000, fillIntervalMs: 1000 } as Limit, cost: 1 },
    { rule: "ns/p/hourly", limit: { type: "fixedWindow", requests: 1_000_000_000, unit: "hour", windowMs: 3_600_000 } as Limit, cost: 1 },
  ];

  it("a steady busy isolate (16 concurrent requests, 1000/s) awaits no call after warm-up: renewals run in the background", async () => {
    const clock = { t: 2_200_000_000_000 };
    const o = objects(clock);
    const book = new LeaseBook(0);
    const store = leasingStore(o.counted, book, { now: () => clock.t });
    const background: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void background.push(p);
    let admitted = 0;
    let awaitedAfterWarmUp = -1;
    let waitedAfterWarmUp = 0;
    for (let round = 0; round < 200; round++) {
      if (round === 5) awaitedAfterWarmUp = o.kinds.awaited;
      const results: GlobalTakeResult[][] = await Promise.all(Array.from({ length: 16 }, () => store.take("rl:bench", "203.0.113.7", benchTakes, waitUntil)));
      for (const r of results) {
        if (r.every((t) => t.allowed)) admitted++;
        if (round >= 5 && r.some((t) => t.waited || !t.local)) waitedAfterWarmUp++;
      }
      // A renewal's round trip takes less than a round (16 ms) here.
      await Promise.all(background.splice(0));
      clock.t += 16;
    }
    expect(admitted).toBe(3200);
    expect(waitedAfterWarmUp).toBe(0);
    expect(o.kinds.awaited - awaitedAfterWarmUp).toBe(0);
    expect(o.kinds.awaited).toBeLessThanOrEqual(2); // the cold start: the first request's rate sizes no lease
    // 3.2 s of leases lasting 1 s, renewed at a quarter left: a handful of renewals, not one per request.
    expect(o.kinds.renewals).toBeGreaterThanOrEqual(3);
    expect(o.kinds.renewals).toBeLessThan(30);
  });

  it("16 concurrent requests on an empty lease make one call, not 16", async () => {
    const clock = { t: 2_300_000_000_000 };
    const o = objects(clock);
    const book = new LeaseBook(0);
    const store = leasingStore(o.counted, book, { now: () => clock.t });
    // Without waitUntil nothing renews ahead: the lease runs out.
    for (let i = 0; i < 100; i++) {
      await store.take("rl:bench", "k", benchTakes);
      clock.t += 1;
    }
    clock.t += 1100; // the lease has ended; the rate (100/s last second) is still known
    const before = o.kinds.awaited;
    const results = await Promise.all(Array.from({ length: 16 }, () => store.take("rl:bench", "k", benchTakes)));
    expect(results.every((r) => r.every((t) => t.allowed))).toBe(true);
    expect(o.kinds.awaited - before).toBe(1);
    expect(results.filter((r) => r[0]!.waited)).toHaveLength(15);
  });

  it("requests that waited for a call that failed do not wait again: each calls itself", async () => {
    const clock = { t: 2_350_000_000_000 };
    const o = objects(clock);
    let calls = 0;
    const flaky: GlobalRateLimitStore = {
      async take(shard, key, takes) {
        if (++calls === 1) throw new Error("Durable Object reset");
        return o.store.take(shard, key, takes);
      },
    };
    const store = leasingStore(flaky, new LeaseBook(0), { now: () => clock.t });
    const settled = await Promise.allSettled(Array.from({ length: 16 }, () => store.take("rl:flaky", "k", benchTakes)));
    expect(settled.filter((r) => r.status === "rejected")).toHaveLength(1);
    expect(settled.every((r) => r.status === "rejected" || r.value.every((t) => t.allowed))).toBe(true);
    expect(calls).toBe(16);
  });

  it("a cold isolate's 16 concurrent requests make at most two calls", async () => {
    const clock = { t: 2_400_000_000_000 };
    const o = objects(clock);
    const store = leasingStore(o.counted, new LeaseBook(0), { now: () => clock.t });
    const results = await Promise.all(Array.from({ length: 16 }, () => store.take("rl:bench", "k", benchTakes)));
    expect(results.every((r) => r.every((t) => t.allowed))).toBe(true);
    // The first request's rate (1) sizes no lease; the second's call lends the other 14.
    expect(o.kinds.awaited).toBe(2);
  });

  it("a renewal is a second slice: the old one keeps its end, the new one its own, and ended units go back once", async () => {
    const clock = { t: 2_500_000_000_000 - (2_500_000_000_000 % 3_600_000) };
    const start = clock.t;
    const o = objects(clock);
    const limit: Limit = { type: "fixedWindow", requests: 100_000, unit: "hour", windowMs: 3_600_000 };
    const take = [{ rule: "ns/p/two", limit, cost: 1 }];
    expect(clock.t % limit.windowMs).toBe(0);
    const book = new LeaseBook(0);
    const store = leasingStore(o.counted, book, { now: () => clock.t });
    const background: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void background.push(p);
    const id = "rl:two|k|ns/p/two";
    let admitted = 0;
    // 200 requests/s: after a second (the rate known), wait for a renewal to be answered.
    let renewals = 0;
    for (let i = 0; clock.t < start + 1000 || o.kinds.renewals === renewals; i++) {
      if (clock.t < start + 1000) renewals = o.kinds.renewals;
      if ((await store.take("rl:two", "k", take, waitUntil))[0]!.allowed) admitted++;
      await Promise.all(background.splice(0));
      clock.t += 5;
      expect(i).toBeLessThan(1000);
    }
    // The old slice (a quarter left) and the new one, each with its own end.
    expect(book.slices(id)).toBe(2);
    // Idle past the old slice's end but not the new one's: the new slice still serves, locally.
    clock.t += 400;
    const r = await store.take("rl:two", "k", take, waitUntil);
    expect(r[0]!.local).toBe(true);
    admitted++;
    await Promise.all(background.splice(0));
    // Past every end: the next call gives back what was left; the counter holds only what was admitted
    // plus what is lent now.
    clock.t += 5000;
    const last = await store.take("rl:two", "k", take);
    admitted++;
    expect(last[0]!.local).toBeUndefined();
    expect(last[0]!.remaining + admitted + book.held()).toBe(100_000);
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
