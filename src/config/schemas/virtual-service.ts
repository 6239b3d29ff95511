/**
 * VirtualService (networking.istio.io): routing rules. Schema follows istio/api
 * networking/v1alpha3/virtual_service.proto as served by Istio's CRD (JSON names, strict objects);
 * the rules follow the validation webhook (pkg/config/validation validateVirtualService & co).
 */
import { routingClaimPath } from "../claim-path.js";
import { z } from "zod";
import { parseDuration } from "../duration.js";
import { regexError } from "../regex.js";
import { DNS1123_SUBDOMAIN, isHeaderName, positiveDuration, stringMatch, type StringMatch } from "./common.js";
import type { RuleContext } from "./registry.js";
import {
  checkExportTo, checkLabels, checkMsPrecision, gatewayNameError, headerValueError, hostNamesOverlap, hostSubsetOf,
  i32, ipSubnetError, isDNS1123Label, isIP, oneOf, percent, portSelector, stringMap, sub, u32, wildcardDomainError,
} from "./networking-fields.js";

export type { Percent, PortSelector } from "./networking-fields.js";
export type { StringMatch } from "./common.js";

/** `Destination { host, subset, port }`. */
export const destination = z.strictObject({
  host: z.string(),
  subset: z.string().optional(),
  port: portSelector.optional(),
});
export type Destination = z.infer<typeof destination>;

/** `Headers.HeaderOperations { set, add, remove }`. */
export const headerOperations = z.strictObject({
  set: stringMap.optional(),
  add: stringMap.optional(),
  remove: z.array(z.string()).optional(),
});
export type HeaderOperations = z.infer<typeof headerOperations>;

/** `Headers { request, response }`. */
export const headers = z.strictObject({
  request: headerOperations.optional(),
  response: headerOperations.optional(),
});
export type Headers = z.infer<typeof headers>;

/**
 * `withoutHeaders` values: a StringMatch where `regex: "*"` is also allowed (Istio translates it to a
 * presence match rather than compiling it).
 */
export const withoutHeaderMatch = z
  .strictObject({ exact: z.string().optional(), prefix: z.string().optional(), regex: z.string().optional() })
  .superRefine((v, ctx) => {
    const set = (["exact", "prefix", "regex"] as const).filter((k) => v[k] !== undefined);
    if (set.length > 1) ctx.addIssue({ code: "custom", message: `only one of exact, prefix or regex may be set, got ${set.join(" and ")}` });
    if (v.regex !== undefined && v.regex !== "*") {
      const err = regexError(v.regex);
      if (err) ctx.addIssue({ code: "custom", path: ["regex"], message: err });
    }
  });

export const httpMatchRequest = z.strictObject({
  name: z.string().optional(),
  uri: stringMatch.optional(),
  scheme: stringMatch.optional(),
  method: stringMatch.optional(),
  authority: stringMatch.optional(),
  headers: z.record(z.string(), stringMatch).optional(),
  port: u32.optional(),
  sourceLabels: stringMap.optional(),
  gateways: z.array(z.string()).optional(),
  queryParams: z.record(z.string(), stringMatch).optional(),
  ignoreUriCase: z.boolean().optional(),
  withoutHeaders: z.record(z.string(), withoutHeaderMatch).optional(),
  sourceNamespace: z.string().optional(),
  statPrefix: z.string().optional(),
});
export type HTTPMatchRequest = z.infer<typeof httpMatchRequest>;

export const httpRouteDestination = z.strictObject({
  destination,
  weight: i32.optional(),
  headers: headers.optional(),
});
export type HTTPRouteDestination = z.infer<typeof httpRouteDestination>;

/** Destination of a TLS or TCP route (no header operations). */
export const routeDestination = z.strictObject({
  destination,
  weight: i32.optional(),
});
export type RouteDestination = z.infer<typeof routeDestination>;

export const redirectPortSelection = z.enum(["FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"]);
export type RedirectPortSelection = z.infer<typeof redirectPortSelection>;

export const httpRedirect = z.strictObject({
  uri: z.string().optional(),
  authority: z.string().optional(),
  port: u32.optional(),
  derivePort: redirectPortSelection.optional(),
  scheme: z.string().optional(),
  redirectCode: u32.optional(),
  prefixRewrite: z.string().optional(),
});
export type HTTPRedirect = z.infer<typeof httpRedirect>;

/** `HTTPBody`: oneof `string` | `bytes` (base64 in JSON/YAML). */
export const httpBody = z.strictObject({
  string: z.string().optional(),
  bytes: z.string().optional(),
});
export type HTTPBody = z.infer<typeof httpBody>;

export const httpDirectResponse = z.strictObject({
  status: u32,
  body: httpBody.optional(),
});
export type HTTPDirectResponse = z.infer<typeof httpDirectResponse>;

export const delegate = z.strictObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
});
export type Delegate = z.infer<typeof delegate>;

export const regexRewrite = z.strictObject({
  match: z.string().optional(),
  rewrite: z.string().optional(),
});
export type RegexRewrite = z.infer<typeof regexRewrite>;

export const httpRewrite = z.strictObject({
  uri: z.string().optional(),
  authority: z.string().optional(),
  uriRegexRewrite: regexRewrite.optional(),
});
export type HTTPRewrite = z.infer<typeof httpRewrite>;

export const httpRetry = z.strictObject({
  attempts: i32.optional(),
  perTryTimeout: positiveDuration.optional(),
  retryOn: z.string().optional(),
  retryRemoteLocalities: z.boolean().optional(),
  retryIgnorePreviousHosts: z.boolean().optional(),
  backoff: positiveDuration.optional(),
});
export type HTTPRetry = z.infer<typeof httpRetry>;

export const faultDelay = z.strictObject({
  /** Deprecated integer percentage; honoured when `percentage` is unset. */
  percent: i32.optional(),
  fixedDelay: positiveDuration.optional(),
  exponentialDelay: positiveDuration.optional(),
  percentage: percent.optional(),
});
export type FaultDelay = z.infer<typeof faultDelay>;

export const faultAbort = z.strictObject({
  httpStatus: i32.optional(),
  grpcStatus: z.string().optional(),
  http2Error: z.string().optional(),
  percentage: percent.optional(),
});
export type FaultAbort = z.infer<typeof faultAbort>;

export const httpFaultInjection = z.strictObject({
  delay: faultDelay.optional(),
  abort: faultAbort.optional(),
});
export type HTTPFaultInjection = z.infer<typeof httpFaultInjection>;

export const httpMirrorPolicy = z.strictObject({
  destination,
  percentage: percent.optional(),
});
export type HTTPMirrorPolicy = z.infer<typeof httpMirrorPolicy>;

export const unmatchedPreflights = z.enum(["UNSPECIFIED", "FORWARD", "IGNORE"]);
export type UnmatchedPreflights = z.infer<typeof unmatchedPreflights>;

export const corsPolicy = z.strictObject({
  /** Deprecated exact-match origins. */
  allowOrigin: z.array(z.string()).optional(),
  allowOrigins: z.array(stringMatch).optional(),
  allowMethods: z.array(z.string()).optional(),
  allowHeaders: z.array(z.string()).optional(),
  exposeHeaders: z.array(z.string()).optional(),
  maxAge: positiveDuration.optional(),
  allowCredentials: z.boolean().optional(),
  unmatchedPreflights: unmatchedPreflights.optional(),
});
export type CorsPolicy = z.infer<typeof corsPolicy>;

export const httpRoute = z.strictObject({
  name: z.string().optional(),
  match: z.array(httpMatchRequest).optional(),
  route: z.array(httpRouteDestination).optional(),
  redirect: httpRedirect.optional(),
  directResponse: httpDirectResponse.optional(),
  delegate: delegate.optional(),
  rewrite: httpRewrite.optional(),
  timeout: positiveDuration.optional(),
  retries: httpRetry.optional(),
  fault: httpFaultInjection.optional(),
  mirror: destination.optional(),
  mirrors: z.array(httpMirrorPolicy).optional(),
  /** Deprecated integer mirror percentage (`mirror_percent` is its proto name, also accepted). */
  mirrorPercent: u32.optional(),
  mirror_percent: u32.optional(),
  mirrorPercentage: percent.optional(),
  corsPolicy: corsPolicy.optional(),
  headers: headers.optional(),
});
export type HTTPRoute = z.infer<typeof httpRoute>;

export const tlsMatchAttributes = z.strictObject({
  sniHosts: z.array(z.string()),
  destinationSubnets: z.array(z.string()).optional(),
  port: u32.optional(),
  sourceLabels: stringMap.optional(),
  gateways: z.array(z.string()).optional(),
  sourceNamespace: z.string().optional(),
});
export type TLSMatchAttributes = z.infer<typeof tlsMatchAttributes>;

export const l4MatchAttributes = z.strictObject({
  destinationSubnets: z.array(z.string()).optional(),
  port: u32.optional(),
  sourceSubnet: z.string().optional(),
  sourceLabels: stringMap.optional(),
  gateways: z.array(z.string()).optional(),
  sourceNamespace: z.string().optional(),
});
export type L4MatchAttributes = z.infer<typeof l4MatchAttributes>;

export const tlsRoute = z.strictObject({
  match: z.array(tlsMatchAttributes),
  route: z.array(routeDestination).optional(),
});
export type TLSRoute = z.infer<typeof tlsRoute>;

export const tcpRoute = z.strictObject({
  match: z.array(l4MatchAttributes).optional(),
  route: z.array(routeDestination).optional(),
});
export type TCPRoute = z.infer<typeof tcpRoute>;

export const virtualServiceSpec = z.strictObject({
  hosts: z.array(z.string()).optional(),
  gateways: z.array(z.string()).optional(),
  http: z.array(httpRoute).optional(),
  tls: z.array(tlsRoute).optional(),
  tcp: z.array(tcpRoute).optional(),
  exportTo: z.array(z.string()).optional(),
});
export type VirtualServiceSpec = z.infer<typeof virtualServiceSpec>;

// ---- webhook rules ----

/** The retryOn policies Envoy understands (`x-envoy-retry-on` and `x-envoy-retry-grpc-on`), as Istio validates them. */
export const RETRY_ON_POLICIES: ReadonlySet<string> = new Set([
  "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
  "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
  "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
]);

/** Methods allowed in `corsPolicy.allowMethods` (Go's net/http method names, and `*`). */
export const CORS_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"]);

/** gRPC status names accepted by `fault.abort.grpcStatus`. */
export const GRPC_STATUS_NAMES: ReadonlySet<string> = new Set([
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
  "DATA_LOSS", "UNAUTHENTICATED",
]);

/** Largest `directResponse.body` Istio admits (1 MiB). */
export const MAX_DIRECT_RESPONSE_BODY = 1024 * 1024;

/**
 * Is `name` a JWT-claim routing key (`@request.auth.claims.sub`, `@request.auth.claims[groups]`)? Such
 * keys match validated JWT claims rather than a header (Istio jwt.ToRoutingClaim).
 */
export function isJwtClaimKey(name: string): boolean {
  return routingClaimPath(name) !== undefined;
}

/** Does the VirtualService apply to gateways only (it lists gateways and not `mesh`)? */
export function isGatewayBound(spec: Pick<VirtualServiceSpec, "gateways">): boolean {
  return (spec.gateways?.length ?? 0) > 0 && !spec.gateways!.includes("mesh");
}

/** Does the VirtualService apply to the mesh (no gateways, or `mesh` among them)? */
export function appliesToMesh(spec: Pick<VirtualServiceSpec, "gateways">): boolean {
  return !isGatewayBound(spec);
}

/**
 * Webhook rules for a VirtualService (Istio ValidateVirtualService and pkg/config/validation
 * virtualservice.go). A VirtualService without hosts is a delegate: no gateways, no tls/tcp routes.
 */
export function virtualServiceRules(spec: VirtualServiceSpec, ctx: RuleContext): void {
  const hosts = spec.hosts ?? [];
  const isDelegate = hosts.length === 0;
  if (isDelegate) {
    if (spec.gateways?.length) ctx.error("spec.gateways", "a delegate VirtualService (one without hosts) must have no gateways specified; set hosts for a routable VirtualService");
    if (spec.tls?.length) ctx.error("spec.tls", "a delegate VirtualService (one without hosts) must have no tls routes");
    if (spec.tcp?.length) ctx.error("spec.tcp", "a delegate VirtualService (one without hosts) must have no tcp routes");
  }
  spec.gateways?.forEach((g, i) => {
    const err = gatewayNameError(g);
    if (err) ctx.error(`spec.gateways[${i}]`, err);
  });
  const gatewayBound = isGatewayBound(spec);

  if (!gatewayBound) {
    spec.http?.forEach((route, i) =>
      route.match?.forEach((m, j) => {
        for (const field of ["headers", "withoutHeaders"] as const) {
          for (const key of Object.keys(m[field] ?? {})) {
            if (isJwtClaimKey(key))
              ctx.error(sub(`spec.http[${i}].match[${j}].${field}`, key),
                `JWT claim based routing (key ${JSON.stringify(key)}) is only supported for VirtualServices bound to a gateway, found gateways: [${(spec.gateways ?? []).join(", ")}]`);
          }
        }
      }),
    );
  }

  const sniBound = gatewayBound && (spec.tls ?? []).some((t) => t.match.some((m) => m.sniHosts.length > 0));
  let allHostsValid = true;
  hosts.forEach((h, i) => {
    const err = gatewayBound ? vsGatewayHostError(h, sniBound) : wildcardDomainError(h);
    if (err) {
      if (!isIP(h)) {
        ctx.error(`spec.hosts[${i}]`, `invalid host ${JSON.stringify(h)}: ${err}`);
        allHostsValid = false;
      }
    } else if (!gatewayBound && h === "*") {
      ctx.error(`spec.hosts[${i}]`, `wildcard host "*" is not allowed for VirtualServices bound to the mesh (list gateways without "mesh" to use it)`);
      allHostsValid = false;
    }
  });
  if (allHostsValid) {
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        if (hostNamesOverlap(hosts[i]!, hosts[j]!))
          ctx.error(`spec.hosts[${j}]`, `duplicate hosts in virtual service: ${JSON.stringify(hosts[i])} & ${JSON.stringify(hosts[j])}`, "Duplicate");
      }
    }
  }

  if (!spec.http?.length && !spec.tcp?.length && !spec.tls?.length)
    ctx.error("spec", "http, tcp or tls must be provided in virtual service", "FieldValueRequired");

  spec.http?.forEach((route, i) => httpRouteRules(route, `spec.http[${i}]`, isDelegate, ctx));
  spec.tls?.forEach((route, i) => tlsRouteRules(route, `spec.tls[${i}]`, spec, ctx));
  spec.tcp?.forEach((route, i) => tcpRouteRules(route, `spec.tcp[${i}]`, ctx));
  checkExportTo(spec.exportTo, "spec.exportTo", ctx);
}

/** Istio's ValidateWildcardDomainForVirtualServiceBoundToGateway: also allows `outbound_.<port>_._.<host>` SNI names. */
function vsGatewayHostError(domain: string, sni: boolean): string | undefined {
  if (sni && domain.startsWith("outbound_")) {
    const parts = domain.split("_");
    if (parts.length < 4) return `domain name ${JSON.stringify(domain)} invalid, should follow 'outbound_.<port>_._.<hostname>' format`;
    const port = (parts[1] ?? "").replace(/^\.+|\.+$/g, "");
    const hostname = (parts[3] ?? "").replace(/^\.+|\.+$/g, "");
    if (!/[0-9]/.test(port)) return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(port)} invalid)`;
    if (!/[a-zA-Z]/.test(hostname)) return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(hostname)} invalid)`;
    return undefined;
  }
  return wildcardDomainError(domain);
}

/** Rules for one `http[]` route. `inDelegate`: the route belongs to a delegate VirtualService. */
function httpRouteRules(route: HTTPRoute, path: string, inDelegate: boolean, ctx: RuleContext): void {
  routeActionRules(route, path, inDelegate, ctx);
  route.match?.forEach((m, j) => matchRules(m, `${path}.match[${j}]`, ctx));

  if (route.headers) headersRules(route.headers, `${path}.headers`, ctx);
  if (route.corsPolicy) corsRules(route.corsPolicy, `${path}.corsPolicy`, ctx);
  if (route.fault) faultRules(route.fault, `${path}.fault`, ctx);

  for (const field of ["mirrorPercent", "mirror_percent"] as const) {
    const v = route[field];
    if (v !== undefined && v > 100) ctx.error(`${path}.${field}`, `${field} must have a max value of 100, got ${v}`);
  }
  if (route.mirrorPercent !== undefined && route.mirror_percent !== undefined)
    ctx.error(`${path}.mirror_percent`, "only one of mirrorPercent or mirror_percent may be set (the same deprecated field)", "FieldMutuallyExclusive");
  if (route.mirror) destinationRules(route.mirror, `${path}.mirror`, ctx);
  route.mirrors?.forEach((m, k) => destinationRules(m.destination, `${path}.mirrors[${k}].destination`, ctx));
  if (route.redirect) redirectRules(route.redirect, route.match, `${path}.redirect`, ctx);
  if (route.directResponse) directResponseRules(route.directResponse, `${path}.directResponse`, ctx);
  if (route.retries) retryRules(route.retries, `${path}.retries`, ctx);
  if (route.rewrite) rewriteRules(route.rewrite, `${path}.rewrite`, ctx);
  authorityRules(route, path, ctx);
  routeDestinationsRules(route.route, `${path}.route`, ctx);
  checkMsPrecision(route.timeout, `${path}.timeout`, ctx);
  if (route.delegate) {
    if (!route.delegate.name) ctx.error(`${path}.delegate.name`, "delegate name is required", "FieldValueRequired");
    else if ((route.delegate.name.length > 253 || !DNS1123_SUBDOMAIN.test(route.delegate.name))) ctx.error(`${path}.delegate.name`, `invalid delegate name ${JSON.stringify(route.delegate.name)}: must be a VirtualService name`);
    if (route.delegate.namespace !== undefined && !isDNS1123Label(route.delegate.namespace))
      ctx.error(`${path}.delegate.namespace`, `invalid delegate namespace ${JSON.stringify(route.delegate.namespace)}`);
  }
}

/** Exactly one action: route | redirect | directResponse | delegate, and the exclusions that go with each. */
function routeActionRules(route: HTTPRoute, path: string, inDelegate: boolean, ctx: RuleContext): void {
  const hasRoute = (route.route?.length ?? 0) > 0;
  const name = route.name ? ` ${JSON.stringify(route.name)}` : "";
  const excl = (field: string, message: string) => ctx.error(`${path}.${field}`, message, "FieldMutuallyExclusive");
  if (route.delegate && !inDelegate) {
    if (route.redirect) excl("redirect", `root HTTP route${name} delegates, so it must not specify redirect`);
    if (hasRoute) excl("route", `root HTTP route${name} delegates, so it must not specify route`);
    if (route.directResponse) excl("directResponse", `root HTTP route${name} delegates, so it must not specify directResponse`);
  } else {
    if (route.delegate) excl("delegate", "a route of a delegate VirtualService cannot delegate again (only one level of delegation)");
    if (route.redirect) {
      if (hasRoute) excl("route", "HTTP route cannot contain both route and redirect");
      if (route.fault) excl("fault", "HTTP route cannot contain both fault and redirect");
      if (route.rewrite) excl("rewrite", "HTTP route cannot contain both rewrite and redirect");
      if (route.directResponse) excl("directResponse", "HTTP route cannot contain both directResponse and redirect");
    } else if (route.directResponse) {
      if (hasRoute) excl("route", "HTTP route cannot contain both route and directResponse");
      if (route.fault) excl("fault", "HTTP route cannot contain both fault and directResponse");
      if (route.rewrite) excl("rewrite", "HTTP route cannot contain both rewrite and directResponse");
    } else if (!hasRoute && !route.delegate) {
      ctx.error(path, "HTTP route needs one of route, redirect, directResponse or delegate", "FieldValueRequired");
    }
  }
  if (route.mirror && route.mirrors?.length) excl("mirrors", "HTTP route cannot contain both mirror and mirrors");
}

function matchRules(m: HTTPMatchRequest, path: string, ctx: RuleContext): void {
  for (const [key, sm] of Object.entries(m.headers ?? {})) {
    const p = sub(`${path}.headers`, key);
    const err = matchHeaderNameError(key);
    if (err) ctx.error(p, err);
    stringMatchRules(sm, p, "headers", ctx);
  }
  for (const [key, sm] of Object.entries(m.withoutHeaders ?? {})) {
    const p = sub(`${path}.withoutHeaders`, key);
    const err = matchHeaderNameError(key);
    if (err) ctx.error(p, err);
    if (sm.regex !== "*") stringMatchRules(sm, p, "withoutHeaders", ctx);
  }
  for (const [key, sm] of Object.entries(m.queryParams ?? {})) {
    const p = sub(`${path}.queryParams`, key);
    if (key === "") ctx.error(p, "query parameter name cannot be empty");
    stringMatchRules(sm, p, "queryParams", ctx);
  }
  // `uri` may have an empty prefix (matches everything); scheme, method and authority may not.
  for (const field of ["scheme", "method", "authority"] as const) {
    const sm = m[field];
    if (sm) stringMatchRules(sm, `${path}.${field}`, field, ctx);
  }
  if (m.port !== undefined && m.port !== 0 && m.port > 65535) ctx.error(`${path}.port`, `port number ${m.port} must be in the range 1..65535`);
  checkLabels(m.sourceLabels, `${path}.sourceLabels`, ctx);
  m.gateways?.forEach((g, k) => {
    const err = gatewayNameError(g);
    if (err) ctx.error(`${path}.gateways[${k}]`, err);
  });
  if (m.sourceNamespace !== undefined && m.sourceNamespace !== "" && !isDNS1123Label(m.sourceNamespace))
    ctx.error(`${path}.sourceNamespace`, `sourceNamespace match ${JSON.stringify(m.sourceNamespace)} is invalid: must be a namespace name`);
}

/** Header names in matches: a token, a pseudo-header, or a JWT claim key. */
function matchHeaderNameError(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  if (isJwtClaimKey(name) || isHeaderName(name)) return undefined;
  return `header name ${JSON.stringify(name)} is not a valid header name`;
}

/** Istio's validateStringMatch: a prefix must not be empty (regexes were compiled by the schema). */
function stringMatchRules(sm: StringMatch, path: string, where: string, ctx: RuleContext): void {
  if (sm.prefix === "") ctx.error(`${path}.prefix`, `${where}: prefix string match should not be empty`);
}

/** Header operations: names must be settable (no pseudo-headers, `Host` only via request set/add) and values well-formed. */
function headersRules(h: Headers, path: string, ctx: RuleContext): void {
  for (const dir of ["request", "response"] as const) {
    const ops = h[dir];
    if (!ops) continue;
    const base = `${path}.${dir}`;
    for (const op of ["set", "add"] as const) {
      for (const [name, value] of Object.entries(ops[op] ?? {})) {
        const p = sub(`${base}.${op}`, name);
        const err = dir === "request" ? requestHeaderOpNameError(name) : headerOpNameError(name);
        if (err) ctx.error(p, err);
        const verr = headerValueError(value);
        if (verr) ctx.error(p, verr);
      }
    }
    ops.remove?.forEach((name, k) => {
      const err = headerOpNameError(name);
      if (err) ctx.error(`${base}.remove[${k}]`, err);
    });
  }
}

function isAuthorityHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === ":authority" || n === "host";
}

/** Request set/add: `:authority`/`host` are host rewrites (checked by authorityRules); other pseudo-headers are refused. */
function requestHeaderOpNameError(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  if (isAuthorityHeader(name)) return undefined;
  if (name.startsWith(":")) return `invalid header ${JSON.stringify(name)}: header cannot have ":" prefix`;
  if (!isHeaderName(name)) return `header name ${JSON.stringify(name)} is not a valid header name`;
  return undefined;
}

/** Request remove and all response ops: no `Host`, no pseudo-headers. */
function headerOpNameError(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  if (name.toLowerCase() === "host") return `invalid header ${JSON.stringify(name)}: cannot set or remove the Host header here`;
  if (name.startsWith(":")) return `invalid header ${JSON.stringify(name)}: header cannot have ":" prefix`;
  if (!isHeaderName(name)) return `header name ${JSON.stringify(name)} is not a valid header name`;
  return undefined;
}

/** Only one authority source: rewrite.authority, or one request set/add of `:authority`/`host`. */
function authorityRules(route: HTTPRoute, path: string, ctx: RuleContext): void {
  let current = route.rewrite?.authority || undefined;
  let source = current !== undefined ? `${path}.rewrite.authority` : undefined;
  const req = route.headers?.request;
  for (const op of ["set", "add"] as const) {
    for (const [name, value] of Object.entries(req?.[op] ?? {})) {
      if (!isAuthorityHeader(name)) continue;
      const p = sub(`${path}.headers.request.${op}`, name);
      if (current !== undefined) {
        ctx.error(p, `authority header cannot be set multiple times: have ${JSON.stringify(current)} (${source}), attempting to set ${JSON.stringify(value)}`, "Conflict");
        return;
      }
      current = value;
      source = p;
    }
  }
}

function corsRules(c: CorsPolicy, path: string, ctx: RuleContext): void {
  c.allowOrigins?.forEach((o, k) => {
    const value = o.exact ?? o.prefix ?? o.regex;
    if (value === undefined || value === "")
      ctx.error(`${path}.allowOrigins[${k}]`, `allowOrigins[${k}] must set a non-empty exact, prefix or regex, got ${JSON.stringify(o)}`);
  });
  c.allowMethods?.forEach((m, k) => {
    if (!CORS_METHODS.has(m)) ctx.error(`${path}.allowMethods[${k}]`, `${JSON.stringify(m)} is not a supported HTTP method (use upper case: ${[...CORS_METHODS].join(", ")})`);
  });
  for (const field of ["allowHeaders", "exposeHeaders"] as const) {
    c[field]?.forEach((name, k) => {
      if (name === "") ctx.error(`${path}.${field}[${k}]`, "header name cannot be empty");
      else if (name !== "*" && !isHeaderName(name)) ctx.error(`${path}.${field}[${k}]`, `header name ${JSON.stringify(name)} is not a valid header name`);
    });
  }
  if (c.maxAge !== undefined) {
    const ms = parseDuration(c.maxAge);
    if (ms !== undefined && Math.abs(ms / 1000 - Math.round(ms / 1000)) > 1e-9)
      ctx.error(`${path}.maxAge`, `maxAge ${JSON.stringify(c.maxAge)} must be a whole number of seconds (Access-Control-Max-Age has seconds precision)`);
  }
}

function faultRules(f: HTTPFaultInjection, path: string, ctx: RuleContext): void {
  if (!f.abort && !f.delay) ctx.error(path, "HTTP fault injection must have an abort and/or a delay", "FieldValueRequired");
  if (f.abort) {
    const a = f.abort;
    const p = `${path}.abort`;
    oneOf(a, ["httpStatus", "grpcStatus", "http2Error"], p, ctx);
    faultPercentageRules(a.percentage?.value, `${p}.percentage.value`, ctx);
    if (a.http2Error !== undefined) ctx.error(`${p}.http2Error`, "HTTP/2 abort fault injection is not supported; use httpStatus or grpcStatus");
    else if (a.grpcStatus !== undefined) {
      if (!GRPC_STATUS_NAMES.has(a.grpcStatus))
        ctx.error(`${p}.grpcStatus`, `gRPC status ${JSON.stringify(a.grpcStatus)} is not supported; use a status name such as "UNAVAILABLE" or "NOT_FOUND"`);
    } else if (a.httpStatus !== undefined) {
      // Istio's validateHTTPStatus accepts 200..600 (its message says 200-599); Envoy sends 600 as is.
      if (a.httpStatus < 200 || a.httpStatus > 600) ctx.error(`${p}.httpStatus`, `HTTP status ${a.httpStatus} is not in range 200-599`);
    } else {
      ctx.error(p, "abort must set httpStatus or grpcStatus", "FieldValueRequired");
    }
  }
  if (f.delay) {
    const d = f.delay;
    const p = `${path}.delay`;
    oneOf(d, ["fixedDelay", "exponentialDelay"], p, ctx);
    faultPercentageRules(d.percentage?.value, `${p}.percentage.value`, ctx);
    if (d.percent !== undefined && (d.percent < 0 || d.percent > 100)) ctx.error(`${p}.percent`, `percentage ${d.percent} is not in range 0..100`);
    if (d.exponentialDelay !== undefined) ctx.error(`${p}.exponentialDelay`, "exponentialDelay is not supported; use fixedDelay");
    else if (d.fixedDelay === undefined) ctx.error(`${p}.fixedDelay`, "delay must set fixedDelay", "FieldValueRequired");
    checkMsPrecision(d.fixedDelay, `${p}.fixedDelay`, ctx);
  }
}

/** Istio's validatePercentage: 0, or within [0.0001, 100] (Envoy's per-million granularity). */
function faultPercentageRules(value: number | undefined, path: string, ctx: RuleContext): void {
  if (value === undefined) return;
  if (value < 0 || value > 100 || (value > 0 && value < 0.0001))
    ctx.error(path, `percentage ${value} is neither 0.0, nor in range [0.0001, 100.0]`);
}

/** Istio's validateDestination: host a (wildcard) DNS name but not `*`; subset a DNS label; port 1–65535. */
function destinationRules(d: Destination, path: string, ctx: RuleContext): void {
  if (d.host === "*") ctx.error(`${path}.host`, `invalid destination host "*": name a service host`);
  else {
    const err = wildcardDomainError(d.host);
    if (err) ctx.error(`${path}.host`, `invalid destination host ${JSON.stringify(d.host)}: ${err}`);
  }
  if (d.subset !== undefined) {
    if (d.subset === "") ctx.error(`${path}.subset`, "subset name cannot be empty");
    else if (!isDNS1123Label(d.subset)) ctx.error(`${path}.subset`, `subset name ${JSON.stringify(d.subset)} is invalid: must be a DNS-1123 label`);
  }
  if (d.port !== undefined) {
    const n = d.port.number ?? 0;
    if (n < 1 || n > 65535) ctx.error(`${path}.port.number`, `port number ${n} must be in the range 1..65535`);
  }
}

function routeDestinationsRules(dests: readonly (HTTPRouteDestination | RouteDestination)[] | undefined, path: string, ctx: RuleContext): void {
  if (!dests) return;
  let total = 0;
  dests.forEach((d, k) => {
    const p = `${path}[${k}]`;
    destinationRules(d.destination, `${p}.destination`, ctx);
    const w = d.weight ?? 0;
    if (w < 0) ctx.error(`${p}.weight`, `weight ${w} must not be negative`);
    total += w;
    if ("headers" in d && d.headers) headersRules(d.headers, `${p}.headers`, ctx);
  });
  if (dests.length > 1 && total === 0)
    ctx.error(path, `total destination weight is 0: with ${dests.length} destinations at least one needs a weight above 0`);
}

function redirectRules(r: HTTPRedirect, matches: readonly HTTPMatchRequest[] | undefined, path: string, ctx: RuleContext): void {
  oneOf(r, ["port", "derivePort"], path, ctx);
  if (r.uri && r.prefixRewrite) ctx.error(`${path}.prefixRewrite`, "redirect may only specify one of uri or prefixRewrite", "FieldMutuallyExclusive");
  if (r.prefixRewrite) {
    (matches ?? []).forEach((m, j) => {
      if (m.uri && m.uri.prefix === undefined)
        ctx.error(`${path}.prefixRewrite`, `redirect prefixRewrite requires all URI matches to use prefix match type, but match[${j}].uri is not a prefix match`);
    });
  }
  if (!r.uri && !r.prefixRewrite && !r.authority && r.port === undefined && r.derivePort === undefined && !r.scheme)
    ctx.error(path, "redirect must specify uri, prefixRewrite, authority, scheme, port or derivePort", "FieldValueRequired");
  if (r.redirectCode !== undefined && r.redirectCode !== 0 && (r.redirectCode < 300 || r.redirectCode > 399))
    ctx.error(`${path}.redirectCode`, `${r.redirectCode} is not a valid redirect code, must be 3xx`);
  if (r.scheme !== undefined && r.scheme !== "" && r.scheme !== "http" && r.scheme !== "https")
    ctx.error(`${path}.scheme`, `invalid redirect scheme ${JSON.stringify(r.scheme)}, must be "http" or "https"`);
  if (r.port !== undefined && r.port > 65535) ctx.error(`${path}.port`, `port number ${r.port} must be in the range 1..65535`);
}

function directResponseRules(d: HTTPDirectResponse, path: string, ctx: RuleContext): void {
  if (d.status < 200 || d.status > 599) ctx.error(`${path}.status`, `HTTP status ${d.status} is not in range 200-599`);
  if (!d.body) return;
  oneOf(d.body, ["string", "bytes"], `${path}.body`, ctx);
  let size = 0;
  if (d.body.string !== undefined) size = new TextEncoder().encode(d.body.string).length;
  else if (d.body.bytes !== undefined) {
    const b = d.body.bytes;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b) || b.length % 4 === 1) {
      ctx.error(`${path}.body.bytes`, "body.bytes must be base64-encoded");
      return;
    }
    size = Math.floor((b.replace(/=+$/, "").length * 3) / 4);
  }
  if (size > MAX_DIRECT_RESPONSE_BODY)
    ctx.error(`${path}.body`, `directResponse body is ${size} bytes; it must be less than 1MB (large direct responses impact control plane performance)`, "TooLarge");
}

function retryRules(r: HTTPRetry, path: string, ctx: RuleContext): void {
  const attempts = r.attempts ?? 0;
  if (attempts < 0) ctx.error(`${path}.attempts`, `attempts cannot be negative, got ${attempts}`);
  if (attempts === 0 && (r.perTryTimeout !== undefined || (r.retryOn !== undefined && r.retryOn !== "") || r.retryRemoteLocalities !== undefined)) {
    const set = [r.perTryTimeout !== undefined && "perTryTimeout", r.retryOn && "retryOn", r.retryRemoteLocalities !== undefined && "retryRemoteLocalities"].filter(Boolean);
    ctx.error(`${path}.attempts`, `http retry policy configured (${set.join(", ")}) when attempts is 0 (retries disabled); set attempts above 0 or remove them`);
  }
  checkMsPrecision(r.perTryTimeout, `${path}.perTryTimeout`, ctx);
  checkMsPrecision(r.backoff, `${path}.backoff`, ctx);
  if (r.retryOn !== undefined && r.retryOn !== "") {
    for (const policy of r.retryOn.split(",")) {
      if (!isRetryOnPolicy(policy))
        ctx.error(`${path}.retryOn`, `${JSON.stringify(policy)} is not a valid retryOn policy: use comma-separated (no spaces) values from ${[...RETRY_ON_POLICIES].join(", ")}, or an HTTP status code`);
    }
  }
}

/** A retryOn token: a policy name or an HTTP status code (100–599). */
export function isRetryOnPolicy(token: string): boolean {
  if (RETRY_ON_POLICIES.has(token)) return true;
  if (!/^[0-9]{3}$/.test(token)) return false;
  const n = Number(token);
  return n >= 100 && n <= 599;
}

function rewriteRules(r: HTTPRewrite, path: string, ctx: RuleContext): void {
  if (r.uri && r.uriRegexRewrite) ctx.error(`${path}.uriRegexRewrite`, "rewrite may only contain one of uri or uriRegexRewrite", "FieldMutuallyExclusive");
  if (!r.uri && !r.uriRegexRewrite && !r.authority)
    ctx.error(path, "rewrite must specify at least one of uri, uriRegexRewrite or authority", "FieldValueRequired");
  const rr = r.uriRegexRewrite;
  if (rr) {
    if (!rr.match) ctx.error(`${path}.uriRegexRewrite.match`, "uriRegexRewrite requires both match and rewrite", "FieldValueRequired");
    else {
      const err = regexError(rr.match);
      if (err) ctx.error(`${path}.uriRegexRewrite.match`, err);
    }
    if (!rr.rewrite) ctx.error(`${path}.uriRegexRewrite.rewrite`, "uriRegexRewrite requires both match and rewrite", "FieldValueRequired");
  }
}

function tlsRouteRules(route: TLSRoute, path: string, spec: VirtualServiceSpec, ctx: RuleContext): void {
  if (route.match.length === 0) ctx.error(`${path}.match`, "TLS route must have at least one match condition", "FieldValueRequired");
  const gatewayBound = isGatewayBound(spec);
  route.match.forEach((m, j) => {
    const p = `${path}.match[${j}]`;
    if (m.sniHosts.length === 0) ctx.error(`${p}.sniHosts`, "TLS match must have at least one SNI host", "FieldValueRequired");
    m.sniHosts.forEach((sni, k) => {
      const err = gatewayBound ? vsGatewayHostError(sni, true) : wildcardDomainError(sni);
      if (err) {
        if (!isIP(sni)) ctx.error(`${p}.sniHosts[${k}]`, `invalid SNI host ${JSON.stringify(sni)}: ${err}`);
        return;
      }
      if (!(spec.hosts ?? []).some((h) => hostSubsetOf(sni, h)))
        ctx.error(`${p}.sniHosts[${k}]`, `SNI host ${JSON.stringify(sni)} is not a compatible subset of any of the virtual service hosts: [${(spec.hosts ?? []).join(", ")}]`);
    });
    l4MatchRules(m, p, ctx);
  });
  if (!route.route?.length) ctx.error(`${path}.route`, "TLS route is required", "FieldValueRequired");
  routeDestinationsRules(route.route, `${path}.route`, ctx);
}

function tcpRouteRules(route: TCPRoute, path: string, ctx: RuleContext): void {
  route.match?.forEach((m, j) => {
    const p = `${path}.match[${j}]`;
    l4MatchRules(m, p, ctx);
    if (m.sourceSubnet !== undefined && m.sourceSubnet !== "") {
      const err = ipSubnetError(m.sourceSubnet);
      if (err) ctx.error(`${p}.sourceSubnet`, err);
    }
  });
  if (!route.route?.length) ctx.error(`${path}.route`, "TCP route is required", "FieldValueRequired");
  routeDestinationsRules(route.route, `${path}.route`, ctx);
}

function l4MatchRules(m: TLSMatchAttributes | L4MatchAttributes, p: string, ctx: RuleContext): void {
  m.destinationSubnets?.forEach((s, k) => {
    const err = ipSubnetError(s);
    if (err) ctx.error(`${p}.destinationSubnets[${k}]`, err);
  });
  if (m.port !== undefined && m.port > 65535) ctx.error(`${p}.port`, `port number ${m.port} must be in the range 1..65535`);
  checkLabels(m.sourceLabels, `${p}.sourceLabels`, ctx);
  m.gateways?.forEach((g, k) => {
    const err = gatewayNameError(g);
    if (err) ctx.error(`${p}.gateways[${k}]`, err);
  });
  if (m.sourceNamespace !== undefined && m.sourceNamespace !== "" && !isDNS1123Label(m.sourceNamespace))
    ctx.error(`${p}.sourceNamespace`, `sourceNamespace match ${JSON.stringify(m.sourceNamespace)} is invalid: must be a namespace name`);
}
