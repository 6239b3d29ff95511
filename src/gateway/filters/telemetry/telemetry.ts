/**
 * Stage 11's reporting half, after the response is known and never delaying it: Istio's standard
 * metrics for every request (`reporter="source"`: what the gateway sends; `reporter="destination"`:
 * what a mesh workload received, when the request reached one), accumulated in this isolate and
 * flushed to the metrics Durable Object with `waitUntil` (runtime/metrics-flush.ts); a data point in
 * the Analytics Engine dataset when one is bound; and the access log line when Telemetry enables it.
 * No await, and label strings come from per-peer caches built once per snapshot.
 */
import { CONNECTING_IP_HEADER } from "../../../policy/client-ip.js";
import { ALL_METRICS_MASK } from "../../../policy/telemetry/istio-metrics.js";
import type { LabelGroup } from "../../../policy/telemetry/metric-labels.js";
import type { RequestContext } from "../../chain/request-context.js";
import { deltas, maybeFlush } from "../../runtime/metrics-flush.js";

/** Flags meaning the request never reached the destination workload (no destination-side report). */
const NOT_DELIVERED = new Set(["UH", "UF", "UO", "NC", "NR", "URX"]);

export function report(rc: RequestContext, response: Response): void {
  const now = Date.now();
  const durationMs = now - rc.startedAt;
  const flags = rc.flags.length ? rc.flags.join(",") : "-";
  const requestBytes = contentLength(rc.request.headers);
  const responseBytes = contentLength(response.headers);
  const labeler = rc.live.telemetryRuntime.labels;
  const source = rc.listener === "gateway" ? labeler.gatewaySource : labeler.meshSource(rc.caller.principal, rc.caller.namespace);
  const destination = labeler.destination(rc.cluster, rc.endpoint?.workload, rc.destination?.host, rc.upstreamCluster);
  const protocol = (rc.request.headers.get("content-type") ?? "").startsWith("application/grpc") ? "grpc" : "http";
  const tail = `,request_protocol="${protocol}",response_code="${response.status}",grpc_response_status="",response_flags="${flags}",connection_security_policy=`;
  deltas.record(labelsOf("source", source, destination, tail, "unknown"), ALL_METRICS_MASK, durationMs, requestBytes, responseBytes);
  if (rc.endpoint?.workload !== undefined && !rc.flags.some((f) => NOT_DELIVERED.has(f))) {
    const security = rc.endpoint.kind === "binding" || rc.cluster?.tls?.mode === "ISTIO_MUTUAL" ? "mutual_tls" : "none";
    deltas.record(labelsOf("destination", source, destination, tail, security), ALL_METRICS_MASK, durationMs, requestBytes, responseBytes);
  }
  const cf = (rc.request as { cf?: { colo?: string; httpProtocol?: string } }).cf;
  maybeFlush(rc.env, rc.waitUntil, now, rc.live.version, cf?.colo);
  writeDataPoint(rc, destination, response.status, flags, durationMs, requestBytes, responseBytes);
  if (!rc.live.telemetry.accessLog) return;
  // Envoy's default access log fields (Istio's JSON format), as one structured log line.
  console.log(JSON.stringify({
    start_time: new Date(rc.startedAt).toISOString(),
    method: rc.method,
    path: rc.path,
    protocol: cf?.httpProtocol ?? "HTTP/1.1",
    response_code: response.status,
    response_flags: flags,
    response_code_details: rc.details ?? "-",
    duration: durationMs,
    upstream_host: rc.upstreamHost ?? null,
    upstream_cluster: rc.cluster?.name ?? rc.upstreamCluster ?? null,
    route_name: rc.decision?.routeName ?? null,
    authority: rc.authority,
    x_forwarded_for: rc.request.headers.get("x-forwarded-for"),
    downstream_remote_address: rc.request.headers.get(CONNECTING_IP_HEADER),
    user_agent: rc.request.headers.get("user-agent"),
    request_id: rc.requestId,
    source_principal: rc.sourcePrincipal ?? null,
    request_principal: rc.jwt?.principal ?? null,
    listener: rc.listener,
  }));
}

function labelsOf(reporter: "source" | "destination", source: LabelGroup, destination: LabelGroup, tail: string, security: string): string {
  return `reporter="${reporter}",` + source.text + "," + destination.text + tail + '"' + security + '"';
}

function contentLength(h: Headers): number {
  const v = h.get("content-length");
  const n = v === null ? 0 : Number(v);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * One Analytics Engine data point per request when `METRICS_DATASET` is bound (no await; the runtime
 * batches). Columns are documented in docs/observability.md with the SQL to query them.
 */
function writeDataPoint(rc: RequestContext, destination: LabelGroup, status: number, flags: string, durationMs: number, requestBytes: number, responseBytes: number): void {
  const ds = rc.env.METRICS_DATASET;
  if (!ds) return;
  const d = destination.pairs;
  const sourceWorkload = rc.listener === "gateway" ? rc.live.telemetryRuntime.labels.gatewaySource.pairs[0]![1] : (rc.caller.principal ?? "unknown");
  ds.writeDataPoint({
    indexes: [d[8]![1]], // destination_service_name
    blobs: [rc.listener, sourceWorkload, d[0]![1], d[1]![1], d[5]![1], d[4]![1], String(status), flags, rc.decision?.routeName ?? "", rc.cluster?.name ?? rc.upstreamCluster ?? "", rc.method, rc.authority],
    doubles: [1, durationMs, requestBytes, responseBytes, status],
  });
}
