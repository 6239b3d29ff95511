/**
 * HTTPRoute rules → VirtualService HTTP rules with gateway semantics, as pilot's gateway conversion
 * (convertHTTPRoute) writes them: one rule per match, filters as rewrite / redirect / headers /
 * mirrors / corsPolicy, backendRefs as weighted destinations, timeouts and retry as `timeout` and
 * `retries`. The router then runs them like any VirtualService route; what differs (segment-aware
 * PathPrefix, 500 for a missing backend) is marked by the route's source kind `HTTPRoute`.
 */
import type { Resource } from "../../resource.js";
import type {
  HTTPBackendRef, HTTPCORSFilter, HTTPHeaderFilter, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule, HTTPRouteSpec,
} from "../../schemas/gateway-api.js";
import { gwDurationMs } from "../../schemas/gateway-api.js";
import type { CorsPolicy, Headers as HeadersSpec, HTTPMatchRequest, HTTPRoute as VsRule, HTTPRouteDestination, StringMatch } from "../../schemas/virtual-service.js";
import type { RouteSource } from "../../snapshot.js";
import type { ServiceRegistry } from "../service-registry.js";
import { resolveBackend, type BackendReason } from "./backends.js";
import type { ReferenceGrants } from "./reference-grants.js";

/** A translated rule, with the rank the spec's precedence sorts by. */
export interface GatewayRule {
  rule: VsRule;
  source: RouteSource;
}

/** A backendRef problem, for the route's ResolvedRefs condition. */
export interface RefProblem { reason: BackendReason | "UnsupportedValue"; message: string }

export interface RuleContext {
  registry: ServiceRegistry;
  grants: ReferenceGrants;
  /** Problems found while translating (ResolvedRefs=False when any). */
  problems: RefProblem[];
}

/** Translates every rule of one HTTPRoute (for any parent: the rules do not depend on it). */
export function translateHTTPRouteRules(route: Resource<HTTPRouteSpec>, ctx: RuleContext): GatewayRule[] {
  const out: GatewayRule[] = [];
  const ns = route.metadata.namespace;
  (route.spec.rules ?? []).forEach((rule, i) => {
    const matches: (HTTPRouteMatch | undefined)[] = rule.matches?.length ? rule.matches : [undefined];
    const body = translateRuleBody(rule, ns, ctx);
    matches.forEach((m, j) => {
      const vsRule: VsRule = { name: `${ns}.${route.metadata.name}.${i}.${j}`, match: [translateMatch(m)], ...body };
      out.push({ rule: vsRule, source: { kind: "HTTPRoute", namespace: ns, name: route.metadata.name, http: i } });
    });
  });
  return out;
}

/** Gateway API's default match: PathPrefix `/`. Trailing slashes of a prefix do not count (`/foo/` ≡ `/foo`). */
export function translateMatch(m: HTTPRouteMatch | undefined): HTTPMatchRequest {
  const out: HTTPMatchRequest = {};
  const type = m?.path?.type ?? "PathPrefix";
  const value = m?.path?.value ?? "/";
  if (type === "Exact") out.uri = { exact: value };
  else if (type === "RegularExpression") out.uri = { regex: value };
  else out.uri = { prefix: value.length > 1 ? value.replace(/\/+$/, "") || "/" : value };
  if (m?.method) out.method = { exact: m.method };
  if (m?.headers?.length) out.headers = Object.fromEntries(m.headers.map((h) => [h.name.toLowerCase(), valueMatch(h.type, h.value)]));
  if (m?.queryParams?.length) out.queryParams = Object.fromEntries(m.queryParams.map((q) => [q.name, valueMatch(q.type, q.value)]));
  return out;
}

const valueMatch = (type: string | undefined, value: string): StringMatch => (type === "RegularExpression" ? { regex: value } : { exact: value });

type RuleBody = Omit<VsRule, "name" | "match">;

function translateRuleBody(rule: HTTPRouteRule, ns: string, ctx: RuleContext): RuleBody {
  const body: RuleBody = {};
  const filters = rule.filters ?? [];
  const find = <T extends HTTPRouteFilter["type"]>(t: T) => filters.find((f) => f.type === t);
  const headers = translateHeaderFilters(filters);
  if (headers) body.headers = headers;
  for (const f of filters) {
    if (f.type === "ExtensionRef") ctx.problems.push({ reason: "UnsupportedValue", message: `filter ExtensionRef ${f.extensionRef?.kind ?? ""}/${f.extensionRef?.name ?? ""} is not supported` });
  }
  const cors = find("CORS")?.cors;
  if (cors) body.corsPolicy = translateCorsFilter(cors);

  const redirect = find("RequestRedirect")?.requestRedirect;
  if (redirect) {
    body.redirect = {
      redirectCode: redirect.statusCode ?? 302,
      ...(redirect.scheme ? { scheme: redirect.scheme } : {}),
      ...(redirect.hostname ? { authority: redirect.hostname } : {}),
      ...(redirect.port ? { port: redirect.port } : { derivePort: redirect.scheme ? "FROM_PROTOCOL_DEFAULT" : "FROM_REQUEST_PORT" }),
      ...(redirect.path?.type === "ReplaceFullPath" ? { uri: redirect.path.replaceFullPath ?? "/" } : {}),
      ...(redirect.path?.type === "ReplacePrefixMatch" ? { prefixRewrite: redirect.path.replacePrefixMatch ?? "/" } : {}),
    };
    return body; // a redirect answers: backends and mirrors are never used
  }

  const rewrite = find("URLRewrite")?.urlRewrite;
  if (rewrite) {
    body.rewrite = {};
    if (rewrite.hostname) body.rewrite.authority = rewrite.hostname;
    if (rewrite.path?.type === "ReplaceFullPath") body.rewrite.uriRegexRewrite = { match: "^/.*", rewrite: rewrite.path.replaceFullPath ?? "/" };
    if (rewrite.path?.type === "ReplacePrefixMatch") body.rewrite.uri = rewrite.path.replacePrefixMatch ?? "/";
  }

  const mirrors = filters.filter((f) => f.type === "RequestMirror" && f.requestMirror).map((f) => f.requestMirror!);
  for (const m of mirrors) {
    const b = resolveBackend(m.backendRef, ns, ctx.registry, ctx.grants);
    if (b.reason) {
      ctx.problems.push({ reason: b.reason, message: b.message ?? "" });
      continue;
    }
    const pct = m.fraction ? (100 * m.fraction.numerator) / (m.fraction.denominator ?? 100) : (m.percent ?? 100);
    (body.mirrors ??= []).push({ destination: { host: b.host, ...(b.port ? { port: { number: b.port } } : {}) }, percentage: { value: pct } });
  }

  const destinations = translateBackendRefs(rule.backendRefs ?? [], ns, ctx);
  if (destinations.length === 0) {
    // No backendRefs, or every weight 0: the spec's 500.
    body.directResponse = { status: 500 };
    delete body.rewrite;
    delete body.mirrors;
    return body;
  }
  body.route = destinations;

  const requestMs = rule.timeouts?.request ? gwDurationMs(rule.timeouts.request) : undefined;
  if (requestMs) body.timeout = `${requestMs}ms`;
  const backendMs = rule.timeouts?.backendRequest ? gwDurationMs(rule.timeouts.backendRequest) : undefined;
  if (rule.retry || backendMs) {
    const attempts = rule.retry?.attempts ?? 2;
    if (attempts > 0) {
      const retryOn = ["connect-failure", "refused-stream", "unavailable", "cancelled", ...(rule.retry?.codes ?? []).map(String)];
      body.retries = {
        attempts,
        retryOn: retryOn.join(","),
        ...(backendMs ? { perTryTimeout: `${backendMs}ms` } : {}),
        ...(rule.retry?.backoff ? { backoff: `${gwDurationMs(rule.retry.backoff)}ms` } : {}),
      };
    } else body.retries = { attempts: 0 };
  }
  return body;
}

/**
 * Weighted destinations (weight default 1; weight 0 sends nothing). An invalid backend keeps its
 * weight, pointing at a cluster that never exists, so its share of requests answers 500.
 */
function translateBackendRefs(refs: readonly HTTPBackendRef[], ns: string, ctx: RuleContext): HTTPRouteDestination[] {
  const out: HTTPRouteDestination[] = [];
  for (const ref of refs) {
    const b = resolveBackend(ref, ns, ctx.registry, ctx.grants);
    if (b.reason) ctx.problems.push({ reason: b.reason, message: b.message ?? "" });
    const weight = ref.weight ?? 1;
    if (weight === 0) continue;
    const d: HTTPRouteDestination = { destination: { host: b.host, ...(b.port ? { port: { number: b.port } } : {}) }, weight };
    const headers = translateHeaderFilters(ref.filters ?? []);
    if (headers) d.headers = headers;
    for (const f of ref.filters ?? []) {
      if (f.type !== "RequestHeaderModifier" && f.type !== "ResponseHeaderModifier")
        ctx.problems.push({ reason: "UnsupportedValue", message: `backendRef filter ${f.type} is not supported; only RequestHeaderModifier and ResponseHeaderModifier are` });
    }
    out.push(d);
  }
  // One destination takes everything whatever its weight: written as a VirtualService writes it.
  if (out.length === 1) delete out[0]!.weight;
  return out;
}

function translateHeaderFilters(filters: readonly HTTPRouteFilter[]): HeadersSpec | undefined {
  const req = filters.find((f) => f.type === "RequestHeaderModifier")?.requestHeaderModifier;
  const res = filters.find((f) => f.type === "ResponseHeaderModifier")?.responseHeaderModifier;
  if (!req && !res) return undefined;
  const out: HeadersSpec = {};
  if (req) out.request = headerOperations(req);
  if (res) out.response = headerOperations(res);
  return out;
}

function headerOperations(f: HTTPHeaderFilter): NonNullable<HeadersSpec["request"]> {
  const out: NonNullable<HeadersSpec["request"]> = {};
  if (f.set?.length) out.set = Object.fromEntries(f.set.map((h) => [h.name.toLowerCase(), h.value]));
  if (f.add?.length) out.add = Object.fromEntries(f.add.map((h) => [h.name.toLowerCase(), h.value]));
  if (f.remove?.length) out.remove = f.remove.map((h) => h.toLowerCase());
  return out;
}

/** CORS filter → corsPolicy; origins with `*` become RE2 (`https://*.example.com` → `https://.*\.example\.com`). */
export function translateCorsFilter(c: HTTPCORSFilter): CorsPolicy {
  const out: CorsPolicy = {};
  if (c.allowOrigins?.length) {
    out.allowOrigins = c.allowOrigins.map((o) =>
      o === "*" ? { regex: ".*" } : o.includes("*") ? { regex: o.split("*").map(escapeRegex).join(".*") } : { exact: o },
    );
  }
  if (c.allowMethods?.length) out.allowMethods = c.allowMethods;
  if (c.allowHeaders?.length) out.allowHeaders = c.allowHeaders;
  if (c.exposeHeaders?.length) out.exposeHeaders = c.exposeHeaders;
  if (c.allowCredentials !== undefined) out.allowCredentials = c.allowCredentials;
  out.maxAge = `${c.maxAge ?? 5}s`;
  return out;
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
}

/**
 * The spec's precedence across all rules bound to one hostname (Istio sortHTTPRoutes): path match
 * type (Exact > PathPrefix > RegularExpression), longer path first, a method match, more header
 * matches, more query matches; otherwise the order given (route creation, rule, match).
 */
export function sortByPrecedence<T extends { rule: VsRule }>(rules: readonly T[]): T[] {
  const rank = (m: HTTPMatchRequest | undefined) => (m?.uri?.exact !== undefined ? 3 : m?.uri?.prefix !== undefined ? 2 : m?.uri?.regex !== undefined ? 1 : 0);
  const len = (m: HTTPMatchRequest | undefined) => (m?.uri?.exact ?? m?.uri?.prefix ?? m?.uri?.regex ?? "").length;
  const count = (o: Record<string, unknown> | undefined) => (o ? Object.keys(o).length : 0);
  return [...rules].sort((a, b) => {
    const m1 = a.rule.match?.[0];
    const m2 = b.rule.match?.[0];
    if (rank(m1) !== rank(m2)) return rank(m2) - rank(m1);
    if (len(m1) !== len(m2)) return len(m2) - len(m1);
    if (!m1?.method !== !m2?.method) return m1?.method ? -1 : 1;
    if (count(m1?.headers) !== count(m2?.headers)) return count(m2?.headers) - count(m1?.headers);
    return count(m2?.queryParams) - count(m1?.queryParams);
  });
}
