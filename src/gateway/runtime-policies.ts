/**
 * The per-snapshot "hydrate" of the policy stages: their tables from `snapshot.policies` turned into
 * runtime objects (compiled matchers, key extractors, verifiers) once per config version, with the
 * Workers bindings they need. Per-isolate state that must outlive a config change (rate-limit
 * counters) lives at module level.
 */
import type { Snapshot } from "../config/snapshot.js";
import { rateLimiterStore } from "../durable/rate-limiter.js";
import { buildRateLimiter, LocalCounters, RATE_LIMITS_TABLE, type RateLimiter, type RateLimitTable } from "../policy/ratelimit/index.js";

export interface RuntimePolicies {
  rateLimiter: RateLimiter;
}

const localCounters = new LocalCounters();

export function buildRuntimePolicies(snapshot: Snapshot, env: Env): RuntimePolicies {
  return {
    rateLimiter: buildRateLimiter(snapshot.policies[RATE_LIMITS_TABLE] as RateLimitTable | undefined, {
      local: localCounters,
      global: env.RATE_LIMITER ? rateLimiterStore(env.RATE_LIMITER) : undefined,
    }),
  };
}
