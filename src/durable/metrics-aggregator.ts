/**
 * MetricsAggregator: one shard of the mesh-wide metrics (DESIGN §1). Gateway isolates accumulate
 * Istio's metrics as deltas in memory and flush them here with `ctx.waitUntil` (at most once per few
 * seconds per isolate, never awaited by a request); `GET /_mesh/metrics` reads every shard and merges.
 *
 * Series are cumulative sums of deltas kept in SQLite, so counters never go backwards when isolates
 * come and go (an evicted isolate loses at most its unflushed deltas). Each flush also records the
 * isolate's report (config version, location, last flush) for proxy-status.
 */
import { DurableObject } from "cloudflare:workers";
import { addSeries, seriesKey, type Series } from "../policy/telemetry/istio-metrics.js";
import type { IsolateReport, MetricsAggregatorApi, MetricsFlush } from "../policy/telemetry/metrics-api.js";

/** Series accepted per flush (a flush normally carries far fewer). */
const MAX_SERIES = 20_000;
/** Isolate reports older than this are dropped. */
const REPORT_TTL_MS = 24 * 3600_000;

export class MetricsAggregator extends DurableObject<Env> implements MetricsAggregatorApi {
  private readonly series = new Map<string, Series>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS series (key TEXT PRIMARY KEY, data TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS isolates (id TEXT PRIMARY KEY, version INTEGER NOT NULL, location TEXT NOT NULL, last_flush INTEGER NOT NULL)`);
    for (const row of sql.exec<{ key: string; data: string }>(`SELECT key, data FROM series`)) this.series.set(row.key, JSON.parse(row.data) as Series);
  }

  async add(flush: MetricsFlush): Promise<void> {
    const sql = this.ctx.storage.sql;
    for (const d of (flush.series ?? []).slice(0, MAX_SERIES)) {
      if (!validSeries(d)) continue;
      const key = seriesKey(d);
      let total = this.series.get(key);
      if (total) addSeries(total, d);
      else this.series.set(key, (total = { name: d.name, labels: d.labels, ...(d.value !== undefined ? { value: d.value } : {}), ...(d.buckets ? { count: d.count ?? 0, sum: d.sum ?? 0, buckets: [...d.buckets] } : {}) }));
      sql.exec(`INSERT INTO series (key, data) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET data = excluded.data`, key, JSON.stringify(total));
    }
    const r = flush.report;
    if (r && typeof r.isolate === "string") {
      sql.exec(
        `INSERT INTO isolates (id, version, location, last_flush) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET version = excluded.version, location = excluded.location, last_flush = excluded.last_flush`,
        r.isolate, Number(r.version) || 0, String(r.location ?? "local"), Number(r.lastFlush) || Date.now(),
      );
    }
    sql.exec(`DELETE FROM isolates WHERE last_flush < ?`, Date.now() - REPORT_TTL_MS);
  }

  async read(): Promise<{ series: Series[]; isolates: IsolateReport[] }> {
    const isolates = this.ctx.storage.sql
      .exec<{ id: string; version: number; location: string; last_flush: number }>(`SELECT id, version, location, last_flush FROM isolates ORDER BY last_flush DESC`)
      .toArray()
      .map((r) => ({ isolate: r.id, version: r.version, location: r.location, lastFlush: r.last_flush }));
    return { series: [...this.series.values()], isolates };
  }
}

/** Deltas are non-negative (a counter only grows). */
function validSeries(s: Series): boolean {
  const nonNeg = (n: unknown) => n === undefined || (typeof n === "number" && Number.isFinite(n) && n >= 0);
  return typeof s?.name === "string" && typeof s.labels === "string" && /^istio_[a-z_]+$/.test(s.name) &&
    nonNeg(s.value) && nonNeg(s.count) && nonNeg(s.sum) && (s.buckets === undefined || (Array.isArray(s.buckets) && s.buckets.every(nonNeg)));
}
