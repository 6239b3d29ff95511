/**
 * The telemetry half of MeshConfig: `defaultProviders`, `accessLogFile` / `accessLogEncoding` /
 * `accessLogFormat`, `enableTracing`, and the telemetry `extensionProviders` (`prometheus`,
 * `envoyFileAccessLog`, `envoyOtelAls`, `opentelemetry`, and the tracing kinds Isthmus does not run).
 * As in Istio's default install, two providers exist unless MESH_CONFIG redefines their names:
 * `prometheus` (metrics) and `envoy` (file access log to stdout in the mesh's format and encoding), and
 * `defaultProviders.metrics` is `[prometheus]`. Access-log formats are parsed here, once; an unknown
 * command operator is an error at the field's path.
 */
import { celExpressionError } from "./cel.js";
import { ISTIO_JSON_LABELS, ISTIO_TEXT_FORMAT, parseLogFormat, type LogFormat } from "./access-log-format.js";
import { parseDuration } from "./duration.js";
import { joinPath } from "./loader.js";

/** How a log provider formats: Envoy text, or a JSON object whose values are format strings. */
export type AccessLogFormat = { kind: "text"; format: LogFormat } | { kind: "json"; labels: Record<string, LogFormat> };

export interface PrometheusProvider {
  kind: "prometheus";
  name: string;
}
export interface FileAccessLogProvider {
  kind: "envoyFileAccessLog";
  name: string;
  /** Written to the Worker's logs whatever the path (`/dev/stdout` in Istio). */
  path: string;
  format: AccessLogFormat;
}
export interface OtelAlsProvider {
  kind: "envoyOtelAls";
  name: string;
  service: string;
  port?: number;
  logName?: string;
  format: AccessLogFormat;
}
export interface OpenTelemetryProvider {
  kind: "opentelemetry";
  name: string;
  /** `binding:<NAME>`, an `http(s)://` URL, or Istio's `[<ns>/]<host>` (with `port`). */
  service: string;
  port?: number;
  maxTagLength?: number;
  /** Present: OTLP/HTTP (path, timeout, headers); absent: OTLP/gRPC in Istio (Isthmus exports OTLP/HTTP either way). */
  http?: { path: string; timeoutMs?: number; headers: Record<string, string> };
  /** As written, for what the tracing runtime reads beyond these fields. */
  config: Record<string, unknown>;
}
/** Tracing kinds Isthmus accepts but does not export to (zipkin, datadog, skywalking, stackdriver, ...). */
export interface OtherTelemetryProvider {
  kind: "other";
  name: string;
  type: string;
}
export type TelemetryProvider = PrometheusProvider | FileAccessLogProvider | OtelAlsProvider | OpenTelemetryProvider | OtherTelemetryProvider;

export interface MeshTelemetry {
  defaultProviders: { metrics: string[]; accessLogging: string[]; tracing: string[] };
  /** `accessLogFile`: non-empty turns the built-in `envoy` log on without any Telemetry (Istio's legacy switch). */
  accessLogFile: string;
  accessLogEncoding: "TEXT" | "JSON";
  /** The built-in `envoy` provider's format (accessLogFormat + accessLogEncoding). */
  envoyFormat: AccessLogFormat;
  enableTracing: boolean;
  /** Telemetry providers by name, the built-in ones included. */
  providers: Record<string, TelemetryProvider>;
}

export const TELEMETRY_PROVIDER_KINDS = new Set([
  "prometheus", "envoyFileAccessLog", "envoyOtelAls", "opentelemetry", "envoyHttpAls", "envoyTcpAls",
  "zipkin", "datadog", "skywalking", "stackdriver", "lightstep", "sds",
]);

export interface Issue {
  path: string;
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The default text format, parsed. */
export function defaultTextFormat(): AccessLogFormat {
  return { kind: "text", format: parseLogFormat(ISTIO_TEXT_FORMAT).format! };
}

/** Istio's default JSON labels, parsed. */
export function defaultJsonFormat(): AccessLogFormat {
  return { kind: "json", labels: Object.fromEntries(Object.entries(ISTIO_JSON_LABELS).map(([k, v]) => [k, parseLogFormat(v).format!])) };
}

export function defaultMeshTelemetry(): MeshTelemetry {
  return {
    defaultProviders: { metrics: ["prometheus"], accessLogging: [], tracing: [] },
    accessLogFile: "",
    accessLogEncoding: "TEXT",
    envoyFormat: defaultTextFormat(),
    enableTracing: true,
    providers: builtInProviders(defaultTextFormat()),
  };
}

const builtInProviders = (envoyFormat: AccessLogFormat): Record<string, TelemetryProvider> => ({
  prometheus: { kind: "prometheus", name: "prometheus" },
  envoy: { kind: "envoyFileAccessLog", name: "envoy", path: "/dev/stdout", format: envoyFormat },
});

/** Reads the telemetry fields of a MeshConfig object (the rest is mesh-config.ts's). */
export function parseMeshTelemetry(value: Record<string, unknown>, errors: Issue[]): MeshTelemetry {
  const t = defaultMeshTelemetry();
  const dp = value.defaultProviders;
  if (dp !== undefined) {
    if (!isObject(dp)) errors.push({ path: "defaultProviders", message: "defaultProviders must be an object with metrics, accessLogging and tracing lists" });
    else
      for (const [k, v] of Object.entries(dp)) {
        if (k !== "metrics" && k !== "accessLogging" && k !== "tracing") errors.push({ path: joinPath("defaultProviders", k), message: `unknown field ${JSON.stringify(k)}` });
        else if (!Array.isArray(v) || v.some((n) => typeof n !== "string")) errors.push({ path: joinPath("defaultProviders", k), message: `${k} must be a list of provider names` });
        else t.defaultProviders[k] = v as string[];
      }
  }
  if (value.accessLogFile !== undefined) {
    if (typeof value.accessLogFile !== "string") errors.push({ path: "accessLogFile", message: "accessLogFile must be a string" });
    else t.accessLogFile = value.accessLogFile;
  }
  if (value.accessLogEncoding !== undefined) {
    if (value.accessLogEncoding !== "TEXT" && value.accessLogEncoding !== "JSON") errors.push({ path: "accessLogEncoding", message: `accessLogEncoding must be TEXT or JSON, got ${JSON.stringify(value.accessLogEncoding)}` });
    else t.accessLogEncoding = value.accessLogEncoding;
  }
  if (value.enableTracing !== undefined) {
    if (typeof value.enableTracing !== "boolean") errors.push({ path: "enableTracing", message: "enableTracing must be true or false" });
    else t.enableTracing = value.enableTracing;
  }
  const fmt = value.accessLogFormat;
  if (fmt !== undefined && typeof fmt !== "string") errors.push({ path: "accessLogFormat", message: "accessLogFormat must be a string" });
  t.envoyFormat = meshFormat(typeof fmt === "string" ? fmt : "", t.accessLogEncoding, errors);
  t.providers = builtInProviders(t.envoyFormat);
  return t;
}

/** `accessLogFormat` with `accessLogEncoding`: a JSON encoding takes a JSON object of format strings. */
function meshFormat(text: string, encoding: "TEXT" | "JSON", errors: Issue[]): AccessLogFormat {
  if (text === "") return encoding === "JSON" ? defaultJsonFormat() : defaultTextFormat();
  if (encoding === "TEXT") return textFormat(text, "accessLogFormat", errors) ?? defaultTextFormat();
  let labels: unknown;
  try {
    labels = JSON.parse(text);
  } catch {
    errors.push({ path: "accessLogFormat", message: "with accessLogEncoding JSON, accessLogFormat must be a JSON object of format strings" });
    return defaultJsonFormat();
  }
  return labelsFormat(labels, "accessLogFormat", errors) ?? defaultJsonFormat();
}

function textFormat(text: string, path: string, errors: Issue[]): AccessLogFormat | undefined {
  const { format, error } = parseLogFormat(text.endsWith("\n") ? text : text + "\n", { celError: celExpressionError });
  if (error) {
    errors.push({ path, message: error });
    return undefined;
  }
  return { kind: "text", format: format! };
}

function labelsFormat(value: unknown, path: string, errors: Issue[]): AccessLogFormat | undefined {
  if (!isObject(value)) {
    errors.push({ path, message: "labels must map names to format strings" });
    return undefined;
  }
  const labels: Record<string, LogFormat> = {};
  let ok = true;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") {
      errors.push({ path: joinPath(path, k), message: "a label value must be a format string" });
      ok = false;
      continue;
    }
    const { format, error } = parseLogFormat(v, { celError: celExpressionError });
    if (error) {
      errors.push({ path: joinPath(path, k), message: error });
      ok = false;
    } else labels[k] = format!;
  }
  return ok ? { kind: "json", labels } : undefined;
}

/** `logFormat: {text | labels}` of a log provider; absent: Istio's default text format. */
function providerFormat(value: unknown, path: string, errors: Issue[]): AccessLogFormat | undefined {
  if (value === undefined) return defaultTextFormat();
  if (!isObject(value)) {
    errors.push({ path, message: "logFormat must be an object with text or labels" });
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== "text" && keys[0] !== "labels")) {
    errors.push({ path, message: `logFormat must set exactly one of text or labels, got ${keys.join(", ") || "none"}` });
    return undefined;
  }
  if (keys[0] === "text") {
    if (typeof value.text !== "string") {
      errors.push({ path: joinPath(path, "text"), message: "text must be a string" });
      return undefined;
    }
    return textFormat(value.text, joinPath(path, "text"), errors);
  }
  return labelsFormat(value.labels, joinPath(path, "labels"), errors);
}

/**
 * One telemetry provider of `extensionProviders[i]` (`kind` is its provider field). Problems go to
 * `errors` with their paths; a provider with problems is not returned.
 */
export function parseTelemetryProvider(name: string, kind: string, value: unknown, path: string, errors: Issue[]): TelemetryProvider | undefined {
  const before = errors.length;
  const cfg = value === undefined || value === null ? {} : value;
  if (!isObject(cfg)) {
    errors.push({ path, message: `${kind} must be an object` });
    return undefined;
  }
  const str = (field: string, required: boolean): string | undefined => {
    const v = cfg[field];
    if (v === undefined) {
      if (required) errors.push({ path: joinPath(path, field), message: `${field} must be set` });
      return undefined;
    }
    if (typeof v !== "string" || v === "") errors.push({ path: joinPath(path, field), message: `${field} must be a non-empty string` });
    return typeof v === "string" ? v : undefined;
  };
  const port = (): number | undefined => {
    const p = cfg.port;
    if (p === undefined) return undefined;
    if (!(typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535)) errors.push({ path: joinPath(path, "port"), message: `port must be in the range [1, 65535], found: ${JSON.stringify(p)}` });
    return typeof p === "number" ? p : undefined;
  };
  let out: TelemetryProvider | undefined;
  switch (kind) {
    case "prometheus":
      out = { kind: "prometheus", name };
      break;
    case "envoyFileAccessLog": {
      const format = providerFormat(cfg.logFormat, joinPath(path, "logFormat"), errors);
      out = format && { kind: "envoyFileAccessLog", name, path: str("path", false) ?? "/dev/stdout", format };
      break;
    }
    case "envoyOtelAls": {
      const service = str("service", true);
      const p = port();
      const format = providerFormat(cfg.logFormat, joinPath(path, "logFormat"), errors);
      const logName = str("logName", false);
      out = service && format ? { kind: "envoyOtelAls", name, service, ...(p ? { port: p } : {}), ...(logName ? { logName } : {}), format } : undefined;
      break;
    }
    case "opentelemetry": {
      const service = str("service", true);
      const p = port();
      let http: OpenTelemetryProvider["http"];
      if (cfg.http !== undefined) {
        const h = cfg.http;
        if (!isObject(h)) errors.push({ path: joinPath(path, "http"), message: "http must be an object" });
        else {
          const timeout = h.timeout === undefined ? undefined : typeof h.timeout === "string" ? parseDuration(h.timeout) : undefined;
          if (h.timeout !== undefined && (timeout === undefined || timeout <= 0)) errors.push({ path: joinPath(path, "http.timeout"), message: `invalid timeout ${JSON.stringify(h.timeout)}` });
          const headers: Record<string, string> = {};
          if (h.headers !== undefined) {
            if (!Array.isArray(h.headers)) errors.push({ path: joinPath(path, "http.headers"), message: "headers must be a list of {name, value}" });
            else
              h.headers.forEach((e: unknown, i: number) => {
                if (isObject(e) && typeof e.name === "string" && typeof e.value === "string") headers[e.name.toLowerCase()] = e.value;
                else errors.push({ path: `${joinPath(path, "http.headers")}[${i}]`, message: "a header must have a name and a string value" });
              });
          }
          const hpath = h.path === undefined ? "/v1/traces" : String(h.path);
          http = { path: hpath.startsWith("/") ? hpath : "/" + hpath, ...(timeout ? { timeoutMs: timeout } : {}), headers };
        }
      }
      const maxTagLength = typeof cfg.maxTagLength === "number" ? cfg.maxTagLength : undefined;
      out = service ? { kind: "opentelemetry", name, service, ...(p ? { port: p } : {}), ...(maxTagLength ? { maxTagLength } : {}), ...(http ? { http } : {}), config: cfg } : undefined;
      break;
    }
    default:
      out = { kind: "other", name, type: kind };
  }
  return errors.length === before ? out : undefined;
}

/** Adds the telemetry kinds of `extensionProviders` to `t.providers` (a user provider replaces a built-in one of the same name). */
export function addTelemetryProviders(t: MeshTelemetry, list: unknown, errors: Issue[]): void {
  if (!Array.isArray(list)) return;
  list.forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.name !== "string") return;
    const kinds = Object.keys(entry).filter((k) => k !== "name");
    if (kinds.length !== 1 || !TELEMETRY_PROVIDER_KINDS.has(kinds[0]!)) return;
    const kind = kinds[0]!;
    const p = parseTelemetryProvider(entry.name, kind, entry[kind], joinPath(`extensionProviders[${i}]`, kind), errors);
    if (p) t.providers[entry.name] = p;
    else delete t.providers[entry.name];
  });
}
