/**
 * What the RateLimiter decides about leases (src/policy/ratelimit/lease.ts), pure: units given back to a
 * token bucket are discounted by the fills since the grant, so a bucket never holds more than it would
 * have without the lease; fixed windows take back only their own window's units.
 */
import { describe, expect, it } from "vitest";
import { giveBack, grantLease } from "../../../src/policy/ratelimit/lease.js";
import type { Limit, LimitState } from "../../../src/policy/ratelimit/limit.js";
import { takeLimit } from "../../../src/policy/ratelimit/limit.js";

const bucket: Limit = { type: "tokenBucket", maxTokens: 200, tokensPerFill: 10, fillIntervalMs: 1000 };

describe("giving units back", () => {
  it("a token bucket gets back what is left after one fill per step since the grant", () => {
    const t0 = 1_000_000;
    const taken = takeLimit(bucket, undefined, t0, 1);
    const g = grantLease(bucket, taken.state, t0, 100, 1000);
    expect(g.units).toBe(99);
    expect(g.window).toBe(t0); // the fill clock at the grant
    // Right away (no fill since): everything back.
    const now = giveBack(bucket, g.state, { units: 99, window: g.window }, t0 + 500) as LimitState & { tokens: number };
    expect(now.tokens).toBe(199);
    // 12 s later the bucket refilled to full (fills dropped while the units were out); others then drained it.
    let s = takeLimit(bucket, g.state, t0 + 12_000, 0).state;
    expect((s as { tokens: number }).tokens).toBe(200);
    s = takeLimit(bucket, s, t0 + 12_000, 150).state;
    // A bucket that had held the 99 units would have dropped 12 fills of 10 as well: nothing comes back.
    expect((giveBack(bucket, s, { units: 99, window: g.window }, t0 + 12_000) as { tokens: number }).tokens).toBe(50);
    // Three steps later: 99 − 3 × 10 = 69 back.
    const three = takeLimit(bucket, g.state, t0 + 3_000, 0).state;
    expect((giveBack(bucket, three, { units: 99, window: g.window }, t0 + 3_000) as { tokens: number }).tokens).toBe(100 + 30 + 69);
    // A slice lent before the tag existed (0): nothing back.
    expect(giveBack(bucket, g.state, { units: 99, window: 0 }, t0 + 10)).toBe(g.state);
  });

  it("a fixed window takes back only its own window's units", () => {
    const w: Limit = { type: "fixedWindow", requests: 1000, unit: "second", windowMs: 1000 };
    const g = grantLease(w, takeLimit(w, undefined, 5_000, 1).state, 5_000, 200, 1000);
    expect(g.window).toBe(5_000);
    expect(giveBack(w, g.state, { units: g.units, window: 5_000 }, 5_500)).toEqual({ type: "fixedWindow", windowStart: 5_000, count: 1 });
    expect(giveBack(w, g.state, { units: g.units, window: 5_000 }, 6_100)).toBe(g.state);
  });
});
