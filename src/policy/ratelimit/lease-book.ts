/**
 * The isolate's half of leasing (lease.ts): the units the RateLimiter lent this isolate, per counter,
 * and `leasingStore`, a GlobalRateLimitStore in front of the Durable Object that
 *
 * - answers from a lease while every counter of the call has a unit left in a slice that has not ended
 *   (no call at all);
 * - renews ahead: when a local take leaves a counter low (under RENEW_FRACTION of the newest slice's
 *   units, or of its time), it sends ONE renewal (cost 0, this isolate's rate) in the background
 *   (`waitUntil`), so a busy isolate's requests never wait for the object; the renewal's units are a
 *   new slice beside the old one — each slice keeps the end the object gave it, the one ending first
 *   is used first;
 * - otherwise (no usable units) calls the object, awaited — but first waits for a call already in
 *   flight for the same counters (a renewal or another request's call) and tries the lease again, so
 *   concurrent requests on an empty lease make one call, not one each;
 * - gives back, with any call, the unused units of slices that have ended (those of the newest window
 *   only: the object ignores the others), at most once (a slice leaves the book when given back);
 * - remembers a refusal until the counter resets, so traffic over a limit costs no call per request;
 * - spreads a hot counter over sub-shards (`<shard>#<i>`, each with an exact share of a fixed window's
 *   limit) when the limit's rate is high, trying a second sub-shard when the first one refuses.
 *
 * Small limits (below LEASE_MIN_LIMIT) are never lent: one exact call per admitted request, as before,
 * and concurrent requests never wait for each other's calls.
 *
 * Why renewing ahead keeps lease.ts's guarantees: a renewal is an ordinary lease (cost 0), so the
 * object counts its units as taken and ends it no later than its window, measured from the renewal's
 * own send time; the old slice keeps its own, earlier end (it is never extended by the renewal, and the
 * renewal is never cut to the old end). What it costs: an isolate that goes quiet just after renewing
 * strands its new slice plus at most RENEW_FRACTION of the old one.
 */
import type { Background, GlobalRateLimitStore, GlobalTake, GlobalTakeResult } from "./global-store.js";
import { leasable, type GiveBack } from "./lease.js";
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
/**
 * Renew ahead when what is left of a counter's lease falls under this share of the newest slice's units,
 * or its time left under this share of its duration. A quarter of a lease (≥ 250 ms: leases last ≥ 1 s)
 * is ample for a renewal's round trip to an object on another continent and its durable write, while an
 * isolate holds at most 1.25 leases (the stranding bound grows by a quarter) and a steady isolate calls
 * 1 / (1 − ¼) ≈ 1.33 times per lease instead of once (a slice is renewed before its units or time run out).
 */
export const RENEW_FRACTION = 0.25;
/** A rate below this is not sent: the lease would be empty anyway. */
const MIN_RATE = 2;
/** Calls in flight a request waits for (then tries its lease again) before making its own call. */
const MAX_WAITS = 4;
/** Entries kept before expired ones are swept. */
const SWEEP_AT = 10_000;

/** One lease of a counter: what one call lent. */
interface Slice {
  units: number;
  /** Units lent by the call (for the renewal threshold). */
  granted: number;
  /** When the call was sent (this isolate's clock): the lease's time runs from here. */
  sentAt: number;
  /** Last moment (this isolate's clock) the units may be used. */
  usableUntil: number;
  window: number;
  /** When the counter resets (for X-RateLimit-Reset). */
  resetAt: number;
  /** The lease ends with its fixed window: renewing before then would only get the same window's units. */
  endsWithWindow: boolean;
  /** A renewal was sent while this was the newest slice (one renewal per slice). */
  renewed: boolean;
}

/** What `LeaseBook.add` records of a call's answer. */
export interface LeaseGrant {
  units: number;
  sentAt: number;
  usableUntil: number;
  window: number;
  resetAt: number;
  endsWithWindow?: boolean;
}

/** A local take: per counter, the units left in its usable slices and when it resets. */
export interface LocalTake {
  remaining: number;
  resetAt: number;
}

interface Rate {
  second: number;
  current: number;
  previous: number;
}

export class LeaseBook {
  /** Per counter, its slices ordered by end (the one ending first first). */
  private readonly leases = new Map<string, Slice[]>();
  private readonly refusedUntil = new Map<string, number>();
  private readonly rates = new Map<string, Rate>();
  /** Calls in flight per call key (renewals and awaited calls): promises of whether the call answered (never reject). */
  private readonly inFlight = new Map<string, Promise<boolean>>();

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

  /** The recent rate on `id` (requests per second) without counting a request. */
  rate(id: string, now: number): number {
    const r = this.rates.get(id);
    if (!r) return 0;
    const second = Math.floor(now / 1000);
    if (second === r.second) return Math.max(r.previous, r.current);
    return second === r.second + 1 ? r.current : 0;
  }

  /**
   * Takes `cost` from every counter named, all or none, each from its usable slice ending first;
   * undefined when one has no usable slice with enough units.
   */
  takeLocal(ids: readonly string[], costs: readonly number[], now: number): LocalTake[] | undefined {
    let found: Slice[] | undefined;
    for (let i = 0; i < ids.length; i++) {
      const slice = usable(this.leases.get(ids[i]!), costs[i]!, now);
      if (!slice) return undefined;
      (found ??= []).push(slice);
    }
    return found!.map((s, i) => {
      s.units -= costs[i]!;
      return { remaining: this.usableUnits(ids[i]!, now), resetAt: s.resetAt };
    });
  }

  /**
   * Is one of these counters low — usable units under RENEW_FRACTION of its newest slice's, or the
   * newest slice's time left under RENEW_FRACTION of its duration — with no renewal sent for it yet?
   */
  low(ids: readonly string[], now: number): boolean {
    for (const id of ids) {
      const slices = this.leases.get(id);
      const newest = slices && newestOf(slices);
      if (!newest || newest.renewed) continue;
      if (this.usableUnits(id, now) < RENEW_FRACTION * newest.granted) return true;
      if (!newest.endsWithWindow && newest.usableUntil - now < RENEW_FRACTION * (newest.usableUntil - newest.sentAt)) return true;
    }
    return false;
  }

  /** Marks the newest slices of `ids` as renewed (no second renewal on their account). */
  renewing(ids: readonly string[]): void {
    for (const id of ids) {
      const slices = this.leases.get(id);
      const newest = slices && newestOf(slices);
      if (newest) newest.renewed = true;
    }
  }

  /**
   * Removes the slices of `id` that have ended and answers their unused units to give back (once):
   * those of the newest window (the object ignores another window's units; for a token bucket, the
   * newest tag is the latest fill clock, which the object discounts least).
   */
  release(id: string, now: number): GiveBack | undefined {
    const slices = this.leases.get(id);
    if (!slices) return undefined;
    let back: GiveBack | undefined;
    const kept = slices.filter((s) => {
      if (now < s.usableUntil) return true;
      if (s.units > 0) {
        if (!back || s.window > back.window) back = { units: s.units, window: s.window };
        else if (s.window === back.window) back.units += s.units;
      }
      return false;
    });
    if (kept.length) this.leases.set(id, kept);
    else this.leases.delete(id);
    return back;
  }

  /** Records a slice lent to this isolate beside the ones it holds (each keeps its own end). */
  add(id: string, grant: LeaseGrant, now: number): void {
    if (!(grant.units > 0) || !(grant.usableUntil > now)) return;
    if (this.leases.size >= SWEEP_AT) this.sweep(now);
    const slice: Slice = { units: grant.units, granted: grant.units, sentAt: grant.sentAt, usableUntil: grant.usableUntil, window: grant.window, resetAt: grant.resetAt, endsWithWindow: grant.endsWithWindow ?? false, renewed: false };
    // Spent slices go (the new one is the newest now); ended ones with units stay until given back.
    const slices = this.leases.get(id)?.filter((s) => s.units > 0) ?? [];
    slices.push(slice);
    slices.sort((a, b) => a.usableUntil - b.usableUntil);
    this.leases.set(id, slices);
  }

  /** A call in flight for `callKey`, if any: true once it answered, false if it failed (never rejects). */
  pending(callKey: string): Promise<boolean> | undefined {
    return this.inFlight.get(callKey);
  }

  /** Tracks a call for `callKey` until it settles. */
  track(callKey: string, call: Promise<unknown>): void {
    const settled: Promise<boolean> = call.then(
      () => true,
      () => false,
    ).finally(() => {
      if (this.inFlight.get(callKey) === settled) this.inFlight.delete(callKey);
    });
    this.inFlight.set(callKey, settled);
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
    for (const slices of this.leases.values()) for (const s of slices) n += s.units;
    return n;
  }

  /** Slices held for `id` (tests). */
  slices(id: string): number {
    return this.leases.get(id)?.length ?? 0;
  }

  private usableUnits(id: string, now: number): number {
    let n = 0;
    for (const s of this.leases.get(id) ?? []) if (now < s.usableUntil) n += s.units;
    return n;
  }

  private sweep(now: number): void {
    for (const [id, slices] of this.leases) if (slices.every((s) => now >= s.usableUntil)) this.leases.delete(id);
    for (const [id, until] of this.refusedUntil) if (now >= until) this.refusedUntil.delete(id);
  }
}

/** The usable slice ending first with `cost` units left. */
function usable(slices: Slice[] | undefined, cost: number, now: number): Slice | undefined {
  if (!slices) return undefined;
  for (const s of slices) if (now < s.usableUntil && s.units >= cost) return s;
  return undefined;
}

/** The slice lent last. */
function newestOf(slices: Slice[]): Slice | undefined {
  let newest: Slice | undefined;
  for (const s of slices) if (!newest || s.sentAt >= newest.sentAt) newest = s;
  return newest;
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
 * What calls on one shard with one set of counters need, built on its first request and kept for the
 * snapshot (the strings are the book's keys: built once, not per request).
 */
interface Plan {
  rules: string[];
  limits: Limit[];
  /** Sub-shards to try, this isolate's preferred one first (one entry when the shard is not split). */
  order: number[];
  /** Per entry of `order`: the object's name, the counters' ids, their call key, the limits sent (shares). */
  names: string[];
  ids: string[][];
  callKeys: string[];
  sentLimits: Limit[][];
  /** Per counter: the id its rate is observed under, and its full limit (X-RateLimit-Limit). */
  rateIds: string[];
  full: number[];
  costs: number[];
  /** Every counter is leasable: concurrent requests wait for a call in flight, leases are renewed ahead. */
  lent: boolean;
}

function buildPlan(book: LeaseBook, shard: string, key: string, takes: readonly GlobalTake[]): Plan {
  const n = shardCount(takes);
  const first = n > 1 ? book.seed % n : 0;
  const order = n > 1 ? [first, (first + 1) % n] : [0];
  const names = order.map((i) => (n > 1 ? `${shard}#${i}` : shard));
  const ids = names.map((name) => takes.map((t) => `${name}|${key}|${t.rule}`));
  return {
    rules: takes.map((t) => t.rule),
    limits: takes.map((t) => t.limit),
    order,
    names,
    ids,
    callKeys: ids.map((callIds) => callIds.join("\u0000")),
    sentLimits: order.map((i) => takes.map((t) => shareOf(t.limit, n, i))),
    rateIds: takes.map((t) => `${shard}|${key}|${t.rule}`),
    full: takes.map((t) => (t.limit.type === "fixedWindow" ? t.limit.requests : t.limit.maxTokens)),
    costs: takes.map((t) => t.cost),
    lent: takes.every((t) => leasable(t.limit)),
  };
}

/** Does `plan` describe these takes (same counters, limits and costs)? */
function fits(plan: Plan, takes: readonly GlobalTake[]): boolean {
  if (plan.rules.length !== takes.length) return false;
  for (let j = 0; j < takes.length; j++) {
    const t = takes[j]!;
    if (t.rule !== plan.rules[j] || t.limit !== plan.limits[j] || t.cost !== plan.costs[j]) return false;
  }
  return true;
}

/**
 * A GlobalRateLimitStore that leases (see the file comment). `inner` is the one-call store of the
 * RateLimiter object (`rateLimiterStore`). Renewals ahead need the request's `background` function
 * (`ctx.waitUntil`); without one, the lease is renewed only when it runs out.
 *
 * @example buildRateLimiter(table, { local, global: leasingStore(rateLimiterStore(env.RATE_LIMITER), isolate.leases) })
 */
export function leasingStore(inner: GlobalRateLimitStore, book: LeaseBook, opts: LeasingOptions = { now: () => Date.now() }): GlobalRateLimitStore {
  const plans = new Map<string, Plan>();

  const planFor = (shard: string, key: string, takes: readonly GlobalTake[]): Plan => {
    let plan = plans.get(shard);
    if (plan && fits(plan, takes)) return plan;
    if (plans.size >= SWEEP_AT) plans.clear();
    plans.set(shard, (plan = buildPlan(book, shard, key, takes)));
    return plan;
  };

  const rateOf = (plan: Plan, j: number, now: number): number | undefined => {
    const rate = book.rate(plan.rateIds[j]!, now);
    return rate >= MIN_RATE ? rate : undefined;
  };

  /** Records the slices a call to entry k of the plan lent; sent at `sentAt`. */
  const remember = (plan: Plan, k: number, results: readonly GlobalTakeResult[], sentAt: number) => {
    const callIds = plan.ids[k]!;
    for (let j = 0; j < results.length && j < callIds.length; j++) {
      const r = results[j]!;
      if (r.leased && r.leased > 0 && r.leaseMs && r.leaseMs > 0) {
        const endsWithWindow = plan.limits[j]!.type === "fixedWindow" && r.leaseMs >= r.resetMs;
        book.add(callIds[j]!, { units: r.leased, sentAt, usableUntil: sentAt + r.leaseMs, window: r.window ?? 0, resetAt: sentAt + r.resetMs, endsWithWindow }, opts.now());
      }
    }
  };

  /** The takes of a call to entry k: the cost, the share of each limit, this isolate's rate, what it gives back. */
  const takesFor = (plan: Plan, k: number, cost: "request" | 0, now: number): GlobalTake[] | undefined => {
    const callIds = plan.ids[k]!;
    const sent: GlobalTake[] = [];
    for (let j = 0; j < callIds.length; j++) {
      const rate = rateOf(plan, j, now);
      // A renewal only asks for a lease: pointless without a rate.
      if (cost === 0 && rate === undefined) return undefined;
      const take: GlobalTake = { rule: plan.rules[j]!, limit: plan.sentLimits[k]![j]!, cost: cost === 0 ? 0 : plan.costs[j]! };
      if (rate !== undefined) take.rate = rate;
      sent.push(take);
    }
    for (let j = 0; j < callIds.length; j++) {
      const back = book.release(callIds[j]!, now);
      if (back) sent[j]!.giveBack = back;
    }
    return sent;
  };

  /** One background renewal (cost 0) of entry k's counters, when they run low and no call is in flight. */
  const renewAhead = (plan: Plan, k: number, key: string, now: number, run: Background) => {
    const callIds = plan.ids[k]!;
    const callKey = plan.callKeys[k]!;
    if (book.pending(callKey) || !book.low(callIds, now)) return;
    const sent = takesFor(plan, k, 0, now);
    if (!sent) return;
    book.renewing(callIds);
    const sentAt = opts.now();
    // Never awaited by a request; a failed renewal only means the next request that finds the lease
    // empty calls itself.
    const call = inner.take(plan.names[k]!, key, sent).then((results) => {
      if (Array.isArray(results) && results.length === sent.length && results.every((r) => r.allowed)) remember(plan, k, results, sentAt);
    });
    book.track(callKey, call);
    run(call.catch(() => undefined));
  };

  /** Entry k's counters answered from this isolate's lease, or undefined. */
  const fromLease = (plan: Plan, k: number, key: string, now: number, background: Background | undefined): GlobalTakeResult[] | undefined => {
    const local = book.takeLocal(plan.ids[k]!, plan.costs, now);
    if (!local) return undefined;
    if (background && plan.lent) renewAhead(plan, k, key, now, background);
    const out: GlobalTakeResult[] = [];
    for (let j = 0; j < local.length; j++) out.push({ allowed: true, remaining: local[j]!.remaining, resetMs: Math.max(0, local[j]!.resetAt - now), limit: plan.full[j]!, local: true });
    return out;
  };

  /** The units at hand answer without a promise; otherwise the call (or the wait for one in flight). */
  const takeNow = (shard: string, key: string, takes: GlobalTake[], background?: Background): GlobalTakeResult[] | Promise<GlobalTakeResult[]> => {
    const now = opts.now();
    const plan = planFor(shard, key, takes);
    for (const id of plan.rateIds) book.observe(id, now);
    const entries = plan.order.length;
    for (let k = 0; k < entries; k++) {
      const local = fromLease(plan, k, key, now, background);
      if (local) return local;
    }
    return callOrWait(plan, key, now, background);
  };

  return {
    takeNow,
    take: async (shard, key, takes, background) => takeNow(shard, key, takes, background),
  };

  async function callOrWait(plan: Plan, key: string, now: number, background: Background | undefined): Promise<GlobalTakeResult[]> {
    const entries = plan.order.length;
    let answer: GlobalTakeResult[] | undefined;
    for (let k = 0; k < entries; k++) {
      const callKey = plan.callKeys[k]!;
      // A call for these counters is in flight (a renewal, or a concurrent request's call): wait
      // for it and try the lease again before calling.
      for (let waits = 0; plan.lent && waits < MAX_WAITS && !book.refused(callKey, now); waits++) {
        const pending = book.pending(callKey);
        if (!pending) break;
        const answered = await pending;
        now = opts.now();
        // The object did not answer it: no more waiting behind others' calls, this request calls itself.
        if (!answered) break;
        const local = fromLease(plan, k, key, now, background);
        if (local) {
          for (const r of local) r.waited = true;
          return local;
        }
      }
      if (book.refused(callKey, now)) {
        answer ??= plan.full.map((limit) => ({ allowed: false, remaining: 0, resetMs: 0, limit, local: true }));
        continue;
      }
      const sent = takesFor(plan, k, "request", now)!;
      const sentAt = opts.now();
      const call = inner.take(plan.names[k]!, key, sent);
      if (plan.lent) book.track(callKey, call);
      const results = await call;
      remember(plan, k, results, sentAt);
      answer = results.map((r, j) => ({ ...r, limit: plan.full[j]! }));
      if (results.every((r) => r.allowed)) return answer;
      // Refused: remember until the refusing counter resets (no call per request over a limit).
      const resetMs = Math.max(...results.filter((r) => !r.allowed).map((r) => r.resetMs));
      if (resetMs > 0) book.refuse(callKey, sentAt + resetMs, opts.now());
    }
    return answer!;
  }
}
