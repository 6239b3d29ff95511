/**
 * Rate limits (RateLimitPolicy): compile once per config version, hydrate once per snapshot, check per
 * request (DESIGN §2 step 6). See docs/rate-limits.md.
 *
 * @example
 *   // compile (ConfigStore, with the other tables)
 *   snapshot.rateLimits = compileRateLimits(resources, mesh);
 *   // hydrate (once per snapshot; `counters` lives as long as the isolate)
 *   const limiter = buildRateLimiter(snapshot.rateLimits,
 *     { local: counters, global: rateLimiterStore(env.RATE_LIMITER) });
 *   // per request
 *   const outcome = await limiter.check({ host, path, method, headers, remoteIp, claims, routeName, virtualService });
 */
export { compileRateLimits, type RateLimitMesh } from "../../config/compile/rate-limits.js";
export { shardName, type GlobalRateLimitStore, type GlobalTake, type GlobalTakeResult } from "./global-store.js";
export { LocalCounters, DEFAULT_MAX_LOCAL_KEYS } from "./local-counters.js";
export {
  buildRateLimiter, rateLimitHeaders, RATE_LIMITED_BODY, RATE_LIMITED_HEADER,
  type CheckOptions, type RateLimitAllowed, type RateLimitLimited, type RateLimitOutcome, type RateLimiter, type RateLimiterDeps, type RuleDecision,
} from "./rate-limiter.js";
export type { RateLimitRequest } from "./request.js";
export { type RateLimitTable } from "../../config/compile/rate-limit-table.js";
export { LeaseBook, leasingStore, shardCount, shareOf, MAX_SHARDS, SHARD_RATE } from "./lease-book.js";
export { grantLease, giveBack, leaseHorizonMs, leasable, wantedUnits, LEASE_MIN_LIMIT, type GiveBack } from "./lease.js";
