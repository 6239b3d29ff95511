/**
 * Per-isolate counters for `mode: local`: rule id + key → limit state, in memory, no I/O. Bounded: at
 * most `maxKeys` counters, the least recently used forgotten first (a forgotten counter comes back
 * as a fresh one, which is why only idle counters should be evicted — a busy key is always recent).
 *
 * Keep one instance per isolate and pass it to every `buildRateLimiter`, so counters survive config
 * versions (a rule keeps its counters while its `namespace/policy/rule` id stays the same).
 */
import type { LimitState } from "./limit.js";

export const DEFAULT_MAX_LOCAL_KEYS = 100_000;

export class LocalCounters {
  private readonly states = new Map<string, LimitState>();

  constructor(readonly maxKeys = DEFAULT_MAX_LOCAL_KEYS) {}

  get size(): number {
    return this.states.size;
  }

  get(ruleId: string, key: string): LimitState | undefined {
    return this.states.get(counterKey(ruleId, key));
  }

  set(ruleId: string, key: string, state: LimitState): void {
    const k = counterKey(ruleId, key);
    // Re-inserting moves the key to the end of the Map's order: the order is recency.
    this.states.delete(k);
    this.states.set(k, state);
    if (this.states.size > this.maxKeys) {
      const oldest = this.states.keys().next().value;
      if (oldest !== undefined) this.states.delete(oldest);
    }
  }

  clear(): void {
    this.states.clear();
  }
}

function counterKey(ruleId: string, key: string): string {
  return `${ruleId}\u0000${key}`;
}
