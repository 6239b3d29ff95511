/**
 * What gateway isolates send to the metrics Durable Object (`MetricsAggregator`), and what it answers:
 * metric deltas plus a report of the isolate itself (for proxy-status: which config version each
 * active isolate serves, and where).
 */
import type { Series } from "./istio-metrics.js";

/** One isolate, as it reports itself with every flush. */
export interface IsolateReport {
  /** Random id chosen when the isolate started. */
  isolate: string;
  /** Config (snapshot) version the isolate served at its last flush. */
  version: number;
  /** `request.cf.colo` of a request the isolate served (`local` under workerd without cf). */
  location: string;
  /** When the isolate last flushed (ms since epoch). */
  lastFlush: number;
}

export interface MetricsFlush {
  report: IsolateReport;
  /** Deltas since the isolate's previous successful flush. */
  series: Series[];
}

export interface MetricsAggregatorApi {
  /** Adds a flush's deltas to the cumulative series and records the isolate's report. */
  add(flush: MetricsFlush): Promise<void>;
  /** Cumulative series (counters never go backwards) and the isolates seen recently. */
  read(): Promise<{ series: Series[]; isolates: IsolateReport[] }>;
}

/** Metrics shards: an isolate flushes to one (by its id); reads merge all. */
export const METRICS_SHARDS = 4;

/** The shard name an isolate flushes to. */
export function metricsShard(isolate: string): string {
  let h = 0;
  for (let i = 0; i < isolate.length; i++) h = (h * 31 + isolate.charCodeAt(i)) >>> 0;
  return `metrics-${h % METRICS_SHARDS}`;
}

export const allMetricsShards = (): string[] => Array.from({ length: METRICS_SHARDS }, (_, i) => `metrics-${i}`);
