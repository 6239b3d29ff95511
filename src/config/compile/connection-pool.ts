/**
 * DestinationRule `connectionPool` → one number: the concurrent requests a cluster takes in an isolate
 * (the mapping is explained in src/policy/concurrency-limit.ts, which enforces it).
 */
import type { ConnectionPoolSettings } from "../schemas/destination-rule.js";

/**
 * @returns the concurrent-request limit for a cluster, or undefined when unlimited
 *
 * @example compileConcurrencyLimit({ tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1 } }) // 2
 * @example compileConcurrencyLimit({ http: { http2MaxRequests: 100 } })                                 // 100
 */
export function compileConcurrencyLimit(pool: ConnectionPoolSettings | undefined): number | undefined {
  if (!pool) return undefined;
  const positive = (v: number | undefined): number => (v !== undefined && v > 0 ? v : Infinity);
  const maxRequests = positive(pool.http?.http2MaxRequests);
  const queued = positive(pool.tcp?.maxConnections) + positive(pool.http?.http1MaxPendingRequests);
  const limit = Math.min(maxRequests, queued);
  return Number.isFinite(limit) ? limit : undefined;
}

