/**
 * Per-isolate request metrics in Prometheus text format: Istio's `istio_requests_total` and
 * `istio_request_duration_milliseconds` with a reduced label set (reporter, destination_service,
 * response_code, response_flags, route_name). Each isolate counts its own requests. A gateway reports
 * as `source`, as Istio's gateways do. Labels are escaped only when rendered, never per request.
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

const SEP = "\u0000";

export function recordRequest(r: RequestRecord): void {
  const key = r.listener + SEP + r.destinationService + SEP + r.responseCode + SEP + r.responseFlags + SEP + r.routeName;
  let s = series.get(key);
  if (!s) series.set(key, (s = { count: 0, buckets: BUCKETS.map(() => 0), sum: 0 }));
  s.count++;
  s.sum += r.durationMs;
  for (let i = BUCKETS.length - 1; i >= 0 && r.durationMs <= BUCKETS[i]!; i--) s.buckets[i]!++;
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

function labels(key: string): string {
  const [listener, destination, code, flags, route] = key.split(SEP) as [string, string, string, string, string];
  return [
    `reporter="source"`,
    `listener="${esc(listener)}"`,
    `destination_service="${esc(destination)}"`,
    `response_code="${code}"`,
    `response_flags="${esc(flags)}"`,
    `route_name="${esc(route)}"`,
  ].join(",");
}

export function renderMetrics(): string {
  const out = ["# HELP istio_requests_total Requests handled by this gateway isolate.", "# TYPE istio_requests_total counter"];
  for (const [k, s] of series) out.push(`istio_requests_total{${labels(k)}} ${s.count}`);
  out.push("# HELP istio_request_duration_milliseconds Request duration in this gateway isolate.", "# TYPE istio_request_duration_milliseconds histogram");
  for (const [k, s] of series) {
    const l = labels(k);
    BUCKETS.forEach((b, i) => out.push(`istio_request_duration_milliseconds_bucket{${l},le="${b}"} ${s.buckets[i]}`));
    out.push(`istio_request_duration_milliseconds_bucket{${l},le="+Inf"} ${s.count}`);
    out.push(`istio_request_duration_milliseconds_sum{${l}} ${s.sum}`);
    out.push(`istio_request_duration_milliseconds_count{${l}} ${s.count}`);
  }
  return out.join("\n") + "\n";
}
