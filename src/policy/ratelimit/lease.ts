/**
 * Leases of a global counter's budget (docs/scale.md, docs/rate-limits.md): the RateLimiter lends an
 * isolate a slice of what is left, counted as taken at once, so the isolate admits the next requests
 * locally until the slice is spent or its lease ends. Pure functions over the stored `LimitState`;
 * the RateLimiter Durable Object runs them inside its single-threaded `takeAll`.
 *
 * Why the limit is never exceeded: a lease is taken from the counter like requests are (the sum of
 * what was admitted and what is lent never passes the limit), a lease ends no later than the window
 * it was taken from (its duration is measured from the caller's send time, which precedes the grant),
 * and units given back are only those the isolate never admitted, given back at most once — to a token
 * bucket, less one fill per fill step since the grant (fills the bucket could not hold while the units
 * were out would have been lost with them in the bucket: see `giveBack`).
 *
 * What it costs: units lent to an isolate that stops getting traffic (or dies) stay unused until the
 * lease ends (stranded). A lease is at most `rate × horizon` and at most half of what is left, so what
 * can be stranded is at most one horizon of the key's traffic, and only when it is lent.
 */
import type { Limit, LimitState } from "./limit.js";
import { rollWindow } from "./fixed-window.js";
import { refillBucket } from "./token-bucket.js";

/** Limits below this (requests per window or bucket size) are never leased: one exact call per request. */
export const LEASE_MIN_LIMIT = 100;
/** A lease lasts this long when the object is not busy (ms). */
export const LEASE_BASE_MS = 1000;
/** Longest lease, however busy the object (ms). */
export const LEASE_MAX_MS = 10_000;
/** Calls per second an object aims to stay under: above it, leases get longer (so fewer calls). */
export const TARGET_CALLS_PER_SECOND = 200;

/** Units of an earlier lease the isolate did not use, given back (once) with its next call. */
export interface GiveBack {
  units: number;
  /** The window the lease came from: `windowStart` for fixed windows; for token buckets, the fill clock (`filledAt`) at the grant. */
  window: number;
}

export interface Grant {
  units: number;
  /** How long the caller may use the units, from the moment it sent the call (ms). */
  ttlMs: number;
  /** The window tag to give unused units back with. */
  window: number;
  state: LimitState;
}

/**
 * The lease duration at the object's current call rate: the base when quiet, growing with the rate
 * so that renewals stay near `TARGET_CALLS_PER_SECOND` whatever the number of isolates.
 */
export function leaseHorizonMs(callsPerSecond: number): number {
  const scaled = LEASE_BASE_MS * Math.max(1, callsPerSecond / TARGET_CALLS_PER_SECOND);
  return Math.min(LEASE_MAX_MS, Math.ceil(scaled));
}

/** Can this limit be leased at all (big enough that a slice in an idle isolate does not matter)? */
export function leasable(limit: Limit): boolean {
  return (limit.type === "fixedWindow" ? limit.requests : limit.maxTokens) >= LEASE_MIN_LIMIT;
}

/**
 * Lends units from `state` (already holding this request's take) at `now` to a caller that sees
 * `ratePerSecond` requests on the counter: what it would use before the lease ends (less the request
 * itself), at most half of what is left, and never past the end of the fixed window. No lease (0
 * units) for small limits.
 */
export function grantLease(limit: Limit, state: LimitState, now: number, ratePerSecond: number, horizonMs: number): Grant {
  const none = (window: number): Grant => ({ units: 0, ttlMs: 0, window, state });
  if (limit.type === "fixedWindow") {
    const s = rollWindow(limit, state.type === "fixedWindow" ? state : undefined, now);
    if (!leasable(limit)) return none(s.windowStart);
    const ttlMs = Math.min(horizonMs, s.windowStart + limit.windowMs - now);
    // Sized by the time the lease can be used: a slice lent late in a window must not outlast it unused.
    const units = Math.min(wantedUnits(ratePerSecond, ttlMs), Math.floor((limit.requests - s.count) / 2));
    if (units < 1 || ttlMs <= 0) return none(s.windowStart);
    return { units, ttlMs, window: s.windowStart, state: { type: "fixedWindow", windowStart: s.windowStart, count: s.count + units } };
  }
  const s = refillBucket(limit, state.type === "tokenBucket" ? state : undefined, now);
  if (!leasable(limit)) return none(0);
  const units = Math.min(wantedUnits(ratePerSecond, horizonMs), Math.floor(s.tokens / 2));
  // A bucket's slice is tagged with the fill clock at the grant (what `giveBack` counts fills from).
  if (units < 1) return none(s.filledAt);
  return { units, ttlMs: horizonMs, window: s.filledAt, state: { type: "tokenBucket", tokens: s.tokens - units, filledAt: s.filledAt } };
}

/**
 * Puts unused units back: into the same fixed window only (a later window never gets an earlier one's
 * units); into a token bucket up to its size, less `tokensPerFill` per fill step since the grant
 * (`back.window` is the bucket's fill clock then). Why less: while the units were out, a fill may have
 * found the bucket full and been dropped, where the bucket holding those units would have dropped it
 * too; each step can drop at most one fill, so what is returned never lets the bucket hold more than
 * it would have without the lease (a burst over the bucket's size). A tag of 0 (a slice lent before the
 * tag existed) returns nothing.
 */
export function giveBack(limit: Limit, state: LimitState | undefined, back: GiveBack, now: number): LimitState | undefined {
  if (!state || !(back.units > 0)) return state;
  if (limit.type === "fixedWindow") {
    if (state.type !== "fixedWindow") return state;
    const s = rollWindow(limit, state, now);
    if (s.windowStart !== back.window || state.windowStart !== back.window) return state;
    return { type: "fixedWindow", windowStart: s.windowStart, count: Math.max(0, s.count - Math.floor(back.units)) };
  }
  if (state.type !== "tokenBucket") return state;
  const s = refillBucket(limit, state, now);
  const steps = Math.max(0, Math.ceil((s.filledAt - back.window) / limit.fillIntervalMs));
  const units = Math.floor(back.units) - steps * limit.tokensPerFill;
  if (units <= 0) return state;
  return { type: "tokenBucket", tokens: Math.min(limit.maxTokens, s.tokens + units), filledAt: s.filledAt };
}

/** How many units to ask for: this isolate's recent rate over the horizon, less the request itself. */
export function wantedUnits(ratePerSecond: number, horizonMs: number): number {
  if (!(ratePerSecond > 0)) return 0;
  return Math.max(0, Math.ceil((ratePerSecond * horizonMs) / 1000) - 1);
}
