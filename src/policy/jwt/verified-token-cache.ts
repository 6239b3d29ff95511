/**
 * Tokens whose signature this gateway already verified (Envoy's per-provider `jwt_cache`), so a client
 * presenting the same token again costs a map lookup, not a signature check. Bounded (least recently
 * used entries go first) and time-limited: an entry lives until the cache TTL, and the caller still
 * re-checks `exp`/`nbf` on every hit, so an entry never outlives its token.
 */

export interface VerifiedTokenCacheOptions {
  /** Entries kept at most (default 1000). */
  maxEntries: number;
  /** An entry is dropped this long after insertion even if the token has not expired (default 5 min). */
  ttlMs: number;
}

export const DEFAULT_TOKEN_CACHE_OPTIONS: VerifiedTokenCacheOptions = { maxEntries: 1000, ttlMs: 5 * 60_000 };

export class VerifiedTokenCache<V> {
  private readonly map = new Map<string, { value: V; expiresAt: number }>();
  private readonly options: VerifiedTokenCacheOptions;

  constructor(options: Partial<VerifiedTokenCacheOptions> = {}) {
    this.options = { ...DEFAULT_TOKEN_CACHE_OPTIONS, ...options };
  }

  get size(): number {
    return this.map.size;
  }

  get(token: string, now: number): V | undefined {
    const hit = this.map.get(token);
    if (!hit) return undefined;
    if (now >= hit.expiresAt) {
      this.map.delete(token);
      return undefined;
    }
    // Re-insert: Map keeps insertion order, so the first key is always the least recently used.
    this.map.delete(token);
    this.map.set(token, hit);
    return hit.value;
  }

  /** Keeps `value` until `min(now + ttl, expiresAt)`. */
  set(token: string, value: V, now: number, expiresAt = Infinity): void {
    if (this.options.maxEntries <= 0) return;
    this.map.delete(token);
    while (this.map.size >= this.options.maxEntries) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
    this.map.set(token, { value, expiresAt: Math.min(now + this.options.ttlMs, expiresAt) });
  }

  delete(token: string): void {
    this.map.delete(token);
  }
}
