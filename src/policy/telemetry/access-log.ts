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

/**
 * Compiles a format's getters (CEL programs included) ahead of the first request. Formats belong to the
 * parsed MESH_CONFIG, which lives as long as the isolate; the compiled getters are kept beside them.
 */
export function prepareFormat(format: AccessLogFormat): void {
  for (const f of format.kind === "text" ? [format.format] : Object.values(format.labels)) compile(f);
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

/** Envoy's long response-flag names (`%RESPONSE_FLAGS_LONG%`). */
const LONG_FLAGS: Record<string, string> = {
  UH: "NoHealthyUpstream", UF: "UpstreamConnectionFailure", UO: "UpstreamOverflow", NR: "NoRouteFound",
  URX: "UpstreamRetryLimitExceeded", NC: "NoClusterFound", DT: "DurationTimeout", DC: "DownstreamConnectionTermination",
  UT: "UpstreamRequestTimeout", LR: "LocalReset", UR: "UpstreamRemoteReset", UC: "UpstreamConnectionTermination",
  DI: "DelayInjected", FI: "FaultInjected", RL: "RateLimited", UAEX: "UnauthorizedExternalService",
  RLSE: "RateLimitServiceError", IH: "InvalidEnvoyRequestHeaders", SI: "StreamIdleTimeout", DPE: "DownstreamProtocolError",
  UPE: "UpstreamProtocolError", UMSDR: "UpstreamMaxStreamDurationReached", OM: "OverloadManagerTerminated", DF: "DnsResolutionFailed",
};

type Getter = (e: AccessLogEntry) => string | number | undefined;

/** One operator's value getter, chosen once per format (string, number, or undefined: Envoy's `-` / JSON null). */
function getter(op: FormatOperator): Getter {
  const g = rawGetter(op);
  const max = op.max;
  return max === undefined ? g : (e) => {
    const v = g(e);
    return typeof v === "string" && v.length > max ? v.slice(0, max) : v;
  };
}

function rawGetter(op: FormatOperator): Getter {
  switch (op.op) {
    case "START_TIME": {
      const fmt = op.args?.[0];
      return (e) => formatStartTime(e.startTime, fmt);
    }
    case "REQ": {
      const [a, b] = op.args!;
      return b === undefined ? (e) => e.requestHeader(a!) ?? undefined : (e) => e.requestHeader(a!) ?? e.requestHeader(b) ?? undefined;
    }
    case "RESP": {
      const [a, b] = op.args!;
      return b === undefined ? (e) => e.responseHeader(a!) ?? undefined : (e) => e.responseHeader(a!) ?? e.responseHeader(b) ?? undefined;
    }
    case "TRAILER": return () => undefined;
    case "RESPONSE_CODE": return (e) => e.responseCode;
    case "RESPONSE_CODE_CLASS": return (e) => `${Math.floor(e.responseCode / 100)}xx`;
    case "RESPONSE_CODE_DETAILS": return (e) => e.responseCodeDetails;
    case "RESPONSE_FLAGS": return (e) => e.responseFlags;
    case "RESPONSE_FLAGS_LONG": return (e) => (e.responseFlags === "-" ? "-" : e.responseFlags.split(",").map((f) => LONG_FLAGS[f] ?? f).join(","));
    case "DURATION":
    case "REQUEST_DURATION":
    case "RESPONSE_DURATION": return (e) => e.durationMs;
    case "BYTES_RECEIVED": return (e) => e.bytesReceived;
    case "BYTES_SENT": return (e) => e.bytesSent;
    case "UPSTREAM_HOST":
    case "UPSTREAM_REMOTE_ADDRESS": return (e) => e.upstreamHost;
    case "UPSTREAM_CLUSTER":
    case "UPSTREAM_CLUSTER_RAW": return (e) => e.upstreamCluster;
    case "ROUTE_NAME": return (e) => e.routeName;
    case "DOWNSTREAM_REMOTE_ADDRESS":
    case "DOWNSTREAM_DIRECT_REMOTE_ADDRESS": return (e) => e.downstreamRemoteAddress;
    case "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT":
    case "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT": return (e) => e.downstreamRemoteAddress?.replace(/:\d+$/, "");
    case "DOWNSTREAM_LOCAL_ADDRESS": return (e) => e.downstreamLocalAddress;
    case "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT": return (e) => e.downstreamLocalAddress?.replace(/:\d+$/, "");
    case "DOWNSTREAM_LOCAL_PORT": return (e) => {
      const m = /:(\d+)$/.exec(e.downstreamLocalAddress ?? "");
      return m ? Number(m[1]) : undefined;
    };
    case "REQUESTED_SERVER_NAME": return (e) => e.requestedServerName;
    case "UPSTREAM_TRANSPORT_FAILURE_REASON": return (e) => e.upstreamTransportFailureReason;
    case "UPSTREAM_REQUEST_ATTEMPT_COUNT": return (e) => e.upstreamRequestAttemptCount;
    case "PROTOCOL": return (e) => e.protocol;
    case "UPSTREAM_PROTOCOL": return (e) => e.upstreamHost ? "HTTP/1.1" : undefined;
    case "STREAM_ID": return (e) => e.requestHeader("x-request-id") ?? undefined;
    case "TRACE_ID": return (e) => {
      const tp = e.requestHeader("traceparent");
      return tp ? tp.split("-")[1] : undefined;
    };
    case "HOSTNAME": return () => "isthmus-gateway";
    case "DOWNSTREAM_PEER_URI_SAN": return (e) => e.downstreamPeerUriSan;
    case "ENVIRONMENT": {
      const name = op.args![0]!;
      return (e) => {
        const v = e.env?.[name];
        return typeof v === "string" ? v : undefined;
      };
    }
    case "CEL": {
      const program: CelProgram = compileCel(op.args![0]!);
      return (e) => celString(program.eval(e.attributes()));
    }
    default: return () => undefined; // connection-level operators with no meaning in a Worker (TLS versions, local addresses)
  }
}

interface Compiled {
  /** Literal text, or an operator's getter. */
  parts: (string | Getter)[];
  /** The only part is one numeric operator (typed in JSON). */
  numeric: boolean;
}

const compiled = new WeakMap<LogFormat, Compiled>();

function compile(f: LogFormat): Compiled {
  let c = compiled.get(f);
  if (!c) {
    const only = f.parts.length === 1 && typeof f.parts[0] !== "string" ? f.parts[0] : undefined;
    c = { parts: f.parts.map((p) => (typeof p === "string" ? p : getter(p))), numeric: !!only && NUMERIC_OPERATORS.has(only.op) };
    compiled.set(f, c);
  }
  return c;
}

function renderText(f: LogFormat, e: AccessLogEntry): string {
  let out = "";
  for (const p of compile(f).parts) {
    if (typeof p === "string") out += p;
    else {
      const v = p(e);
      out += v === undefined || v === "" ? "-" : v;
    }
  }
  return out;
}

/** A JSON label: one operator alone keeps its type (numbers stay numbers, missing is null); otherwise text. */
function renderJsonValue(f: LogFormat, e: AccessLogEntry): unknown {
  const c = compile(f);
  if (c.parts.length === 1 && typeof c.parts[0] !== "string") {
    const v = c.parts[0]!(e);
    if (v === undefined || v === "") return null;
    return c.numeric ? Number(v) : v;
  }
  return renderText(f, e);
}

/** The log line (text without its trailing newline; JSON as one object). */
export function formatAccessLog(format: AccessLogFormat, e: AccessLogEntry): string {
  if (format.kind === "text") {
    const line = renderText(format.format, e);
    return line.endsWith("\n") ? line.slice(0, -1) : line;
  }
  return JSON.stringify(accessLogLabels(format.labels, e));
}

/** A JSON format's labels as values (numbers typed, missing values null): the object the line serializes. */
export function accessLogLabels(labels: Record<string, LogFormat>, e: AccessLogEntry): Record<string, unknown> {
  const obj = Object.create(null) as Record<string, unknown>; // a label may be named `__proto__`
  for (const k of Object.keys(labels)) obj[k] = renderJsonValue(labels[k]!, e);
  return obj;
}
