/**
 * What the gateway's tracer needs to know, and where it comes from today.
 *
 * Istio: tracing is on when a Telemetry `tracing[]` entry (or MeshConfig `defaultProviders.tracing`)
 * names an `opentelemetry` extension provider; the sampling percentage is the Telemetry's
 * `randomSamplingPercentage`, else MeshConfig `defaultConfig.tracing.sampling` (Istio's default 1%).
 *
 * `TracingSettings` is the one shape the gateway reads. `tracingFromMeshConfig` builds it from the
 * MESH_CONFIG var; `withTelemetryTracing` lays the Telemetry `tracing[]` compiled for the gateway over it
 * (`telemetryTracingOf` in src/gateway/tracing reads it off the snapshot's telemetry table; once per hydrate,
 * over the isolate's `meshTracing`, parsed once per MESH_CONFIG value).
 *
 * The `opentelemetry` provider: `service` as for ext-authz (`binding:<NAME>`, an `http(s)://` URL, or
 * Istio's `[<ns>/]<host>` with `port`). With `http:` (Istio's OTLP/HTTP) the gateway sends protobuf to
 * `http.path` (default `/v1/traces`), as Envoy's HTTP exporter does, with `http.headers` and
 * `http.timeout`; without it (Istio's gRPC, which Workers cannot speak) OTLP/HTTP JSON to `/v1/traces`.
 *
 * @example
 *   tracingFromMeshConfig(`
 *     extensionProviders: [{name: otel, opentelemetry: {service: binding:OTEL, http: {path: /v1/traces}}}]
 *     defaultProviders: {tracing: [otel]}
 *     defaultConfig: {tracing: {sampling: 10}}`)
 *   // → { provider: { name: "otel", encoding: "protobuf", ... }, randomSamplingPercentage: 10, customTags: {} }
 */
import { parse } from "yaml";
import { parseDuration } from "./duration.js";
import { parseService, type ExtAuthzService } from "./mesh-config.js";

export interface OtelTracingProvider {
  name: string;
  service: ExtAuthzService;
  /** Path appended to the service (`/v1/traces`). */
  path: string;
  encoding: "json" | "protobuf";
  headers: Record<string, string>;
  timeoutMs: number;
}

/** Istio's Telemetry `customTags`: a literal, a request header (with default) or an environment variable (a Worker var). */
export type CustomTag =
  | { literal: { value: string } }
  | { header: { name: string; defaultValue?: string } }
  | { environment: { name: string; defaultValue?: string } };

export interface TracingSettings {
  /** Where spans go; none means no tracer: no spans, no trace context written (a caller's passes unchanged). */
  provider?: OtelTracingProvider;
  /** 0–100. */
  randomSamplingPercentage: number;
  customTags: Record<string, CustomTag>;
  /** MESH_CONFIG problems (field path + message), for logs. */
  errors: string[];
}

/** What the Telemetry compile (`tracing[]` at the gateway's scope, CLIENT mode) hands the tracer. */
export interface TelemetryTracing {
  /** Provider names (`providers[].name`); empty means the default providers. */
  providers?: string[];
  randomSamplingPercentage?: number;
  customTags?: Record<string, CustomTag>;
  /** `disableSpanReporting`. */
  disableSpanReporting?: boolean;
}

export const DEFAULT_SAMPLING_PERCENTAGE = 1;
const DEFAULT_TIMEOUT_MS = 5_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every `opentelemetry` provider in MESH_CONFIG, by name, plus `defaultProviders.tracing` and the sampling default. */
export interface MeshTracing {
  providers: Record<string, OtelTracingProvider>;
  defaultProviders: string[];
  sampling: number;
  errors: string[];
}

export function meshTracing(text: string | undefined): MeshTracing {
  const out: MeshTracing = { providers: {}, defaultProviders: [], sampling: DEFAULT_SAMPLING_PERCENTAGE, errors: [] };
  if (!text?.trim()) return out;
  let value: unknown;
  try {
    value = parse(text, { logLevel: "error" });
  } catch {
    return out; // mesh-config.ts reports the parse error
  }
  if (!isObject(value)) return out;
  const providers = Array.isArray(value.extensionProviders) ? value.extensionProviders : [];
  providers.forEach((entry, i) => {
    if (!isObject(entry) || !isObject(entry.opentelemetry) || typeof entry.name !== "string") return;
    const p = parseOtel(entry.name, entry.opentelemetry, `extensionProviders[${i}].opentelemetry`, out.errors);
    if (p) out.providers[p.name] = p;
  });
  const defaults = isObject(value.defaultProviders) ? value.defaultProviders.tracing : undefined;
  if (Array.isArray(defaults)) out.defaultProviders = defaults.filter((d): d is string => typeof d === "string");
  const sampling = isObject(value.defaultConfig) && isObject(value.defaultConfig.tracing) ? value.defaultConfig.tracing.sampling : undefined;
  if (sampling !== undefined) {
    if (typeof sampling === "number" && sampling >= 0 && sampling <= 100) out.sampling = sampling;
    else out.errors.push(`defaultConfig.tracing.sampling: must be a percentage in [0, 100], got ${JSON.stringify(sampling)}`);
  }
  return out;
}

function parseOtel(name: string, v: Record<string, unknown>, path: string, errors: string[]): OtelTracingProvider | undefined {
  const port = typeof v.port === "number" ? v.port : undefined;
  const service = parseService(v.service, port, (m) => errors.push(`${path}.service: ${m}`));
  if (!service) return undefined;
  const http = isObject(v.http) ? v.http : undefined;
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  const timeout = http?.timeout;
  if (timeout !== undefined) {
    const ms = typeof timeout === "string" ? parseDuration(timeout) : undefined;
    if (ms === undefined || ms <= 0) errors.push(`${path}.http.timeout: expected a positive duration such as "5s", got ${JSON.stringify(timeout)}`);
    else timeoutMs = ms;
  }
  const headers: Record<string, string> = {};
  if (Array.isArray(http?.headers)) {
    for (const h of http.headers) if (isObject(h) && typeof h.name === "string" && typeof h.value === "string") headers[h.name.toLowerCase()] = h.value;
  }
  const rawPath = typeof http?.path === "string" && http.path ? http.path : "/v1/traces";
  return { name, service, path: rawPath.startsWith("/") ? rawPath : `/${rawPath}`, encoding: http ? "protobuf" : "json", headers, timeoutMs };
}

/**
 * The gateway's tracing: the MeshConfig defaults (first default tracing provider, default sampling), with a
 * Telemetry `tracing[]` entry over them when one applies (Istio: the Telemetry wins field by field).
 */
export function tracingSettings(mesh: MeshTracing, telemetry?: TelemetryTracing): TracingSettings {
  const byDefault = mesh.defaultProviders.map((n) => mesh.providers[n]).find((p) => p !== undefined);
  if (!telemetry) return { provider: byDefault, randomSamplingPercentage: mesh.sampling, customTags: {}, errors: mesh.errors };
  const named = telemetry.providers?.length ? telemetry.providers.map((n) => mesh.providers[n]).find((p) => p !== undefined) : byDefault;
  return {
    provider: telemetry.disableSpanReporting ? undefined : named,
    randomSamplingPercentage: telemetry.randomSamplingPercentage ?? mesh.sampling,
    customTags: { ...telemetry.customTags },
    errors: mesh.errors,
  };
}

/** `tracingSettings` from MESH_CONFIG text alone. */
export const tracingFromMeshConfig = (text: string | undefined): TracingSettings => tracingSettings(meshTracing(text));

/** `tracingSettings` from MESH_CONFIG text and a Telemetry entry. */
export const withTelemetryTracing = (text: string | undefined, telemetry: TelemetryTracing | undefined): TracingSettings =>
  tracingSettings(meshTracing(text), telemetry);
