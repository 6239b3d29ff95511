/**
 * The mesh-wide settings Istio keeps in MeshConfig (the `istio` ConfigMap's `mesh` key), read here
 * from the Worker var `MESH_CONFIG` (YAML or JSON, same field names as Istio). Isthmus understands:
 *
 * - `extensionProviders[].envoyExtAuthzHttp`: the HTTP authorization services that
 *   AuthorizationPolicy `action: CUSTOM` names by `provider.name`;
 * - `defaultConfig.gatewayTopology.numTrustedProxies`: proxies in front of the gateway that append
 *   to X-Forwarded-For (`remote.ip`, `remoteIpBlocks`);
 * - `pathNormalization.normalization`.
 *
 * Other MeshConfig fields are accepted with a warning (ignored). A provider with errors is kept as
 * `invalid`: CUSTOM policies that name it deny the requests they match, as Istio does ("will generate
 * deny configs"), so a typo never opens a door.
 *
 * `service` takes Istio's `[<namespace>/]<hostname>` (fetched as `http://<hostname>:<port>`), and two
 * Workers forms: `binding:<NAME>` (a service binding of the gateway Worker) or an `http(s)://` URL.
 *
 * @example
 *   const { config, errors } = parseMeshConfig(env.MESH_CONFIG);
 *   // MESH_CONFIG = "extensionProviders:\n- name: oauth2\n  envoyExtAuthzHttp: {service: binding:OAUTH2, includeRequestHeadersInCheck: [cookie]}"
 */
import { parse } from "yaml";
import { parseDuration } from "./duration.js";
import { joinPath } from "./loader.js";
import { addTelemetryProviders, defaultMeshTelemetry, parseMeshTelemetry, type MeshTelemetry } from "./mesh-telemetry.js";

export type MeshPathNormalization = "NONE" | "BASE" | "MERGE_SLASHES" | "DECODE_AND_MERGE_SLASHES";

export interface MeshConfig {
  /** Providers by name. */
  extensionProviders: MeshExtensionProviders;
  /** `defaultConfig.gatewayTopology.numTrustedProxies` (default 0). */
  numTrustedProxies: number;
  /** `pathNormalization.normalization` (`DEFAULT` means `BASE`, the default). */
  pathNormalization: MeshPathNormalization;
  /**
   * `outboundTrafficPolicy.mode`: what a member's call through the mesh to a host no ServiceEntry
   * registers does — `ALLOW_ANY` (default) passes it through (PassthroughCluster), `REGISTRY_ONLY`
   * answers 502 (BlackHoleCluster).
   */
  outboundTrafficPolicy: "ALLOW_ANY" | "REGISTRY_ONLY";
  /** `defaultProviders`, `accessLog*`, `enableTracing` and the telemetry providers (mesh-telemetry.ts). */
  telemetry: MeshTelemetry;
}

export type MeshExtensionProviders = Record<string, ExtensionProvider>;

export type ExtensionProvider = ExtAuthzHttpProvider | UnsupportedProvider | InvalidProvider;

/** Where the authorization service is reached. */
export type ExtAuthzService =
  /** A service binding of the gateway Worker. */
  | { kind: "binding"; binding: string }
  /** A base URL (scheme, host, optional port and path; no trailing slash). */
  | { kind: "url"; url: string };

/** `envoyExtAuthzHttp`, with Istio's defaults applied. */
export interface ExtAuthzHttpProvider {
  kind: "envoyExtAuthzHttp";
  name: string;
  service: ExtAuthzService;
  /** Prepended to the request path in the check request (default ""). */
  pathPrefix: string;
  /** Default 600 s. */
  timeoutMs: number;
  /** Allow the request when the service cannot be reached or answers 5xx (default false). */
  failOpen: boolean;
  /** Status sent to the client on a failed check when not failOpen (default 403). */
  statusOnError: number;
  /** Request headers copied into the check (exact, `prefix*`, `*suffix`; case-insensitive). */
  includeRequestHeadersInCheck: string[];
  /** Fixed headers added to the check (override request headers of the same name). */
  includeAdditionalHeadersInCheck: Record<string, string>;
  /** Check-response headers set on the upstream request on allow. */
  headersToUpstreamOnAllow: string[];
  /** Check-response headers added to the client response on allow. */
  headersToDownstreamOnAllow: string[];
  /** Check-response headers sent to the client on deny; empty ⇒ all but Host. */
  headersToDownstreamOnDeny: string[];
}

/** A provider kind Isthmus does not implement for authorization (tracing, logging, gRPC ext-authz...). */
export interface UnsupportedProvider {
  kind: "unsupported";
  name: string;
  /** The provider's field name, e.g. `envoyExtAuthzGrpc`, `zipkin`. */
  type: string;
  /** As written, for the stages that read other provider kinds. */
  config: unknown;
}

/** A provider with errors; CUSTOM policies naming it deny what they match. */
export interface InvalidProvider {
  kind: "invalid";
  name: string;
  errors: string[];
}

export interface MeshConfigIssue {
  /** Field path, e.g. `extensionProviders[0].envoyExtAuthzHttp.port`. */
  path: string;
  message: string;
}

export interface MeshConfigResult {
  config: MeshConfig;
  /** Problems that made a field unusable (the field falls back to its default, a provider turns `invalid`). */
  errors: MeshConfigIssue[];
  /** Ignored fields. */
  warnings: MeshConfigIssue[];
}

export const DEFAULT_EXT_AUTHZ_TIMEOUT_MS = 600_000;

export function defaultMeshConfig(): MeshConfig {
  return { extensionProviders: {}, numTrustedProxies: 0, pathNormalization: "BASE", outboundTrafficPolicy: "ALLOW_ANY", telemetry: defaultMeshTelemetry() };
}

/** Parses the `MESH_CONFIG` var; empty or absent gives the defaults. */
export function parseMeshConfig(text: string | undefined): MeshConfigResult {
  if (text === undefined || text.trim() === "") return { config: defaultMeshConfig(), errors: [], warnings: [] };
  let value: unknown;
  try {
    value = parse(text, { logLevel: "error" });
  } catch (e) {
    return { config: defaultMeshConfig(), errors: [{ path: "", message: `MESH_CONFIG is not valid YAML or JSON: ${(e as Error).message}` }], warnings: [] };
  }
  return meshConfigFromValue(value ?? {});
}

/** MeshConfig fields Isthmus reads elsewhere or ignores on purpose (a warning, not an error). */
const IGNORED_FIELDS = new Set([
  "connectTimeout", "localityLbSetting", "defaultHttpRetryPolicy", "defaultVirtualServiceExportTo",
  "defaultDestinationRuleExportTo", "defaultServiceExportTo", "rootNamespace", "trustDomain", "trustDomainAliases",
  "enableAutoMtls", "ingressClass", "ingressService", "ingressControllerMode", "ingressSelector", "protocolDetectionTimeout",
  "inboundTrafficPolicy", "tcpKeepalive", "h2UpgradePolicy", "meshMTLS", "tlsDefaults", "serviceSettings", "discoverySelectors",
]);

export function meshConfigFromValue(value: unknown): MeshConfigResult {
  const errors: MeshConfigIssue[] = [];
  const warnings: MeshConfigIssue[] = [];
  const config = defaultMeshConfig();
  if (!isObject(value)) {
    errors.push({ path: "", message: "MESH_CONFIG must be an object (MeshConfig fields)" });
    return { config, errors, warnings };
  }
  config.telemetry = parseMeshTelemetry(value, errors);
  addTelemetryProviders(config.telemetry, value.extensionProviders, errors);
  for (const [key, field] of Object.entries(value)) {
    switch (key) {
      case "accessLogFile":
      case "accessLogEncoding":
      case "accessLogFormat":
      case "enableTracing":
      case "defaultProviders":
        break; // mesh-telemetry.ts
      case "extensionProviders":
        config.extensionProviders = parseProviders(field, key, errors, warnings);
        break;
      case "defaultConfig":
        config.numTrustedProxies = parseDefaultConfig(field, key, errors, warnings);
        break;
      case "pathNormalization": {
        const mode = parsePathNormalization(field, key, errors);
        if (mode) config.pathNormalization = mode;
        break;
      }
      case "outboundTrafficPolicy": {
        const mode = (field as { mode?: unknown } | null)?.mode;
        if (field === null || typeof field !== "object" || (mode !== undefined && mode !== "ALLOW_ANY" && mode !== "REGISTRY_ONLY"))
          errors.push({ path: `${key}.mode`, message: `outboundTrafficPolicy.mode must be ALLOW_ANY or REGISTRY_ONLY, got ${JSON.stringify(mode ?? field)}` });
        else if (mode) config.outboundTrafficPolicy = mode;
        break;
      }
      default:
        warnings.push({ path: key, message: IGNORED_FIELDS.has(key) ? `${key} is not used by Isthmus (ignored)` : `unknown MeshConfig field ${JSON.stringify(key)} (ignored)` });
    }
  }
  return { config, errors, warnings };
}

function parseDefaultConfig(value: unknown, path: string, errors: MeshConfigIssue[], warnings: MeshConfigIssue[]): number {
  if (!isObject(value)) {
    errors.push({ path, message: "defaultConfig must be an object" });
    return 0;
  }
  let hops = 0;
  for (const [key, field] of Object.entries(value)) {
    const at = joinPath(path, key);
    if (key === "tracing") continue; // read by tracing-settings.ts
    if (key !== "gatewayTopology") {
      warnings.push({ path: at, message: `${at} is not used by Isthmus (ignored)` });
      continue;
    }
    if (!isObject(field)) {
      errors.push({ path: at, message: "gatewayTopology must be an object" });
      continue;
    }
    for (const [k, v] of Object.entries(field)) {
      const fieldPath = joinPath(at, k);
      if (k !== "numTrustedProxies") {
        warnings.push({ path: fieldPath, message: `${fieldPath} is not used by Isthmus (ignored)` });
        continue;
      }
      if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 4294967295) hops = v;
      else errors.push({ path: fieldPath, message: `numTrustedProxies must be a non-negative integer, got ${JSON.stringify(v)}` });
    }
  }
  return hops;
}

const NORMALIZATIONS: Record<string, MeshPathNormalization> = {
  DEFAULT: "BASE",
  NONE: "NONE",
  BASE: "BASE",
  MERGE_SLASHES: "MERGE_SLASHES",
  DECODE_AND_MERGE_SLASHES: "DECODE_AND_MERGE_SLASHES",
};

function parsePathNormalization(value: unknown, path: string, errors: MeshConfigIssue[]): MeshPathNormalization | undefined {
  if (!isObject(value)) {
    errors.push({ path, message: "pathNormalization must be an object with `normalization`" });
    return undefined;
  }
  const mode = value.normalization;
  if (mode === undefined) return "BASE";
  const known = typeof mode === "string" ? NORMALIZATIONS[mode] : undefined;
  if (!known) errors.push({ path: joinPath(path, "normalization"), message: `unknown normalization ${JSON.stringify(mode)}; one of ${Object.keys(NORMALIZATIONS).join(", ")}` });
  return known;
}

/** Provider names as Istio's builder accepts them (lower-case DNS label, ≤ 63). */
export function providerNameError(name: string): string | undefined {
  if (name === "") return "extension provider name must not be empty";
  if (name.length > 63) return `provider name too long (max 63 characters): ${name.length}`;
  if (!/^[a-z0-9-]+$/.test(name)) return `invalid provider name ${JSON.stringify(name)}: only lowercase letters, digits, and hyphens allowed`;
  if (name.startsWith("-") || name.endsWith("-")) return `invalid provider name ${JSON.stringify(name)}: cannot start or end with hyphen`;
  return undefined;
}

function parseProviders(value: unknown, path: string, errors: MeshConfigIssue[], warnings: MeshConfigIssue[]): MeshExtensionProviders {
  const out: MeshExtensionProviders = {};
  if (!Array.isArray(value)) {
    errors.push({ path, message: "extensionProviders must be a list" });
    return out;
  }
  value.forEach((entry, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(entry)) {
      errors.push({ path: at, message: "an extension provider must be an object with `name` and one provider field" });
      return;
    }
    const name = typeof entry.name === "string" ? entry.name : "";
    const problems: MeshConfigIssue[] = [];
    const nameErr = providerNameError(name);
    if (nameErr) problems.push({ path: joinPath(at, "name"), message: nameErr });
    else if (out[name]) problems.push({ path: joinPath(at, "name"), message: `extension provider name must be unique, found duplicate: ${name}` });

    const kinds = Object.keys(entry).filter((k) => k !== "name");
    let provider: ExtensionProvider | undefined;
    if (kinds.length !== 1) {
      problems.push({ path: at, message: `exactly one provider field must be set, found ${kinds.length ? kinds.join(", ") : "none"}` });
    } else if (kinds[0] === "envoyExtAuthzHttp") {
      const parsed = parseExtAuthzHttp(name, entry.envoyExtAuthzHttp, joinPath(at, "envoyExtAuthzHttp"), problems, warnings);
      if (parsed) provider = parsed;
    } else {
      provider = { kind: "unsupported", name, type: kinds[0]!, config: entry[kinds[0]!] };
      if (kinds[0] === "envoyExtAuthzGrpc")
        warnings.push({ path: joinPath(at, kinds[0]), message: `provider ${name}: envoyExtAuthzGrpc is not supported by Isthmus; use envoyExtAuthzHttp (CUSTOM policies naming it deny what they match)` });
    }
    errors.push(...problems);
    if (name === "") return;
    // As in Istio, a duplicated name leaves the provider in error (its policies deny), never the first one silently.
    out[name] = problems.length || !provider ? { kind: "invalid", name, errors: problems.map((p) => `${p.path}: ${p.message}`) } : provider;
  });
  return out;
}

const HTTP_FIELDS = new Set([
  "service", "port", "timeout", "pathPrefix", "failOpen", "clearRouteCache", "statusOnError", "includeHeadersInCheck",
  "includeRequestHeadersInCheck", "includeAdditionalHeadersInCheck", "includeRequestBodyInCheck", "headersToUpstreamOnAllow",
  "headersToDownstreamOnDeny", "headersToDownstreamOnAllow",
]);

function parseExtAuthzHttp(name: string, value: unknown, path: string, problems: MeshConfigIssue[], warnings: MeshConfigIssue[]): ExtAuthzHttpProvider | undefined {
  if (!isObject(value)) {
    problems.push({ path, message: "envoyExtAuthzHttp must be an object" });
    return undefined;
  }
  const err = (field: string, message: string) => problems.push({ path: joinPath(path, field), message });
  for (const key of Object.keys(value)) if (!HTTP_FIELDS.has(key)) err(key, `unknown field ${JSON.stringify(key)}`);

  const port = value.port;
  if (port !== undefined && !(typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535))
    err("port", `port must be in the range [1, 65535], found: ${JSON.stringify(port)}`);
  const service = parseService(value.service, typeof port === "number" ? port : undefined, (m) => err("service", m));

  let timeoutMs = DEFAULT_EXT_AUTHZ_TIMEOUT_MS;
  if (value.timeout !== undefined) {
    const ms = typeof value.timeout === "string" ? parseDuration(value.timeout) : undefined;
    if (ms === undefined || ms <= 0) err("timeout", `invalid timeout ${JSON.stringify(value.timeout)}: expected a positive duration such as "5s"`);
    else timeoutMs = ms;
  }

  let pathPrefix = "";
  if (value.pathPrefix !== undefined) {
    if (typeof value.pathPrefix !== "string" || !value.pathPrefix.startsWith("/")) err("pathPrefix", `pathPrefix must begin with \`/\`, found: ${JSON.stringify(value.pathPrefix)}`);
    else if (/[?#\s]/.test(value.pathPrefix)) err("pathPrefix", `invalid pathPrefix ${JSON.stringify(value.pathPrefix)}: no query, fragment or spaces`);
    else pathPrefix = value.pathPrefix;
  }

  const bool = (field: string): boolean => {
    const v = value[field];
    if (v === undefined) return false;
    if (typeof v !== "boolean") err(field, `${field} must be true or false`);
    return v === true;
  };
  const failOpen = bool("failOpen");
  bool("clearRouteCache"); // headers from the check are visible to routing anyway: CUSTOM runs before the route match

  let statusOnError = 403;
  if (value.statusOnError !== undefined) {
    const raw = value.statusOnError;
    const code = typeof raw === "number" ? raw : typeof raw === "string" && /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
    if (!ENVOY_STATUS_CODES.has(code)) err("statusOnError", `unsupported statusOnError ${JSON.stringify(raw)}, supported values: ${[...ENVOY_STATUS_CODES].join(", ")}`);
    else statusOnError = code;
  }

  if (value.includeRequestBodyInCheck !== undefined)
    err("includeRequestBodyInCheck", "includeRequestBodyInCheck is not supported by Isthmus: the check request never carries the body");

  const headerList = (field: string): string[] => {
    const v = value[field];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((h) => typeof h !== "string" || h === "")) {
      err(field, `${field} must be a list of non-empty header names`);
      return [];
    }
    if (v.includes("*")) err(field, `a single wildcard ("*") is not supported, change it to either prefix or suffix match: ${field}`);
    return v as string[];
  };
  let includeRequestHeadersInCheck = headerList("includeRequestHeadersInCheck");
  const deprecated = headerList("includeHeadersInCheck");
  if (includeRequestHeadersInCheck.length === 0) includeRequestHeadersInCheck = deprecated;
  if (value.includeHeadersInCheck !== undefined)
    warnings.push({ path: joinPath(path, "includeHeadersInCheck"), message: "includeHeadersInCheck is deprecated; use includeRequestHeadersInCheck" });

  const includeAdditionalHeadersInCheck: Record<string, string> = {};
  const extra = value.includeAdditionalHeadersInCheck;
  if (extra !== undefined) {
    if (!isObject(extra) || Object.values(extra).some((v) => typeof v !== "string"))
      err("includeAdditionalHeadersInCheck", "includeAdditionalHeadersInCheck must map header names to string values");
    else for (const [k, v] of Object.entries(extra)) includeAdditionalHeadersInCheck[k.toLowerCase()] = v as string;
  }

  const provider: ExtAuthzHttpProvider = {
    kind: "envoyExtAuthzHttp",
    name,
    service: service ?? { kind: "url", url: "" },
    pathPrefix,
    timeoutMs,
    failOpen,
    statusOnError,
    includeRequestHeadersInCheck,
    includeAdditionalHeadersInCheck,
    headersToUpstreamOnAllow: headerList("headersToUpstreamOnAllow"),
    headersToDownstreamOnAllow: headerList("headersToDownstreamOnAllow"),
    headersToDownstreamOnDeny: headerList("headersToDownstreamOnDeny"),
  };
  return service ? provider : undefined;
}

const BINDING = /^binding:([A-Za-z_][A-Za-z0-9_]*)$/;
const HOSTNAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function parseService(value: unknown, port: number | undefined, err: (m: string) => void): ExtAuthzService | undefined {
  if (typeof value !== "string" || value === "") {
    err("service must not be empty");
    return undefined;
  }
  const binding = BINDING.exec(value);
  if (binding) return { kind: "binding", binding: binding[1]! };
  if (value.startsWith("binding:")) {
    err(`invalid binding name in ${JSON.stringify(value)}: expected binding:<NAME> with a Worker binding name`);
    return undefined;
  }
  if (/^https?:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      err(`invalid service URL ${JSON.stringify(value)}`);
      return undefined;
    }
    if (url.search || url.hash || url.username || url.password) {
      err(`service URL ${JSON.stringify(value)} must not carry credentials, a query or a fragment`);
      return undefined;
    }
    if (port !== undefined) {
      if (url.port && Number(url.port) !== port) {
        err(`service URL port ${url.port} conflicts with port ${port}`);
        return undefined;
      }
      url.port = String(port);
    }
    return { kind: "url", url: url.toString().replace(/\/+$/, "") };
  }
  // Istio's form: [<namespace>/]<hostname> (or an IP address), with a required port.
  const slash = value.indexOf("/");
  const host = slash < 0 ? value : value.slice(slash + 1);
  if (value.split("/").length > 2 || !(HOSTNAME.test(host) || /^[0-9.]+$/.test(host)) || host.startsWith("*")) {
    err(`invalid service fmt ${value}: expected [<namespace>/]<hostname>, binding:<NAME> or an http(s):// URL`);
    return undefined;
  }
  if (port === undefined) {
    err(`port is required with service ${JSON.stringify(value)}`);
    return undefined;
  }
  return { kind: "url", url: `http://${host.toLowerCase()}:${port}` };
}

/** envoy.type.v3.StatusCode: the statuses Envoy accepts for `status_on_error`. */
const ENVOY_STATUS_CODES = new Set([
  100, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405,
  406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423, 424, 426, 428, 429, 431, 500, 501, 502, 503, 504,
  505, 506, 507, 508, 510, 511,
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
