/**
 * One rule's limit, whichever algorithm it uses, as the compiled table stores it (plain JSON), and the
 * one operation both the per-isolate counters and the RateLimiter Durable Object perform on it: take
 * `cost` units at `now` from a stored state.
 */
import { rollWindow, windowExpiresAt, windowResetMs, type FixedWindowState } from "./fixed-window.js";
import { bucketExpiresAt, bucketResetMs, refillBucket, type TokenBucketState } from "./token-bucket.js";
import type { Limit } from "../../config/compile/rate-limit-table.js";

export type { FixedWindowLimit, Limit, TokenBucketLimit } from "../../config/compile/rate-limit-table.js";

export type LimitState = ({ type: "tokenBucket" } & TokenBucketState) | ({ type: "fixedWindow" } & FixedWindowState);

export interface Take {
  /** Were there `cost` units available? */
  allowed: boolean;
  /** Units left after this take (when allowed) or now (when not). */
  remaining: number;
  /** Milliseconds until the limit resets: next fill of the bucket, end of the window. */
  resetMs: number;
  /** The rule's limit (bucket capacity or requests per window), for `X-RateLimit-Limit`. */
  limit: number;
  /** The state to store if the take is committed (taken when allowed, merely refilled when not). */
  state: LimitState;
  /** When `state` may be forgotten: from then on a missing state is no more permissive. */
  expiresAt: number;
}

/** Takes `cost` units from `state` (undefined: a new counter) at `now`. Pure. */
export function takeLimit(limit: Limit, state: LimitState | undefined, now: number, cost = 1): Take {
  if (limit.type === "tokenBucket") {
    const s = refillBucket(limit, state?.type === "tokenBucket" ? state : undefined, now);
    const allowed = s.tokens >= cost;
    const next = allowed ? { tokens: s.tokens - cost, filledAt: s.filledAt } : s;
    return {
      allowed,
      remaining: Math.floor(next.tokens),
      resetMs: bucketResetMs(limit, next, now),
      limit: limit.maxTokens,
      state: { type: "tokenBucket", ...next },
      expiresAt: bucketExpiresAt(limit, next),
    };
  }
  const s = rollWindow(limit, state?.type === "fixedWindow" ? state : undefined, now);
  const allowed = s.count + cost <= limit.requests;
  const next = allowed ? { windowStart: s.windowStart, count: s.count + cost } : s;
  return {
    allowed,
    remaining: Math.max(0, limit.requests - next.count),
    resetMs: windowResetMs(limit, next, now),
    limit: limit.requests,
    state: { type: "fixedWindow", ...next },
    expiresAt: windowExpiresAt(limit, next),
  };
}

export interface AtomicTake extends Take {
  /** Whether `state` must be stored (every take of the set was allowed). */
  commit: boolean;
}

/**
 * Takes from several counters as one: either every counter has room and all are taken, or none is
 * (a request limited by one rule does not use up the others). `remaining` of an uncommitted take is
 * what is left without it.
 */
export function takeAll(items: readonly { limit: Limit; state: LimitState | undefined; cost: number }[], now: number): AtomicTake[] {
  const takes = items.map((i) => takeLimit(i.limit, i.state, now, i.cost));
  const commit = takes.every((t) => t.allowed);
  return takes.map((t, i) => {
    if (commit || !t.allowed) return { ...t, commit };
    // Allowed alone but not taken: report the counter as it stands.
    const item = items[i]!;
    return { ...takeLimit(item.limit, item.state, now, 0), allowed: true, commit };
  });
}


/** Is `limit` well-formed? (The Durable Object checks what it receives over RPC.) */
export function isValidLimit(limit: unknown): limit is Limit {
  if (typeof limit !== "object" || limit === null) return false;
  const l = limit as Record<string, unknown>;
  const whole = (v: unknown, min: number) => typeof v === "number" && Number.isSafeInteger(v) && v >= min;
  if (l.type === "tokenBucket") return whole(l.maxTokens, 1) && whole(l.tokensPerFill, 1) && whole(l.fillIntervalMs, 1);
  if (l.type === "fixedWindow") return whole(l.requests, 0) && whole(l.windowMs, 1);
  return false;
}
