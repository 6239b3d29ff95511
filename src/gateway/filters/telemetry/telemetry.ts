/**
 * Stage 11's reporting half, after the response is known and never delaying it:
 *
 * - Istio's standard metrics (`reporter="source"`: what the gateway sends, under the Telemetry of the
 *   gateway for north-south or of the calling member for east-west, mode CLIENT;
 *   `reporter="destination"`: what a mesh workload received, under that workload's Telemetry, mode
 *   SERVER), accumulated in this isolate and flushed to the metrics Durable Object with `waitUntil`
 *   (runtime/metrics-flush.ts);
 * - a data point in the Analytics Engine dataset when one is bound;
 * - the access log: one `console.log` per request (Workers Logs / `wrangler tail`), one line per
 *   provider that the Telemetry in scope turns on and whose filter matches.
 *
 * No await. Label strings come from per-peer caches built once per snapshot; CEL attributes are built
 * only when a tag override or a filter needs them.
 */
import { CONNECTING_IP_HEADER } from "../../../policy/client-ip.js";
import { formatAccessLog, type AccessLogEntry } from "../../../policy/telemetry/access-log.js";
import { ALL_METRICS_MASK } from "../../../policy/telemetry/istio-metrics.js";
import type { LabelGroup } from "../../../policy/telemetry/metric-labels.js";
import { overriddenLabels, type LogPlan, type MetricsPlan, type ScopeRuntime } from "../../../policy/telemetry/telemetry-runtime.js";
import type { RequestContext } from "../../chain/request-context.js";
import { otlpLogRecord } from "../../../policy/telemetry/otlp-log-record.js";

/** Flags meaning the request never reached the destination workload (no destination-side report). */
const NOT_DELIVERED = new Set(["UH", "UF", "UO", "NC", "NR", "URX"]);

type Cf = { colo?: string; httpProtocol?: string; tlsVersion?: string };

export function report(rc: RequestContext, response: Response): void {
  try {
    reportRequest(rc, response);
  } catch (e) {
    // Reporting never fails a request.
    console.error(JSON.stringify({ error: "telemetry report failed", request_id: rc.requestId, message: String((e as Error)?.stack ?? e) }));
  }
}

function reportRequest(rc: RequestContext, response: Response): void {
  const now = Date.now();
  const r = new Report(rc, response, now);
  const tr = rc.live.telemetryRuntime;
  const sourceScope = rc.listener === "gateway" ? tr.gateway : tr.caller(rc.caller.principal, rc.caller.namespace);
  const reached = rc.endpoint?.workload !== undefined && !rc.flags.some((f) => NOT_DELIVERED.has(f));
  const destinationScope = reached ? tr.workload(rc.endpoint!.workload!) : undefined;

  r.recordMetrics("source", sourceScope.metrics.client, "unknown");
  if (destinationScope) {
    const security = rc.endpoint!.kind === "binding" || rc.cluster?.tls?.mode === "ISTIO_MUTUAL" ? "mutual_tls" : "none";
    r.recordMetrics("destination", destinationScope.metrics.server, security);
  }
  rc.live.metrics.maybeFlush(rc.env, rc.waitUntil, now, rc.live.version);
  writeDataPoint(rc, r);
  r.log(sourceScope, destinationScope);
}

/**
 * Explain's view of stage 11: the Telemetry scopes that would decide, the labels of the series the
 * request would count under (REQUEST_COUNT, overrides applied), and the access-log lines it would write.
 */
export function explainTelemetry(rc: RequestContext, response: Response): Record<string, unknown> {
  const r = new Report(rc, response, Date.now());
  const tr = rc.live.telemetryRuntime;
  const sourceScope = rc.listener === "gateway" ? tr.gateway : tr.caller(rc.caller.principal, rc.caller.namespace);
  const reached = rc.endpoint?.workload !== undefined && !rc.flags.some((f) => NOT_DELIVERED.has(f));
  const destinationScope = reached ? tr.workload(rc.endpoint!.workload!) : undefined;
  const side = (reporter: "source" | "destination", scope: ScopeRuntime, plan: MetricsPlan, security: string) => ({
    telemetry: scope.from,
    metrics: plan.off ? "off" : plan.plain ? "standard" : "overridden",
    labels: plan.off ? null : parseLabelText(r.labelsFor(reporter, plan, security)),
  });
  const lines: { provider: string; logged: boolean; line?: string }[] = [];
  for (const p of [...sourceScope.logs.client, ...(destinationScope?.logs.server ?? [])]) {
    if (lines.some((l) => l.provider === p.provider.name)) continue;
    const logged = !p.filter || p.filter.eval(r.attributes()) === true;
    lines.push({ provider: p.provider.name, logged, ...(logged ? { line: formatAccessLog(p.provider.format, r.entry()) } : {}) });
  }
  return {
    source: side("source", sourceScope, sourceScope.metrics.client, "unknown"),
    destination: destinationScope ? side("destination", destinationScope, destinationScope.metrics.server, rc.endpoint!.kind === "binding" ? "mutual_tls" : "none") : null,
    accessLog: lines,
  };
}

const parseLabelText = (text: string): Record<string, string> => Object.fromEntries([...text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));

/** One request's reporting state (attributes built at most once). */
class Report {
  readonly durationMs: number;
  readonly flags: string;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly source: LabelGroup;
  readonly destination: LabelGroup;
  readonly protocol: "http" | "grpc";
  private attrs?: Record<string, unknown>;
  private cfRead?: { cf: Cf | undefined };

  constructor(readonly rc: RequestContext, readonly response: Response, now: number) {
    this.durationMs = now - rc.startedAt;
    this.flags = rc.flags.length ? rc.flags.join(",") : "-";
    this.requestBytes = contentLength(rc.request.headers);
    this.responseBytes = contentLength(response.headers);
    const labeler = rc.live.telemetryRuntime.labels;
    this.source = rc.listener === "gateway" ? labeler.gatewaySource : labeler.meshSource(rc.caller.principal, rc.caller.namespace);
    this.destination = labeler.destination(rc.cluster, rc.endpoint?.workload, rc.destination?.host, rc.upstreamCluster);
    this.protocol = (rc.request.headers.get("content-type") ?? "").startsWith("application/grpc") ? "grpc" : "http";
  }

  /** `request.cf`, read only when an access log or CEL attribute needs it (each read parses it). */
  get cf(): Cf | undefined {
    this.cfRead ??= { cf: (this.rc.request as { cf?: Cf }).cf };
    return this.cfRead.cf;
  }

  private get tail(): string {
    return `,request_protocol="${this.protocol}",response_code="${this.response.status}",grpc_response_status="",response_flags="${this.flags}",connection_security_policy=`;
  }

  recordMetrics(reporter: "source" | "destination", plan: MetricsPlan, security: string): void {
    if (plan.off) return;
    if (plan.plain) {
      // A numeric key (no string built) in the steady state; the labels are rendered once per new series.
      const deltas = this.rc.live.metrics.deltas;
      const status = this.response.status;
      const sec = security === "unknown" ? 0 : security === "mutual_tls" ? 1 : security === "none" ? 2 : undefined;
      const key = (sec !== undefined ? deltas.standardKey(reporter === "source" ? 0 : 1, this.source.id, this.destination.id, status, this.flags, sec, this.protocol === "grpc") : undefined)
        ?? reporter + " " + this.source.id + " " + this.destination.id + " " + status + " " + this.flags + " " + security + " " + this.protocol;
      if (!deltas.count(key, this.durationMs, this.requestBytes, this.responseBytes)) {
        deltas.countNew(key, `reporter="${reporter}",` + this.source.text + "," + this.destination.text + this.tail + '"' + security + '"', ALL_METRICS_MASK, this.durationMs, this.requestBytes, this.responseBytes);
      }
      return;
    }
    // Tag overrides or disabled metrics: group the metrics that end up with the same labels.
    const pairs = this.pairs(reporter, security);
    const groups = new Map<string, number>();
    for (const m of plan.metrics) {
      const labels = overriddenLabels(pairs, m.tags, () => this.attributes());
      groups.set(labels, (groups.get(labels) ?? 0) | m.bit);
    }
    for (const [labels, mask] of groups) this.rc.live.metrics.deltas.record(labels, mask, this.durationMs, this.requestBytes, this.responseBytes);
  }

  /** The REQUEST_COUNT labels under a plan (for explain). */
  labelsFor(reporter: "source" | "destination", plan: MetricsPlan, security: string): string {
    const m = plan.metrics.find((x) => x.bit === 1) ?? plan.metrics[0];
    return overriddenLabels(this.pairs(reporter, security), m?.tags ?? [], () => this.attributes());
  }

  private pairs(reporter: string, security: string): [string, string][] {
    return [
      ["reporter", reporter], ...this.source.pairs, ...this.destination.pairs,
      ["request_protocol", this.protocol], ["response_code", String(this.response.status)], ["grpc_response_status", ""],
      ["response_flags", this.flags], ["connection_security_policy", security],
    ];
  }

  /** Envoy's attributes for CEL (request.*, response.*, source.*, destination.*, upstream.*, xds.*, connection.*). */
  attributes(): Record<string, unknown> {
    if (this.attrs) return this.attrs;
    const rc = this.rc;
    const headers: Record<string, string> = {};
    rc.request.headers.forEach((v, k) => (headers[k] = v));
    const responseHeaders: Record<string, string> = {};
    this.response.headers.forEach((v, k) => (responseHeaders[k] = v));
    const q = rc.path.indexOf("?");
    const peer = (g: LabelGroup, prefix: string) => Object.fromEntries(g.pairs.filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    this.attrs = {
      request: {
        path: rc.path,
        url_path: q < 0 ? rc.path : rc.path.slice(0, q),
        query: q < 0 ? "" : rc.path.slice(q + 1),
        host: rc.authority,
        scheme: rc.scheme,
        method: rc.method,
        headers,
        useragent: headers["user-agent"] ?? "",
        referer: headers["referer"] ?? "",
        id: rc.requestId,
        protocol: this.cf?.httpProtocol ?? "HTTP/1.1",
        time: new Date(rc.startedAt).toISOString(),
        duration: this.durationMs,
        size: this.requestBytes,
        total_size: this.requestBytes,
      },
      response: {
        code: this.response.status,
        code_details: rc.details ?? "",
        flags: this.flags,
        grpc_status: "",
        headers: responseHeaders,
        size: this.responseBytes,
        total_size: this.responseBytes,
        duration: this.durationMs,
      },
      source: { address: headers[CONNECTING_IP_HEADER] ?? "", principal: rc.sourcePrincipal ? `spiffe://${rc.sourcePrincipal}` : "", ...peer(this.source, "source_") },
      destination: { address: rc.upstreamHost ?? "", port: rc.port, ...peer(this.destination, "destination_") },
      upstream: { address: rc.upstreamHost ?? "" },
      connection: { requested_server_name: rc.authority.replace(/:\d+$/, ""), mtls: rc.caller.kind === "mesh" && !!rc.caller.principal },
      xds: { cluster_name: rc.cluster?.name ?? rc.upstreamCluster ?? "", route_name: rc.decision?.routeName ?? "", listener: rc.listener },
    };
    return this.attrs;
  }

  entry(): AccessLogEntry {
    const rc = this.rc;
    const response = this.response;
    return {
      startTime: rc.startedAt,
      durationMs: this.durationMs,
      protocol: this.cf?.httpProtocol ?? "HTTP/1.1",
      responseCode: response.status,
      responseFlags: this.flags,
      responseCodeDetails: rc.details ?? "-",
      bytesReceived: this.requestBytes,
      bytesSent: this.responseBytes,
      upstreamHost: rc.upstreamHost,
      upstreamCluster: rc.cluster?.name ?? rc.upstreamCluster,
      routeName: rc.decision?.routeName,
      downstreamRemoteAddress: rc.request.headers.get(CONNECTING_IP_HEADER) ?? undefined,
      requestedServerName: rc.scheme === "https" ? rc.authority.replace(/:\d+$/, "") : undefined,
      upstreamTransportFailureReason: rc.flags.includes("UF") ? "connection_failure" : undefined,
      downstreamPeerUriSan: rc.sourcePrincipal ? `spiffe://${rc.sourcePrincipal}` : undefined,
      requestHeader: (name) => {
        switch (name) {
          case ":method": return rc.method;
          case ":path": return rc.path;
          case ":authority":
          case "host": return rc.authority;
          case ":scheme": return rc.scheme;
          case "x-request-id": return rc.requestId || rc.request.headers.get(name);
          // Edge requests lost every x-envoy-* header in stage 1; the path is reported unrewritten (as Envoy's default format shows it).
          case "x-envoy-original-path": return rc.listener === "gateway" ? null : rc.request.headers.get(name);
          default: return rc.headers.get(name); // as the stages saw them (edge-sanitized, claim outputs added)
        }
      },
      responseHeader: (name) => response.headers.get(name),
      attributes: () => this.attributes(),
      env: rc.env as unknown as Record<string, unknown>,
    };
  }

  /** One console.log: the lines of every provider in scope whose filter matches (source side first). */
  log(source: ScopeRuntime, destination: ScopeRuntime | undefined): void {
    const plans: LogPlan[] = source.logs.client;
    const more = destination?.logs.server ?? [];
    if (plans.length === 0 && more.length === 0) return;
    const seen = new Set<string>();
    const lines: string[] = [];
    let entry: AccessLogEntry | undefined;
    for (const p of plans.length && more.length ? [...plans, ...more] : plans.length ? plans : more) {
      if (seen.has(p.provider.name)) continue;
      seen.add(p.provider.name);
      if (p.filter && p.filter.eval(this.attributes()) !== true) continue;
      entry ??= this.entry();
      if (p.provider.kind === "envoyOtelAls") this.rc.live.otlpLogs.enqueue(p.provider, otlpLogRecord(p.provider.format, entry, this.rc.live.telemetryRuntime.defaultText), this.rc.env, this.rc.waitUntil);
      else lines.push(formatAccessLog(p.provider.format, entry));
    }
    if (lines.length) console.log(lines.join("\n"));
  }
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
function writeDataPoint(rc: RequestContext, r: Report): void {
  const ds = rc.env.METRICS_DATASET;
  if (!ds) return;
  const d = r.destination.pairs;
  ds.writeDataPoint({
    indexes: [d[8]![1]], // destination_service_name
    blobs: [rc.listener, r.source.pairs[0]![1], d[0]![1], d[1]![1], d[5]![1], d[4]![1], String(r.response.status), r.flags, rc.decision?.routeName ?? "", rc.cluster?.name ?? rc.upstreamCluster ?? "", rc.method, rc.authority],
    doubles: [1, r.durationMs, r.requestBytes, r.responseBytes, r.response.status],
  });
}
