/**
 * DestinationRule `connectionPool` as a per-destination concurrency limit (Envoy circuit breakers).
 *
 * A Worker has no upstream connection pool to size, so the pool limits become one number: how many
 * requests to a cluster may be in flight at once in this isolate. The mapping follows what Envoy's
 * thresholds allow concurrently:
 *
 * - `http.http2MaxRequests` → `max_requests`: concurrent requests — the limit itself;
 * - `tcp.maxConnections` → `max_connections` and `http.http1MaxPendingRequests` → `max_pending_requests`:
 *   with HTTP/1.1 upstreams a request holds a connection, and when all are busy it waits in the
 *   pending queue; overflow starts beyond connections + pending. Here the "pending" requests are not
 *   delayed, they just count: limit = maxConnections + http1MaxPendingRequests;
 * - the limit is the smaller of the two; unset or 0 fields are unlimited (Istio only sets positive
 *   values; its defaults are 2³²−1). `maxConnections` alone therefore never overflows — as in Envoy, where
 *   requests would only queue.
 *
 * Overflow ⇒ 503 `upstream connect error or disconnect/reset before headers. reset reason: overflow`
 * (`UO`), never retried. Counts are per isolate: N isolates admit up to N × limit in total.
 * `maxRetries` (concurrent retries) and `maxRequestsPerConnection` have no equivalent and are ignored.
 */
import { overflowReply } from "./retry/upstream-replies.js";

export { overflowReply };
export { compileConcurrencyLimit } from "../config/compile/connection-pool.js";

/** In-flight requests to one destination in this isolate. */
export class ConcurrencyLimiter {
  private inFlight = 0;

  /** @param limit concurrent requests allowed; undefined = unlimited */
  constructor(public limit: number | undefined) {}

  /** Takes a slot; false ⇒ overflow (answer {@link overflowReply}). Every true must be paired with `release()`. */
  tryAcquire(): boolean {
    if (this.limit !== undefined && this.inFlight >= this.limit) return false;
    this.inFlight++;
    return true;
  }

  release(): void {
    if (this.inFlight > 0) this.inFlight--;
  }

  get active(): number {
    return this.inFlight;
  }
}

/**
 * The isolate's limiters by cluster name. Limits follow the current snapshot while in-flight counts
 * survive a config change (requests started under the old config still hold their slots).
 *
 * @example
 *   const limiter = limiters.get(cluster.name, compiledLimit);
 *   if (limiter && !limiter.tryAcquire()) return toResponse(overflowReply());
 *   try { ... } finally { limiter?.release(); }
 */
export class ConcurrencyLimiters {
  private readonly byCluster = new Map<string, ConcurrencyLimiter>();

  /** undefined when the cluster has no limit and nothing is in flight under an older limit. */
  get(cluster: string, limit: number | undefined): ConcurrencyLimiter | undefined {
    let limiter = this.byCluster.get(cluster);
    if (!limiter) {
      if (limit === undefined) return undefined;
      limiter = new ConcurrencyLimiter(limit);
      this.byCluster.set(cluster, limiter);
    }
    limiter.limit = limit;
    return limiter;
  }
}
