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

// Made on first use: workerd refuses random values in global scope (wrangler dev fails to start).
let isolateIdValue: string | undefined;
/** This isolate's id (its metrics shard and report). */
export function isolateId(): string {
  return (isolateIdValue ??= crypto.randomUUID());
}
export const deltas = new MetricDeltas();

let lastFlush = 0;
let flushing: Promise<void> | undefined;
let location = "local";
let version = 0;

const shard = (env: Env, name: string) => (env.METRICS as unknown as DurableObjectNamespace).getByName(name) as unknown as MetricsAggregatorApi;

/** After a request was recorded: schedules a flush when one is due (no await, no work otherwise). */
export function maybeFlush(env: Env, waitUntil: (p: Promise<unknown>) => void, now: number, servedVersion: number, colo: string | undefined): void {
  version = servedVersion;
  if (colo) location = colo;
  if (now - lastFlush < FLUSH_MS || flushing || !env.METRICS) return;
  lastFlush = now;
  waitUntil(flush(env));
}

/** Sends the pending deltas (and this isolate's report) to its shard. */
export function flush(env: Env): Promise<void> {
  if (flushing) return flushing;
  if (!env.METRICS) return Promise.resolve();
  const pending = deltas.drain();
  const report: IsolateReport = { isolate: isolateId(), version, location, lastFlush: Date.now() };
  flushing = (async () => {
    try {
      await shard(env, metricsShard(isolateId())).add({ report, series: toSeries(pending) });
    } catch (e) {
      deltas.restore(pending);
      console.error(JSON.stringify({ error: "metrics flush failed", message: String((e as Error)?.message ?? e) }));
    } finally {
      flushing = undefined;
    }
  })();
  return flushing;
}

/**
 * The mesh-wide aggregate: every shard's cumulative series, merged. For `GET /_mesh/metrics` and the
 * mesh console's service graph (parse labels with `parseLabels`).
 */
export async function aggregatedSeries(env: Env): Promise<Series[]> {
  return (await readShards(env)).series;
}

/** Every isolate that flushed in the last day (newest first): proxy-status. */
export async function isolateReports(env: Env): Promise<IsolateReport[]> {
  return (await readShards(env)).isolates;
}

async function readShards(env: Env): Promise<{ series: Series[]; isolates: IsolateReport[] }> {
  if (!env.METRICS) return { series: toSeries(new Map()), isolates: [] };
  await flush(env);
  const parts = await Promise.all(allMetricsShards().map((name) => shard(env, name).read()));
  return {
    series: mergeSeries(...parts.map((p) => p.series)),
    isolates: parts.flatMap((p) => p.isolates).sort((a, b) => b.lastFlush - a.lastFlush),
  };
}
