/** Per-isolate request metrics in Prometheus text format (Istio's `istio_requests_total` labels, reduced). */

const requests = new Map<string, number>();

export interface RequestRecord {
  listener: string;
  destinationService: string;
  responseCode: number;
  responseFlags: string;
  routeName: string;
}

export function recordRequest(r: RequestRecord): void {
  const key = JSON.stringify([r.listener, r.destinationService, r.responseCode, r.responseFlags, r.routeName]);
  requests.set(key, (requests.get(key) ?? 0) + 1);
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export function renderMetrics(): string {
  const lines = ["# HELP istio_requests_total Requests handled by this gateway isolate.", "# TYPE istio_requests_total counter"];
  for (const [key, n] of requests) {
    const [listener, dest, code, flags, route] = JSON.parse(key) as [string, string, number, string, string];
    lines.push(`istio_requests_total{reporter="${listener === "mesh" ? "source" : "destination"}",listener="${esc(listener)}",destination_service="${esc(dest)}",response_code="${code}",response_flags="${esc(flags)}",route_name="${esc(route)}"} ${n}`);
  }
  return lines.join("\n") + "\n";
}
