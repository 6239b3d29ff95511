/**
 * Istio's standard HTTP metrics (https://istio.io/latest/docs/reference/config/metrics/), with Istio's
 * names, types and buckets, accumulated as deltas and rendered in the Prometheus text exposition format.
 *
 * - `istio_requests_total` (counter)
 * - `istio_request_duration_milliseconds` (histogram, ms)
 * - `istio_request_bytes`, `istio_response_bytes` (histograms, bytes)
 *
 * A request is recorded once per label set (`Labels`: the rendered, escaped `k="v",...` string); the
 * isolate keeps one `SeriesDelta` per label set and flushes them (`toSeries`) to the metrics Durable
 * Object, which sums them into cumulative `Series` (`mergeSeries`) and renders them (`renderSeries`).
 *
 * @example
 *   const acc = new MetricDeltas();
 *   acc.record('reporter="source",response_code="200"', ALL_METRICS_MASK, 12, 0, 512);
 *   renderSeries(toSeries(acc.drain()));
 */

/** Istio's duration buckets (ms), from the stats plugin. */
export const DURATION_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000] as const;
/** Istio's size buckets (bytes): exponential, start 1, factor 10, 8 buckets. */
export const SIZE_BUCKETS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000] as const;

export interface MetricDef {
  /** Telemetry's `metrics[].overrides[].match.metric` name. */
  istio: "REQUEST_COUNT" | "REQUEST_DURATION" | "REQUEST_SIZE" | "RESPONSE_SIZE";
  name: string;
  type: "counter" | "histogram";
  help: string;
  buckets?: readonly number[];
}

export const METRICS: readonly MetricDef[] = [
  { istio: "REQUEST_COUNT", name: "istio_requests_total", type: "counter", help: "Requests by reporter, source, destination and response." },
  { istio: "REQUEST_DURATION", name: "istio_request_duration_milliseconds", type: "histogram", help: "Request duration in milliseconds.", buckets: DURATION_BUCKETS },
  { istio: "REQUEST_SIZE", name: "istio_request_bytes", type: "histogram", help: "Request body size in bytes.", buckets: SIZE_BUCKETS },
  { istio: "RESPONSE_SIZE", name: "istio_response_bytes", type: "histogram", help: "Response body size in bytes.", buckets: SIZE_BUCKETS },
];

/** Bit of each metric (index in METRICS) in a record mask. */
export const METRIC_BIT = { REQUEST_COUNT: 1, REQUEST_DURATION: 2, REQUEST_SIZE: 4, RESPONSE_SIZE: 8 } as const;
export const ALL_METRICS_MASK = 15;

/** Istio's standard label names, in the order the stats plugin writes them. */
export const STANDARD_LABELS = [
  "reporter",
  "source_workload", "source_canonical_service", "source_canonical_revision", "source_workload_namespace",
  "source_principal", "source_app", "source_version", "source_cluster",
  "destination_workload", "destination_workload_namespace", "destination_principal", "destination_app",
  "destination_version", "destination_service", "destination_canonical_service", "destination_canonical_revision",
  "destination_service_name", "destination_service_namespace", "destination_cluster",
  "request_protocol", "response_code", "grpc_response_status", "response_flags", "connection_security_policy",
] as const;
export type StandardLabel = (typeof STANDARD_LABELS)[number];

/** Escapes a label value for the text format (backslash, quote, newline). */
export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") : v;
}

/** `k="v",...` from label pairs, values escaped (built once per label set, not per request). */
export function renderLabels(pairs: Iterable<readonly [string, string]>): string {
  let out = "";
  for (const [k, v] of pairs) out += (out ? "," : "") + k + '="' + escapeLabelValue(v) + '"';
  return out;
}

/** Index of the first bucket whose bound is ≥ v (the +Inf slot is `buckets.length`). */
function bucketIndex(buckets: readonly number[], v: number): number {
  let i = 0;
  while (i < buckets.length && v > buckets[i]!) i++;
  return i;
}

/** One label set's accumulated deltas, for the metrics in `mask`. Bucket arrays count per bucket (not cumulative), +Inf last. */
export interface SeriesDelta {
  /** Rendered labels `k="v",...`. */
  labels: string;
  mask: number;
  requests: number;
  duration: number[];
  durationSum: number;
  requestBytes: number[];
  requestBytesSum: number;
  responseBytes: number[];
  responseBytesSum: number;
}

function add(s: SeriesDelta, durationMs: number, requestBytes: number, responseBytes: number): void {
  s.requests++;
  s.duration[bucketIndex(DURATION_BUCKETS, durationMs)]!++;
  s.durationSum += durationMs;
  s.requestBytes[bucketIndex(SIZE_BUCKETS, requestBytes)]!++;
  s.requestBytesSum += requestBytes;
  s.responseBytes[bucketIndex(SIZE_BUCKETS, responseBytes)]!++;
  s.responseBytesSum += responseBytes;
}

/** Label sets an isolate keeps between flushes; requests under further new label sets are dropped and counted. */
export const MAX_PENDING_SERIES = 10_000;

/** The deltas an isolate has not flushed yet. */
export class MetricDeltas {
  /** Keyed by label text, or on the hot path by a short key standing for one label set (`recordKeyed`). */
  private series = new Map<string | number, SeriesDelta>();
  /** Small numbers for the response-flag strings seen (numeric series keys). */
  private readonly flagIds = new Map<string, number>();
  /** Requests not counted because MAX_PENDING_SERIES was reached (a runaway tag override). */
  dropped = 0;

  /** The pending deltas, left in place (an isolate without the metrics Durable Object renders these). */
  peek(): Map<string | number, SeriesDelta> {
    return this.series;
  }

  get size(): number {
    return this.series.size;
  }

  /** Counts one request under `labels` for the metrics in `mask`. */
  record(labels: string, mask: number, durationMs: number, requestBytes: number, responseBytes: number): void {
    this.recordKeyed(mask === ALL_METRICS_MASK ? labels : mask + "\u0000" + labels, () => labels, mask, durationMs, requestBytes, responseBytes);
  }

  /**
   * Counts one request under a short key that stands for one label set (the hot path: the labels are
   * rendered by `labels()` only when the key is new since the last flush).
   */
  recordKeyed(key: string | number, labels: () => string, mask: number, durationMs: number, requestBytes: number, responseBytes: number): void {
    if (!this.count(key, durationMs, requestBytes, responseBytes)) this.countNew(key, labels(), mask, durationMs, requestBytes, responseBytes);
  }

  /**
   * Counts one request under an existing series; false when `key` has none yet (then `countNew`).
   * No allocation: the hot path of a steady gateway.
   */
  count(key: string | number, durationMs: number, requestBytes: number, responseBytes: number): boolean {
    const s = this.series.get(key);
    if (!s) return false;
    add(s, durationMs, requestBytes, responseBytes);
    return true;
  }

  /** Counts one request under a series new since the last flush, with its rendered labels. */
  countNew(key: string | number, labels: string, mask: number, durationMs: number, requestBytes: number, responseBytes: number): void {
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= MAX_PENDING_SERIES) {
        this.dropped++;
        return;
      }
      s = {
        labels, mask, requests: 0,
        duration: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), durationSum: 0,
        requestBytes: new Array<number>(SIZE_BUCKETS.length + 1).fill(0), requestBytesSum: 0,
        responseBytes: new Array<number>(SIZE_BUCKETS.length + 1).fill(0), responseBytesSum: 0,
      };
      this.series.set(key, s);
    }
    add(s, durationMs, requestBytes, responseBytes);
  }

  /**
   * A number standing for a standard label set (no override): reporter, the source and destination
   * label groups' ids, status, flags, security and protocol packed into 50 bits, so a steady gateway
   * builds no key string per request. Undefined when a part does not fit (the caller keys by text).
   */
  standardKey(reporter: 0 | 1, sourceId: number, destinationId: number, status: number, flags: string, security: 0 | 1 | 2, grpc: boolean): number | undefined {
    let flagId = this.flagIds.get(flags);
    if (flagId === undefined) {
      if (this.flagIds.size >= 256) return undefined;
      this.flagIds.set(flags, (flagId = this.flagIds.size));
    }
    if (sourceId >= 1 << 14 || destinationId >= 1 << 14 || !(status >= 0 && status < 1024)) return undefined;
    // reporter 1 bit, grpc 1, security 2, status 10, flags 8, source 14, destination 14 = 50 bits.
    return ((((((reporter * 2 + (grpc ? 1 : 0)) * 4 + security) * 1024 + status) * 256 + flagId) * 16384 + sourceId) * 16384) + destinationId;
  }

  /** Takes every pending delta (the accumulator is empty afterwards). */
  drain(): Map<string | number, SeriesDelta> {
    const out = this.series;
    this.series = new Map();
    return out;
  }

  /** Puts deltas back (a flush that failed), so nothing counted is lost. */
  restore(deltas: Map<string | number, SeriesDelta>): void {
    for (const [key, d] of deltas) {
      const s = this.series.get(key);
      if (!s) {
        this.series.set(key, d);
        continue;
      }
      s.requests += d.requests;
      s.durationSum += d.durationSum;
      s.requestBytesSum += d.requestBytesSum;
      s.responseBytesSum += d.responseBytesSum;
      d.duration.forEach((v, i) => (s.duration[i]! += v));
      d.requestBytes.forEach((v, i) => (s.requestBytes[i]! += v));
      d.responseBytes.forEach((v, i) => (s.responseBytes[i]! += v));
    }
  }
}

/**
 * One metric series as the aggregate keeps it (plain data: RPC-, storage- and JSON-safe). Counters
 * carry `value`; histograms `count`, `sum` and per-bucket counts (not cumulative, +Inf last).
 */
export interface Series {
  /** Metric name (`istio_requests_total`, ...). */
  name: string;
  /** Rendered labels `k="v",...`. */
  labels: string;
  value?: number;
  count?: number;
  sum?: number;
  buckets?: number[];
}

/** The per-metric series of a batch of deltas (what a flush sends). */
export function toSeries(deltas: ReadonlyMap<string | number, SeriesDelta>): Series[] {
  const out: Series[] = [];
  for (const d of deltas.values()) {
    const labels = d.labels;
    if (d.mask & METRIC_BIT.REQUEST_COUNT) out.push({ name: "istio_requests_total", labels, value: d.requests });
    if (d.mask & METRIC_BIT.REQUEST_DURATION) out.push({ name: "istio_request_duration_milliseconds", labels, count: d.requests, sum: d.durationSum, buckets: d.duration });
    if (d.mask & METRIC_BIT.REQUEST_SIZE) out.push({ name: "istio_request_bytes", labels, count: d.requests, sum: d.requestBytesSum, buckets: d.requestBytes });
    if (d.mask & METRIC_BIT.RESPONSE_SIZE) out.push({ name: "istio_response_bytes", labels, count: d.requests, sum: d.responseBytesSum, buckets: d.responseBytes });
  }
  return out;
}

/** Identity of a series (metric + labels). */
export const seriesKey = (s: Pick<Series, "name" | "labels">): string => s.name + "{" + s.labels + "}";

/** Adds `delta` into `total` (same metric and labels); sums only grow. */
export function addSeries(total: Series, delta: Series): void {
  if (delta.value !== undefined) total.value = (total.value ?? 0) + delta.value;
  if (delta.count !== undefined) total.count = (total.count ?? 0) + delta.count;
  if (delta.sum !== undefined) total.sum = (total.sum ?? 0) + delta.sum;
  if (delta.buckets) {
    const b = (total.buckets ??= new Array<number>(delta.buckets.length).fill(0));
    delta.buckets.forEach((v, i) => (b[i] = (b[i] ?? 0) + v));
  }
}

/** Sums batches of series (several shards, or an isolate's pending deltas on top of the aggregate). */
export function mergeSeries(...batches: readonly (readonly Series[])[]): Series[] {
  const by = new Map<string, Series>();
  for (const batch of batches)
    for (const s of batch) {
      const k = seriesKey(s);
      const t = by.get(k);
      if (t) addSeries(t, s);
      else by.set(k, { ...s, ...(s.buckets ? { buckets: [...s.buckets] } : {}) });
    }
  return [...by.values()];
}

const fmt = (n: number): string => (Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN");

/**
 * The Prometheus text exposition format (version 0.0.4) of some series: one HELP and TYPE per metric
 * family, every family's series together, histogram buckets cumulative with `le` and a `+Inf` bucket
 * equal to `_count` — what `promtool check metrics` accepts.
 */
export function renderSeries(series: readonly Series[]): string {
  const byName = new Map<string, Series[]>();
  for (const s of series) {
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
  }
  const out: string[] = [];
  for (const def of METRICS) {
    // HELP and TYPE even before the first sample, so scrapers see the families from the start.
    const list = byName.get(def.name) ?? [];
    list.sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
    out.push(`# HELP ${def.name} ${def.help}`, `# TYPE ${def.name} ${def.type}`);
    for (const s of list) {
      if (def.type === "counter") {
        out.push(`${def.name}{${s.labels}} ${fmt(s.value ?? 0)}`);
        continue;
      }
      const bounds = def.buckets!;
      const sep = s.labels ? "," : "";
      let cumulative = 0;
      bounds.forEach((le, i) => {
        cumulative += s.buckets?.[i] ?? 0;
        out.push(`${def.name}_bucket{${s.labels}${sep}le="${le}"} ${cumulative}`);
      });
      out.push(`${def.name}_bucket{${s.labels}${sep}le="+Inf"} ${fmt(s.count ?? 0)}`);
      out.push(`${def.name}_sum{${s.labels}} ${fmt(s.sum ?? 0)}`);
      out.push(`${def.name}_count{${s.labels}} ${fmt(s.count ?? 0)}`);
    }
  }
  return out.join("\n") + "\n";
}

/** Parses a rendered label string back into pairs (for the console's graph and tests). */
export function parseLabels(labels: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const m of labels.matchAll(re)) out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  return out;
}
