/**
 * What global mode needs from the outside: one call that takes from the counters of one shard, made
 * by the RateLimiter Durable Object (src/durable/rate-limiter.ts `rateLimiterStore`). Injected, so the
 * policy stays free of Workers APIs and tests can count calls or make them fail.
 */
import type { GiveBack } from "./lease.js";
import type { Limit } from "./limit.js";

export interface GlobalTake {
  /** Rule id (`namespace/policy/rule`): the counter's name inside the shard. */
  rule: string;
  limit: Limit;
  cost: number;
  /** The caller's recent requests per second on this counter: asks for a lease sized by it (lease.ts). */
  rate?: number;
  /** Unused units of the caller's earlier lease, given back (before this take). */
  giveBack?: GiveBack;
}

export interface GlobalTakeResult {
  allowed: boolean;
  remaining: number;
  resetMs: number;
  limit: number;
  /** Units lent beyond this request (already counted as taken). */
  leased?: number;
  /** How long the lent units may be used, from when the call was sent (ms). */
  leaseMs?: number;
  /** The window the lease belongs to (to give units back with). */
  window?: number;
  /** Answered from this isolate's lease, without a call. */
  local?: boolean;
  /** Answered from this isolate's lease after waiting for a call in flight (another request's, or a renewal). */
  waited?: boolean;
}

/** Keeps a promise running after the response (`ctx.waitUntil`). */
export type Background = (p: Promise<unknown>) => void;

export interface GlobalRateLimitStore {
  /**
   * Takes from every counter of `takes` in the shard named `shard`, all or none (one Durable Object
   * call; exact, because the object handles one call at a time). Results in the order of `takes`.
   * `background` (the request's `waitUntil`) runs work the request does not wait for: a leasing store
   * renews leases ahead with it (lease-book.ts); without it, nothing is done in the background.
   */
  take(shard: string, key: string, takes: GlobalTake[], background?: Background): Promise<GlobalTakeResult[]>;
  /**
   * `take`, answered without a promise when it needs no I/O (a leasing store's units at hand): the
   * rate-limit stage then stays synchronous, as it is for local limits. Optional.
   */
  takeNow?(shard: string, key: string, takes: GlobalTake[], background?: Background): GlobalTakeResult[] | Promise<GlobalTakeResult[]>;
}

/** The Durable Object name of a shard: `rl:<namespace>/<policy>:<rule>:<key>`. */
export function shardName(namespace: string, policy: string, rule: string, key: string): string {
  return `rl:${namespace}/${policy}:${rule}:${key}`;
}
