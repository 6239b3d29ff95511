/**
 * Token bucket and fixed window math: tables of (limit, request times) → admitted pattern and the
 * X-RateLimit values, then properties: the lazy implementation agrees with a naive tick-by-tick
 * reference, never admits more than the limit in any window (even when the clock runs backwards), and
 * `takeAll` is all or nothing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { takeAll, takeLimit, type FixedWindowLimit, type LimitState, type TokenBucketLimit } from "../../../src/policy/ratelimit/limit.js";

const bucket = (maxTokens: number, tokensPerFill: number, fillIntervalMs: number): TokenBucketLimit => ({ type: "tokenBucket", maxTokens, tokensPerFill, fillIntervalMs });
const window = (requests: number, windowMs: number): FixedWindowLimit => ({ type: "fixedWindow", requests, unit: `${windowMs}ms`, windowMs });

/** Runs requests at `times` through one counter, committing allowed takes; returns the takes. */
function run(limit: TokenBucketLimit | FixedWindowLimit, times: readonly number[], cost = 1) {
  let state: LimitState | undefined;
  return times.map((t) => {
    const r = takeLimit(limit, state, t, cost);
    if (r.allowed) state = r.state;
    return r;
  });
}

const pattern = (takes: { allowed: boolean }[]) => takes.map((t) => (t.allowed ? "+" : "-")).join("");

describe("token bucket", () => {
  const rows: { name: string; limit: TokenBucketLimit; times: number[]; admitted: string; last?: { remaining: number; resetMs: number } }[] = [
    { name: "starts full, then empty", limit: bucket(3, 1, 1000), times: [0, 0, 0, 0], admitted: "+++-", last: { remaining: 0, resetMs: 1000 } },
    { name: "one token per interval", limit: bucket(1, 1, 1000), times: [0, 500, 999, 1000, 1500, 2000], admitted: "+--+-+" },
    { name: "fills in discrete steps on the creation phase", limit: bucket(2, 1, 1000), times: [100, 100, 1099, 1100, 1100], admitted: "++-+-" },
    { name: "tokensPerFill adds several at once", limit: bucket(5, 3, 1000), times: [0, 0, 0, 0, 0, 0, 1000, 1000, 1000, 1000], admitted: "+++++-+++-" },
    { name: "never above maxTokens after a long idle", limit: bucket(2, 1, 10), times: [0, 0, 100_000, 100_000, 100_000], admitted: "++++-" },
    { name: "reset counts to the next fill", limit: bucket(10, 1, 1000), times: [0, 250], admitted: "++", last: { remaining: 8, resetMs: 750 } },
    { name: "the fill clock keeps its phase across idle time", limit: bucket(1, 1, 1000), times: [0, 5000], admitted: "++", last: { remaining: 0, resetMs: 1000 } },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const takes = run(row.limit, row.times);
      expect(pattern(takes)).toBe(row.admitted);
      if (row.last) expect({ remaining: takes.at(-1)!.remaining, resetMs: takes.at(-1)!.resetMs }).toEqual(row.last);
    });
  }

  it("reports the limit and full bucket", () => {
    const r = takeLimit(bucket(7, 1, 1000), undefined, 0, 0);
    expect(r).toMatchObject({ allowed: true, limit: 7, remaining: 7, resetMs: 0 });
  });

  it("clamps a bucket whose policy shrank", () => {
    const r = takeLimit(bucket(2, 1, 1000), { type: "tokenBucket", tokens: 50, filledAt: 0 }, 10);
    expect(r).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("expires when full again", () => {
    const r = takeLimit(bucket(4, 2, 1000), undefined, 0, 3);
    expect(r.expiresAt).toBe(2000); // 1 token left: +2 at 1000, +2 at 2000 → full
  });
});

describe("fixed window", () => {
  const rows: { name: string; limit: FixedWindowLimit; times: number[]; admitted: string; last?: { remaining: number; resetMs: number } }[] = [
    { name: "requests per window", limit: window(2, 1000), times: [0, 1, 2, 999], admitted: "++--", last: { remaining: 0, resetMs: 1 } },
    { name: "aligned to the unit, not the first request", limit: window(1, 1000), times: [999, 1000, 1999, 2000], admitted: "++-+" },
    { name: "requests 0 blocks everything", limit: window(0, 1000), times: [0, 5000], admitted: "--" },
    { name: "remaining and reset", limit: window(10, 60_000), times: [30_000], admitted: "+", last: { remaining: 9, resetMs: 30_000 } },
    { name: "a clock running backwards stays in the newest window", limit: window(1, 1000), times: [1500, 500, 900], admitted: "+--" },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const takes = run(row.limit, row.times);
      expect(pattern(takes)).toBe(row.admitted);
      if (row.last) expect({ remaining: takes.at(-1)!.remaining, resetMs: takes.at(-1)!.resetMs }).toEqual(row.last);
    });
  }

  it("day windows are UTC days", () => {
    const day = 86_400_000;
    const t = Date.parse("2030-05-05T23:59:59.500Z");
    const takes = run(window(1, day), [t, t + 400, t + 500]);
    expect(pattern(takes)).toBe("+-+");
    expect(takes[1]!.resetMs).toBe(100);
  });
});

// ---- properties ----

const bucketArb = fc.record({
  maxTokens: fc.integer({ min: 1, max: 20 }),
  tokensPerFill: fc.integer({ min: 1, max: 5 }),
  fillIntervalMs: fc.integer({ min: 1, max: 500 }),
}).map((b) => bucket(b.maxTokens, b.tokensPerFill, b.fillIntervalMs));
const windowArb = fc.record({ requests: fc.integer({ min: 0, max: 20 }), windowMs: fc.integer({ min: 1, max: 500 }) }).map((w) => window(w.requests, w.windowMs));
/** Non-decreasing request times from a start. */
const monotonicTimes = fc
  .tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 120 }))
  .map(([start, gaps]) => gaps.reduce<number[]>((acc, g) => [...acc, (acc.at(-1) ?? start) + g], []));

/** Envoy's bucket as a timer would run it: full at t0, +tokensPerFill at every t0 + k·interval. */
function referenceBucket(b: TokenBucketLimit, times: number[]): boolean[] {
  const t0 = times[0]!;
  let tokens = b.maxTokens;
  let tick = 1;
  return times.map((t) => {
    while (t0 + tick * b.fillIntervalMs <= t) {
      tokens = Math.min(b.maxTokens, tokens + b.tokensPerFill);
      tick++;
    }
    if (tokens >= 1) {
      tokens--;
      return true;
    }
    return false;
  });
}

function referenceWindow(w: FixedWindowLimit, times: number[]): boolean[] {
  const counts = new Map<number, number>();
  return times.map((t) => {
    const win = Math.floor(t / w.windowMs);
    const c = counts.get(win) ?? 0;
    if (c < w.requests) {
      counts.set(win, c + 1);
      return true;
    }
    return false;
  });
}

describe("properties", () => {
  it("token bucket agrees with the tick-by-tick reference", () => {
    fc.assert(
      fc.property(bucketArb, monotonicTimes, (b, times) => {
        expect(run(b, times).map((t) => t.allowed)).toEqual(referenceBucket(b, times));
      }),
      { numRuns: 300 },
    );
  });

  it("token bucket never admits more than maxTokens + fills in any window", () => {
    fc.assert(
      fc.property(bucketArb, monotonicTimes, (b, times) => {
        const admitted = run(b, times).map((t) => t.allowed);
        const t0 = times[0]!;
        for (let i = 0; i < times.length; i++) {
          let n = 0;
          for (let j = i; j < times.length; j++) {
            if (admitted[j]) n++;
            // Fill steps k ≥ 1 at t0 + k·interval inside [times[i], times[j]].
            const fills = Math.floor((times[j]! - t0) / b.fillIntervalMs) - Math.max(0, Math.ceil((times[i]! - t0) / b.fillIntervalMs) - 1);
            expect(n).toBeLessThanOrEqual(b.maxTokens + b.tokensPerFill * Math.max(0, fills));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("fixed window agrees with the reference and never exceeds requests per window", () => {
    fc.assert(
      fc.property(windowArb, monotonicTimes, (w, times) => {
        const admitted = run(w, times).map((t) => t.allowed);
        expect(admitted).toEqual(referenceWindow(w, times));
        const per = new Map<number, number>();
        times.forEach((t, i) => admitted[i] && per.set(Math.floor(t / w.windowMs), (per.get(Math.floor(t / w.windowMs)) ?? 0) + 1));
        for (const n of per.values()) expect(n).toBeLessThanOrEqual(w.requests);
      }),
      { numRuns: 300 },
    );
  });

  it("a clock running backwards never buys extra requests", () => {
    const anyTimes = fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 100 });
    fc.assert(
      fc.property(bucketArb, windowArb, anyTimes, (b, w, times) => {
        // Bucket: at most full + the fills up to the latest time seen, counted from the first request.
        const nb = run(b, times).filter((t) => t.allowed).length;
        const latest = Math.max(...times);
        expect(nb).toBeLessThanOrEqual(b.maxTokens + b.tokensPerFill * Math.max(0, Math.floor((latest - times[0]!) / b.fillIntervalMs)));
        // Window: each request counts in the window of the latest time seen so far; each such window ≤ requests.
        const admitted = run(w, times).map((t) => t.allowed);
        const per = new Map<number, number>();
        let max = -Infinity;
        times.forEach((t, i) => {
          max = Math.max(max, t);
          const win = Math.floor(max / w.windowMs);
          if (admitted[i]) per.set(win, (per.get(win) ?? 0) + 1);
        });
        for (const n of per.values()) expect(n).toBeLessThanOrEqual(w.requests);
      }),
      { numRuns: 300 },
    );
  });

  it("takeAll takes from every counter or from none", () => {
    const stateArb = fc.option(fc.record({ tokens: fc.integer({ min: 0, max: 20 }), filledAt: fc.integer({ min: 0, max: 1000 }) }), { nil: undefined });
    fc.assert(
      fc.property(fc.array(fc.tuple(bucketArb, stateArb), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 2000 }), (items, now) => {
        const input = items.map(([limit, s]) => ({ limit, state: s && ({ type: "tokenBucket", ...s } as LimitState), cost: 1 }));
        const takes = takeAll(input, now);
        const alone = input.map((i) => takeLimit(i.limit, i.state, now, 1).allowed);
        const all = alone.every(Boolean);
        takes.forEach((t, k) => {
          expect(t.allowed).toBe(alone[k]);
          expect(t.commit).toBe(all);
          // Not committed: the remaining count is the counter as it stands, nothing taken.
          if (!all) expect(t.remaining).toBe(takeLimit(input[k]!.limit, input[k]!.state, now, 0).remaining);
        });
      }),
      { numRuns: 300 },
    );
  });
});
