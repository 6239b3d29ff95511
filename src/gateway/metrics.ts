/**
 * Per-isolate request metrics in Prometheus text format: Istio's `istio_requests_total` and
 * `istio_request_duration_milliseconds` with a reduced label set (reporter, destination_service,
 * response_code, response_flags, route_name). Each isolate counts its own requests.
 */

interface Series {
  count: number;
  buckets: number[];
  sum: number;
}

/** Istio's default duration buckets (ms). */
const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
const series = new Map<string, Series>();

export interface RequestRecord {
  listener: string;
  destinationService: string;
  responseCode: number;
  responseFlags: string;
  routeName: string;
  durationMs: number;
}

export function recordRequest(r: RequestRecord): void {
  const key = labels(r);
  let s = series.get(key);
  if (!s) series.set(key, (s = { count: 0, buckets: BUCKETS.map(() => 0), sum: 0 }));
  s.count++;
  s.sum += r.durationMs;
  BUCKETS.forEach((b, i) => { if (r.durationMs <= b) s!.buckets[i]!++; });
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

function labels(r: RequestRecord): string {
  return [
    `reporter="${r.listener === "mesh" ? "source" : "destination"}"`,
    `listener="${esc(r.listener)}"`,
    `destination_service="${esc(r.destinationService)}"`,
    `response_code="${r.responseCode}"`,
    `response_flags="${esc(r.responseFlags)}"`,
    `route_name="${esc(r.routeName)}"`,
  ].join(",");
}

export function renderMetrics(): string {
  const out = ["# HELP istio_requests_total Requests handled by this gateway isolate.", "# TYPE istio_requests_total counter"];
  for (const [l, s] of series) out.push(`istio_requests_total{${l}} ${s.count}`);
  out.push("# HELP istio_request_duration_milliseconds Request duration in this gateway isolate.", "# TYPE istio_request_duration_milliseconds histogram");
  for (const [l, s] of series) {
    BUCKETS.forEach((b, i) => out.push(`istio_request_duration_milliseconds_bucket{${l},le="${b}"} ${s.buckets[i]}`));
    out.push(`istio_request_duration_milliseconds_bucket{${l},le="+Inf"} ${s.count}`);
    out.push(`istio_request_duration_milliseconds_sum{${l}} ${s.sum}`);
    out.push(`istio_request_duration_milliseconds_count{${l}} ${s.count}`);
  }
  return out.join("\n") + "\n";
}
