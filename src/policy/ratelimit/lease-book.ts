/**
 * The isolate's half of leasing (lease.ts): the units the RateLimiter lent this isolate, per counter,
 * and `leasingStore`, a GlobalRateLimitStore in front of the Durable Object that
 *
 * - answers from a lease while every counter of the call has a unit left and its lease has not ended
 *   (no call at all);
 * - otherwise calls the object once, giving back what is left of the earlier leases (at most once: an
 *   entry leaves the book when it is given back) and asking for a new lease sized by this isolate's
 *   recent rate on the counter (the object decides the size and duration);
 * - remembers a refusal until the counter resets, so traffic over a limit costs no call per request;
 * - spreads a hot counter over sub-shards (`<shard>#<i>`, each with an exact share of a fixed window's
 *   limit) when the limit's rate is high, trying a second sub-shard when the first one refuses.
 *
 * Small limits (below LEASE_MIN_LIMIT) are never lent: one exact call per admitted request, as before.
 */
import type { GlobalRateLimitStore, GlobalTake, GlobalTakeResult } from "./global-store.js";
import type { GiveBack } from "./lease.js";
import type { Limit } from "./limit.js";

/**
 * A fixed window whose limit allows more than this many requests per second is split into sub-shards:
 * a sub-shard's calls are bounded by what it admits (every call admits a request or is a refusal, and a
 * refusal is remembered by its isolate until the window ends), so short windows — where every busy
 * isolate must call once per window whatever the lease — stay near this rate per object.
 */
export const SHARD_RATE = 250;
/** Most sub-shards of one counter. */
export const MAX_SHARDS = 256;
/** A rate below this is not sent: the lease would be empty anyway. */
const MIN_RATE = 2;
/** Entries kept before expired ones are swept. */
const SWEEP_AT = 10_000;

interface Lease {
  units: number;
  /** Last moment (this isolate's clock) the units may be used. */
  usableUntil: number;
  window: number;
  /** When the counter resets (for X-RateLimit-Reset). */
  resetAt: number;
  limit: number;
}

interface Rate {
  second: number;
  current: number;
  previous: number;
}

export class LeaseBook {
  private readonly leases = new Map<string, Lease>();
  private readonly refusedUntil = new Map<string, number>();
  private readonly rates = new Map<string, Rate>();

  private seedValue: number | undefined;

  /** @param seed picks this isolate's preferred sub-shard (spreads isolates over them); drawn on first use by default (never at global scope). */
  constructor(seed?: number) {
    this.seedValue = seed;
  }

  get seed(): number {
    return (this.seedValue ??= Math.floor(Math.random() * 2 ** 31));
  }

  /** Counts one request on `id` and answers the recent rate (requests per second). */
  observe(id: string, now: number): number {
    const second = Math.floor(now / 1000);
    let r = this.rates.get(id);
    if (!r) {
      if (this.rates.size >= SWEEP_AT) this.rates.clear();
      this.rates.set(id, (r = { second, current: 0, previous: 0 }));
    }
    if (r.second !== second) {
      r.previous = second === r.second + 1 ? r.current : 0;
      r.current = 0;
      r.second = second;
    }
    r.current++;
    return Math.max(r.previous, r.current);
  }

  /** Takes `cost` from every lease named, all or none; undefined when one lacks units or has ended. */
  takeLocal(ids: readonly string[], costs: readonly number[], now: number): Lease[] | undefined {
    const found: Lease[] = [];
    for (let i = 0; i < ids.length; i++) {
      const l = this.leases.get(ids[i]!);
      if (!l || now >= l.usableUntil || l.units < costs[i]!) return undefined;
      found.push(l);
    }
    found.forEach((l, i) => (l.units -= costs[i]!));
    return found;
  }

  /** Removes a lease and answers its unused units to give back (once). */
  release(id: string): GiveBack | undefined {
    const l = this.leases.get(id);
    if (!l) return undefined;
    this.leases.delete(id);
    return l.units > 0 ? { units: l.units, window: l.window } : undefined;
  }

  add(id: string, lease: Lease, now: number): void {
    if (this.leases.size >= SWEEP_AT) this.sweep(now);
    const old = this.leases.get(id);
    // Two calls of this isolate crossed: keep both slices, usable until the earlier end.
    if (old && old.window === lease.window && now < old.usableUntil) {
      lease = { ...lease, units: lease.units + old.units, usableUntil: Math.min(lease.usableUntil, old.usableUntil) };
    }
    this.leases.set(id, lease);
  }

  refused(id: string, now: number): boolean {
    const until = this.refusedUntil.get(id);
    if (until === undefined) return false;
    if (now < until) return true;
    this.refusedUntil.delete(id);
    return false;
  }

  refuse(id: string, until: number, now: number): void {
    if (this.refusedUntil.size >= SWEEP_AT) this.sweep(now);
    this.refusedUntil.set(id, until);
  }

  /** Units held now (usable or not yet given back): what this isolate would strand if it died. */
  held(): number {
    let n = 0;
    for (const l of this.leases.values()) n += l.units;
    return n;
  }

  private sweep(now: number): void {
    for (const [id, l] of this.leases) if (now >= l.usableUntil) this.leases.delete(id);
    for (const [id, until] of this.refusedUntil) if (now >= until) this.refusedUntil.delete(id);
  }
}

/** Sub-shards of a call: several only when every counter is a fixed window allowing more than SHARD_RATE/s. */
export function shardCount(takes: readonly GlobalTake[]): number {
  let n = MAX_SHARDS;
  for (const t of takes) {
    if (t.limit.type !== "fixedWindow") return 1;
    n = Math.min(n, Math.ceil((t.limit.requests / t.limit.windowMs) * 1000 / SHARD_RATE));
  }
  return Math.max(1, n);
}

/** Sub-shard `i` of `n`'s exact share of a limit (the shares add up to the limit). */
export function shareOf(limit: Limit, n: number, i: number): Limit {
  if (n === 1 || limit.type !== "fixedWindow") return limit;
  return { ...limit, requests: Math.floor(limit.requests / n) + (i < limit.requests % n ? 1 : 0) };
}

export interface LeasingOptions {
  now(): number;
}

/**
 * A GlobalRateLimitStore that leases (see the file comment). `inner` is the one-call store of the
 * RateLimiter object (`rateLimiterStore`).
 *
 * @example buildRateLimiter(table, { local, global: leasingStore(rateLimiterStore(env.RATE_LIMITER), isolate.leases) })
 */
export function leasingStore(inner: GlobalRateLimitStore, book: LeaseBook, opts: LeasingOptions = { now: () => Date.now() }): GlobalRateLimitStore {
  return {
    async take(shard, key, takes) {
      const now = opts.now();
      const n = shardCount(takes);
      const first = n > 1 ? book.seed % n : 0;
      const rates = takes.map((t) => book.observe(`${shard}|${key}|${t.rule}`, now));
      const order = n > 1 ? [first, (first + 1) % n] : [0];
      const name = (i: number) => (n > 1 ? `${shard}#${i}` : shard);
      const ids = (i: number) => takes.map((t) => `${name(i)}|${key}|${t.rule}`);
      const full = takes.map((t) => (t.limit.type === "fixedWindow" ? t.limit.requests : t.limit.maxTokens));

      for (const i of order) {
        const local = book.takeLocal(ids(i), takes.map((t) => t.cost), now);
        if (local) return local.map((l, j) => ({ allowed: true, remaining: l.units, resetMs: Math.max(0, l.resetAt - now), limit: full[j]!, local: true }));
      }
      let answer: GlobalTakeResult[] | undefined;
      for (const i of order) {
        const callIds = ids(i);
        const refusedKey = callIds.join("\u0000");
        if (book.refused(refusedKey, now)) {
          answer ??= takes.map((t, j) => ({ allowed: false, remaining: 0, resetMs: 0, limit: full[j]!, local: true }));
          continue;
        }
        const sent: GlobalTake[] = takes.map((t, j) => {
          const take: GlobalTake = { rule: t.rule, limit: shareOf(t.limit, n, i), cost: t.cost };
          if (rates[j]! >= MIN_RATE) take.rate = rates[j]!;
          const back = book.release(callIds[j]!);
          if (back) take.giveBack = back;
          return take;
        });
        const sentAt = opts.now();
        const results = await inner.take(name(i), key, sent);
        results.forEach((r, j) => {
          if (r.leased && r.leased > 0 && r.leaseMs && r.leaseMs > 0) {
            book.add(callIds[j]!, { units: r.leased, usableUntil: sentAt + r.leaseMs, window: r.window ?? 0, resetAt: sentAt + r.resetMs, limit: r.limit }, opts.now());
          }
        });
        answer = results.map((r, j) => ({ ...r, limit: full[j]! }));
        if (results.every((r) => r.allowed)) return answer;
        // Refused: remember until the refusing counter resets (no call per request over a limit).
        const resetMs = Math.max(...results.filter((r) => !r.allowed).map((r) => r.resetMs));
        if (resetMs > 0) book.refuse(refusedKey, sentAt + resetMs, opts.now());
      }
      return answer!;
    },
  };
}
