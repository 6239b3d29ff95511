/**
 * This isolate's share of the mesh-wide metrics: Istio metric deltas accumulated in memory, flushed to
 * its shard of the metrics Durable Object with `waitUntil` at most once per FLUSH_MS (never awaited by a
 * request), with the isolate's report (config version, location, last flush) for proxy-status. A flush
 * that fails puts its deltas back for the next one. `GET /_mesh/metrics` flushes this isolate first
 * (read-your-writes for the isolate that answers), then merges every shard.
 */
import { MetricDeltas, mergeSeries, toSeries, type Series } from "../../policy/telemetry/istio-metrics.js";
import { allMetricsShards, metricsShard, type IsolateReport, type MetricsAggregatorApi } from "../../policy/telemetry/metrics-api.js";

/** At most one flush per isolate per this many ms. */
export const FLUSH_MS = 5000;

const shard = (env: Env, name: string) => (env.METRICS as unknown as DurableObjectNamespace).getByName(name) as unknown as MetricsAggregatorApi;

/** One isolate's metrics: pending deltas, flush schedule and the report it sends with them (isolate state). */
export class MetricsReporter {
  /** Deltas recorded since the last flush. */
  readonly deltas = new MetricDeltas();
  private idValue: string | undefined;
  private lastFlush = 0;
  private flushing: Promise<void> | undefined;
  /** The colo this isolate serves from (set by the gateway from its first edge request), for proxy-status. */
  location = "local";
  private version = 0;

  /** This isolate's id (its metrics shard and report), drawn on first use: workerd refuses random values at global scope. */
  id(): string {
    return (this.idValue ??= crypto.randomUUID());
  }

  /** After a request was recorded: schedules a flush when one is due (no await, no work otherwise). */
  maybeFlush(env: Env, waitUntil: (p: Promise<unknown>) => void, now: number, servedVersion: number): void {
    this.version = servedVersion;
    if (now - this.lastFlush < FLUSH_MS || this.flushing || !env.METRICS) return;
    this.lastFlush = now;
    waitUntil(this.flush(env));
  }

  /** Sends the pending deltas (and this isolate's report) to its shard. */
  flush(env: Env): Promise<void> {
    if (this.flushing) return this.flushing;
    if (!env.METRICS) return Promise.resolve();
    const deltas = this.deltas;
    const pending = deltas.drain();
    if (deltas.dropped) {
      console.error(JSON.stringify({ error: "metrics: too many label sets between flushes; requests not counted", dropped: deltas.dropped }));
      deltas.dropped = 0;
    }
    const report: IsolateReport = { isolate: this.id(), version: this.version, location: this.location, lastFlush: Date.now() };
    this.flushing = (async () => {
      try {
        await shard(env, metricsShard(this.id())).add({ report, series: toSeries(pending) });
      } catch (e) {
        deltas.restore(pending);
        console.error(JSON.stringify({ error: "metrics flush failed", message: String((e as Error)?.message ?? e) }));
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  /**
   * The mesh-wide aggregate: every shard's cumulative series, merged. For `GET /_mesh/metrics` and the
   * mesh console's service graph (parse labels with `parseLabels`).
   */
  async aggregatedSeries(env: Env): Promise<Series[]> {
    return (await this.readShards(env)).series;
  }

  /** Every isolate that flushed in the last day (newest first): proxy-status. */
  async isolateReports(env: Env): Promise<IsolateReport[]> {
    return (await this.readShards(env)).isolates;
  }

  private async readShards(env: Env): Promise<{ series: Series[]; isolates: IsolateReport[] }> {
    // Without the metrics Durable Object (an older wrangler.toml), this isolate's own counts since it started.
    if (!env.METRICS) return { series: toSeries(this.deltas.peek()), isolates: [] };
    await this.flush(env);
    const parts = await Promise.all(allMetricsShards().map((name) => shard(env, name).read()));
    return {
      series: mergeSeries(...parts.map((p) => p.series)),
      isolates: parts.flatMap((p) => p.isolates).sort((a, b) => b.lastFlush - a.lastFlush),
    };
  }
}
