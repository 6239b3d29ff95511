/**
 * RateLimiter: the counters of `mode: global` rate limits (DESIGN §1), one SQLite Durable Object per
 * shard, named `rl:<namespace>/<policy>:<rule>:<key>` (see src/policy/ratelimit/global-store.ts).
 *
 * Exact under concurrency: a Durable Object runs one event at a time, and `take`/`takeAll` read,
 * decide and write synchronously (SQLite calls do not yield), so no two requests ever see the same
 * counter value. Counters are stored, not only held in memory, so an evicted object does not forget a
 * day-long window. An alarm at the earliest expiry deletes counters that no longer restrict anything
 * (a bucket full again, a window over) and frees the object's storage once none is left.
 *
 * Time is the object's own clock (one clock per counter, whichever isolate calls); `now` may be passed
 * for tests. It never runs backwards for a counter: the algorithms ignore a `now` before the state's.
 */
import { DurableObject } from "cloudflare:workers";
import type { GlobalRateLimitStore, GlobalTake, GlobalTakeResult } from "../policy/ratelimit/global-store.js";
import { isValidLimit, takeAll, takeLimit, type Limit, type LimitState } from "../policy/ratelimit/limit.js";
import { giveBack, grantLease, leaseHorizonMs } from "../policy/ratelimit/lease.js";

/** A rule as the RateLimiter sees it: the counter name and its limit. */
export interface RateLimiterRule {
  id: string;
  limit: Limit;
}

/** Largest cost one take may ask for. */
const MAX_COST = 1_000_000;
/** Most takes in one call (a policy has at most 64 rules). */
const MAX_TAKES = 64;

export class RateLimiter extends DurableObject<Env> {
  private schemaReady = false;
  /** When the cleanup alarm is set for; null: none; undefined: not read yet in this instance. */
  private alarmAt: number | null | undefined;
  /** Calls in the current and the previous second (in memory: a restart only shortens leases for a second). */
  private calls = { second: 0, current: 0, previous: 0 };

  /** Takes `cost` from one counter (`rule.id` + `key`). Malformed input throws a TypeError. */
  async take(rule: RateLimiterRule, key: string, cost = 1, now?: number): Promise<GlobalTakeResult> {
    const answer = this.takeAll(key, [{ rule: rule?.id, limit: rule?.limit, cost }], now);
    if ("error" in answer) throw new TypeError(answer.error);
    return answer.results[0]!;
  }

  /**
   * Takes from several counters of this shard, all or none. Malformed input is answered with
   * `{ error }` rather than thrown, so a bad call costs the caller one result, not a rejected RPC.
   */
  takeAll(key: string, takes: GlobalTake[], now?: number): TakeAllAnswer {
    const error = takesError(key, takes);
    if (error) return { error };
    const t = typeof now === "number" && Number.isFinite(now) ? now : Date.now();
    this.ensureSchema();
    const sql = this.ctx.storage.sql;
    const states = takes.map((tk) => {
      const row = sql.exec<{ state: string }>(`SELECT state FROM counters WHERE rule = ? AND key = ?`, tk.rule, key).toArray()[0];
      return row ? (JSON.parse(row.state) as LimitState) : undefined;
    });
    // Unused units of earlier leases first: they were never admitted, so they are free again.
    const given = takes.map((tk, i) => (tk.giveBack ? giveBack(tk.limit, states[i], tk.giveBack, t) : states[i]));
    const results = takeAll(takes.map((tk, i) => ({ limit: tk.limit, state: given[i], cost: tk.cost })), t);
    const horizon = leaseHorizonMs(this.callRate(t));
    let latest = 0;
    const answers = results.map((r, i): GlobalTakeResult => {
      const tk = takes[i]!;
      let state = r.commit ? r.state : given[i];
      let lease: { leased: number; leaseMs: number; window: number } | undefined;
      if (r.commit && tk.rate) {
        const g = grantLease(tk.limit, r.state, t, tk.rate, horizon);
        if (g.units > 0) {
          state = g.state;
          lease = { leased: g.units, leaseMs: g.ttlMs, window: g.window };
        } else lease = { leased: 0, leaseMs: 0, window: g.window };
      }
      if (state && state !== states[i]) {
        const now = takeLimit(tk.limit, state, t, 0);
        sql.exec(
          `INSERT INTO counters (rule, key, state, expires) VALUES (?, ?, ?, ?)
           ON CONFLICT (rule, key) DO UPDATE SET state = excluded.state, expires = excluded.expires`,
          tk.rule, key, JSON.stringify(state), now.expiresAt,
        );
        latest = Math.max(latest, now.expiresAt);
        if (lease) return { allowed: r.allowed, remaining: now.remaining, resetMs: now.resetMs, limit: r.limit, ...lease };
      }
      return { allowed: r.allowed, remaining: r.remaining, resetMs: r.resetMs, limit: r.limit, ...lease };
    });
    // Not awaited: the answer does not depend on it, and the output gate holds the reply until the
    // alarm write is durable anyway.
    if (latest > 0) this.scheduleCleanup(latest).catch((e) => console.error("RateLimiter: scheduling cleanup failed", e));
    return { results: answers };
  }

  /** Calls per second lately (the previous whole second, or the current one if busier). */
  private callRate(now: number): number {
    const second = Math.floor(now / 1000);
    const c = this.calls;
    if (second !== c.second) {
      c.previous = second === c.second + 1 ? c.current : 0;
      c.current = 0;
      c.second = second;
    }
    c.current++;
    return Math.max(c.previous, c.current);
  }

  /** Counters stored now (for tests and debugging). */
  async counters(): Promise<{ rule: string; key: string; state: LimitState; expires: number }[]> {
    this.ensureSchema();
    return this.ctx.storage.sql
      .exec<{ rule: string; key: string; state: string; expires: number }>(`SELECT rule, key, state, expires FROM counters ORDER BY rule, key`)
      .toArray()
      .map((r) => ({ rule: r.rule, key: r.key, state: JSON.parse(r.state) as LimitState, expires: r.expires }));
  }

  /** Deletes expired counters; when none is left, the object's storage goes entirely. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.ensureSchema();
    const sql = this.ctx.storage.sql;
    sql.exec(`DELETE FROM counters WHERE expires <= ?`, Date.now());
    const next = sql.exec<{ next: number | null }>(`SELECT MIN(expires) AS next FROM counters`).toArray()[0]?.next ?? null;
    if (next === null) {
      await this.ctx.storage.deleteAll();
      this.schemaReady = false;
      return;
    }
    await this.ctx.storage.setAlarm(next);
    this.alarmAt = next;
  }

  private ensureSchema(): void {
    if (this.schemaReady) return;
    this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS counters (
      rule TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL, expires REAL NOT NULL, PRIMARY KEY (rule, key))`);
    this.schemaReady = true;
  }

  /** An alarm exists no later than needed: set one when none is (it reschedules itself when it fires early). */
  private async scheduleCleanup(expires: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null) return;
    await this.ctx.storage.setAlarm(expires);
    this.alarmAt = expires;
  }
}

/** What `takeAll` answers: results in the order of the takes, or why the input was refused. */
export type TakeAllAnswer = { results: GlobalTakeResult[] } | { error: string };

/** RPC input is checked: a malformed take must fail the call (the caller fails open or closed), not corrupt a counter. */
function takesError(key: unknown, takes: unknown): string | undefined {
  if (typeof key !== "string") return "key must be a string";
  if (!Array.isArray(takes) || takes.length === 0 || takes.length > MAX_TAKES) return `takes must hold 1 to ${MAX_TAKES} entries`;
  for (const tk of takes as Partial<GlobalTake>[]) {
    if (typeof tk?.rule !== "string" || tk.rule === "") return "take.rule must be a non-empty string";
    if (!isValidLimit(tk.limit)) return `take.limit of ${tk.rule} is not a valid limit`;
    if (typeof tk.cost !== "number" || !Number.isSafeInteger(tk.cost) || tk.cost < 0 || tk.cost > MAX_COST) return `take.cost of ${tk.rule} must be an integer from 0 to ${MAX_COST}`;
    if (tk.rate !== undefined && !(typeof tk.rate === "number" && tk.rate >= 0 && tk.rate <= MAX_COST)) return `take.rate of ${tk.rule} must be a number from 0 to ${MAX_COST}`;
    const back = tk.giveBack;
    if (back !== undefined && !(typeof back === "object" && back !== null && Number.isSafeInteger(back.units) && back.units >= 0 && back.units <= MAX_COST && typeof back.window === "number" && Number.isFinite(back.window))) {
      return `take.giveBack of ${tk.rule} must be {units: 0..${MAX_COST}, window}`;
    }
  }
  return undefined;
}

/**
 * The GlobalRateLimitStore the gateway hands to `buildRateLimiter`: one RPC to the shard's object.
 *
 * @example buildRateLimiter(table, { local, global: rateLimiterStore(env.RATE_LIMITER) })
 */
export function rateLimiterStore(namespace: DurableObjectNamespace<RateLimiter>): GlobalRateLimitStore {
  return {
    async take(shard, key, takes) {
      const answer = (await namespace.getByName(shard).takeAll(key, takes)) as TakeAllAnswer;
      if ("error" in answer) throw new Error(`RateLimiter refused the call: ${answer.error}`);
      return answer.results;
    },
  };
}
