/**
 * Envoy's token bucket (`type.v3.TokenBucket`), computed lazily: the bucket starts full, every
 * `fillIntervalMs` it gains `tokensPerFill` tokens (never above `maxTokens`), and each request takes
 * one. Fills happen in discrete steps on a clock whose phase is fixed when the bucket is created, as
 * Envoy's fill timer does; nothing runs between requests, the fills are counted when a request comes.
 *
 * The state is plain JSON, so the same functions serve the per-isolate counters and the RateLimiter
 * Durable Object.
 */

export interface TokenBucket {
  maxTokens: number;
  tokensPerFill: number;
  fillIntervalMs: number;
}

export interface TokenBucketState {
  tokens: number;
  /** Time (ms) of the last fill step: the phase of the fill clock. */
  filledAt: number;
}

/** The bucket at `now`: fills since `filledAt` added. A missing state is a new, full bucket. */
export function refillBucket(b: TokenBucket, state: TokenBucketState | undefined, now: number): TokenBucketState {
  if (!state) return { tokens: b.maxTokens, filledAt: now };
  let { tokens, filledAt } = state;
  // A clock that went backwards (another isolate's) adds nothing; it never takes tokens away either.
  if (now > filledAt) {
    const steps = Math.floor((now - filledAt) / b.fillIntervalMs);
    if (steps > 0) {
      tokens = Math.min(b.maxTokens, tokens + steps * b.tokensPerFill);
      filledAt += steps * b.fillIntervalMs;
    }
  }
  // The policy may have shrunk since the state was written.
  if (tokens > b.maxTokens) tokens = b.maxTokens;
  return { tokens, filledAt };
}

/** Milliseconds from `now` to the next fill step (0 when the bucket is full: nothing to wait for). */
export function bucketResetMs(b: TokenBucket, state: TokenBucketState, now: number): number {
  if (state.tokens >= b.maxTokens) return 0;
  return Math.max(0, state.filledAt + b.fillIntervalMs - now);
}

/** When the bucket is full again; from then on the state is no stricter than a new bucket and may be dropped. */
export function bucketExpiresAt(b: TokenBucket, state: TokenBucketState): number {
  if (state.tokens >= b.maxTokens) return state.filledAt;
  const steps = Math.ceil((b.maxTokens - state.tokens) / b.tokensPerFill);
  return state.filledAt + steps * b.fillIntervalMs;
}
