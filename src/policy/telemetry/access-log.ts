/**
 * Formats one access-log line from a parsed Envoy format (config/access-log-format.ts): text, with `-`
 * for a missing value as Envoy writes it, or a JSON object (numbers typed, missing values null). The
 * request's values come through `AccessLogEntry`, filled by the gateway from the request context.
 */
import { NUMERIC_OPERATORS, type FormatOperator, type LogFormat } from "../../config/access-log-format.js";
import { celString, compileCel, type CelProgram } from "../../config/cel.js";
import type { AccessLogFormat } from "../../config/mesh-telemetry.js";

export interface AccessLogEntry {
  startTime: number;
  durationMs: number;
  protocol: string;
  responseCode: number;
  responseFlags: string;
  responseCodeDetails: string;
  bytesReceived: number;
  bytesSent: number;
  upstreamHost?: string;
  upstreamCluster?: string;
  routeName?: string;
  downstreamRemoteAddress?: string;
  downstreamLocalAddress?: string;
  requestedServerName?: string;
  upstreamTransportFailureReason?: string;
  upstreamRequestAttemptCount?: number;
  downstreamPeerUriSan?: string;
  /** A request header (lower-case name; `:method`, `:path`, `:authority`, `:scheme` too), null when absent. */
  requestHeader(name: string): string | null;
  responseHeader(name: string): string | null;
  /** The CEL activation (request / response / source / destination attributes), built on first use. */
  attributes(): Record<string, unknown>;
  env?: Record<string, unknown>;
}

const celCache = new Map<string, CelProgram>();
const cel = (expr: string): CelProgram => {
  let p = celCache.get(expr);
  if (!p) celCache.set(expr, (p = compileCel(expr)));
  return p;
};

/** Compiles the CEL operators of a format ahead of the first request. */
export function prepareFormat(format: AccessLogFormat): void {
  const all = format.kind === "text" ? [format.format] : Object.values(format.labels);
  for (const f of all) for (const p of f.parts) if (typeof p !== "string" && p.op === "CEL") cel(p.args![0]!);
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Envoy's START_TIME: default `%Y-%m-%dT%H:%M:%E3SZ` (UTC), or a strftime format (with `%E<n>S`, `%<n>f`, `%s`). */
export function formatStartTime(ms: number, fmt?: string): string {
  const d = new Date(ms);
  if (!fmt) return d.toISOString();
  const frac = (digits: number) => String(ms % 1000).padStart(3, "0").padEnd(9, "0").slice(0, digits);
  return fmt.replace(/%(E(\d)S|(\d)?f|[YmdHMSsjzZ%])/g, (all, spec: string, eDigits?: string, fDigits?: string) => {
    if (eDigits !== undefined) return pad(d.getUTCSeconds()) + (Number(eDigits) > 0 ? "." + frac(Number(eDigits)) : "");
    if (spec.endsWith("f")) return frac(fDigits === undefined ? 9 : Number(fDigits));
    switch (spec) {
      case "Y": return String(d.getUTCFullYear());
      case "m": return pad(d.getUTCMonth() + 1);
      case "d": return pad(d.getUTCDate());
      case "H": return pad(d.getUTCHours());
      case "M": return pad(d.getUTCMinutes());
      case "S": return pad(d.getUTCSeconds());
      case "s": return String(Math.floor(ms / 1000));
      case "j": return pad(Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3);
      case "z": return "+0000";
      case "Z": return "UTC";
      case "%": return "%";
      default: return all;
    }
  });
}

/** One operator's value: string, number, or undefined (Envoy's `-` / JSON null). */
function value(op: FormatOperator, e: AccessLogEntry): string | number | undefined {
  switch (op.op) {
    case "START_TIME": return formatStartTime(e.startTime, op.args?.[0]);
    case "REQ": return header(op.args!, (n) => e.requestHeader(n));
    case "RESP": return header(op.args!, (n) => e.responseHeader(n));
    case "TRAILER": return undefined;
    case "RESPONSE_CODE": return e.responseCode;
    case "RESPONSE_CODE_CLASS": return `${Math.floor(e.responseCode / 100)}xx`;
    case "RESPONSE_CODE_DETAILS": return e.responseCodeDetails;
    case "RESPONSE_FLAGS":
    case "RESPONSE_FLAGS_LONG": return e.responseFlags;
    case "DURATION":
    case "REQUEST_DURATION":
    case "RESPONSE_DURATION": return e.durationMs;
    case "BYTES_RECEIVED": return e.bytesReceived;
    case "BYTES_SENT": return e.bytesSent;
    case "UPSTREAM_HOST":
    case "UPSTREAM_REMOTE_ADDRESS": return e.upstreamHost;
    case "UPSTREAM_CLUSTER":
    case "UPSTREAM_CLUSTER_RAW": return e.upstreamCluster;
    case "ROUTE_NAME": return e.routeName;
    case "DOWNSTREAM_REMOTE_ADDRESS":
    case "DOWNSTREAM_DIRECT_REMOTE_ADDRESS": return e.downstreamRemoteAddress;
    case "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT":
    case "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT": return e.downstreamRemoteAddress?.replace(/:\d+$/, "");
    case "DOWNSTREAM_LOCAL_ADDRESS": return e.downstreamLocalAddress;
    case "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT": return e.downstreamLocalAddress?.replace(/:\d+$/, "");
    case "DOWNSTREAM_LOCAL_PORT": {
      const m = /:(\d+)$/.exec(e.downstreamLocalAddress ?? "");
      return m ? Number(m[1]) : undefined;
    }
    case "REQUESTED_SERVER_NAME": return e.requestedServerName;
    case "UPSTREAM_TRANSPORT_FAILURE_REASON": return e.upstreamTransportFailureReason;
    case "UPSTREAM_REQUEST_ATTEMPT_COUNT": return e.upstreamRequestAttemptCount;
    case "PROTOCOL": return e.protocol;
    case "UPSTREAM_PROTOCOL": return e.upstreamHost ? "HTTP/1.1" : undefined;
    case "STREAM_ID": return e.requestHeader("x-request-id") ?? undefined;
    case "TRACE_ID": {
      const tp = e.requestHeader("traceparent");
      return tp ? tp.split("-")[1] : undefined;
    }
    case "HOSTNAME": return "isthmus-gateway";
    case "DOWNSTREAM_PEER_URI_SAN": return e.downstreamPeerUriSan;
    case "ENVIRONMENT": {
      const v = e.env?.[op.args![0]!];
      return typeof v === "string" ? v : undefined;
    }
    case "CEL": return celString(cel(op.args![0]!).eval(e.attributes()));
    default: return undefined; // connection-level operators with no meaning in a Worker (TLS versions, local addresses)
  }
}

function header(names: string[], get: (n: string) => string | null): string | undefined {
  for (const n of names) {
    const v = get(n);
    if (v !== null) return v;
  }
  return undefined;
}

function truncate(v: string | number | undefined, max: number | undefined): string | number | undefined {
  return max !== undefined && typeof v === "string" && v.length > max ? v.slice(0, max) : v;
}

function renderText(f: LogFormat, e: AccessLogEntry): string {
  let out = "";
  for (const p of f.parts) {
    if (typeof p === "string") out += p;
    else {
      const v = truncate(value(p, e), p.max);
      out += v === undefined || v === "" ? "-" : String(v);
    }
  }
  return out;
}

/** A JSON label: one operator alone keeps its type (numbers stay numbers, missing is null); otherwise text. */
function renderJsonValue(f: LogFormat, e: AccessLogEntry): unknown {
  if (f.parts.length === 1 && typeof f.parts[0] !== "string") {
    const p = f.parts[0]!;
    const v = truncate(value(p, e), p.max);
    if (v === undefined || v === "") return null;
    return NUMERIC_OPERATORS.has(p.op) ? Number(v) : v;
  }
  return renderText(f, e);
}

/** The log line (text without its trailing newline; JSON as one object). */
export function formatAccessLog(format: AccessLogFormat, e: AccessLogEntry): string {
  if (format.kind === "text") return renderText(format.format, e).replace(/\n$/, "");
  const obj: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(format.labels)) obj[k] = renderJsonValue(f, e);
  return JSON.stringify(obj);
}
