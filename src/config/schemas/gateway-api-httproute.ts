/**
 * HTTPRoute (gateway.networking.k8s.io/v1): the CRD's OpenAPI schema and its CEL rules (path values,
 * filter/type agreement, repeated filters, ReplacePrefixMatch needing one PathPrefix match, timeouts),
 * reported with the field path as `kubectl apply` reports them. RegularExpression values must be RE2.
 */
import { z } from "zod";
import { regexError } from "../regex.js";
import type { RuleContext } from "./registry.js";
import {
  backendObjectReference, backendPortRequired, bounded, gwDuration, gwDurationMs, headerName, hostname, parentReference, portNumber,
  preciseHostname,
} from "./gateway-api-common.js";

const httpHeader = z.strictObject({ name: headerName, value: z.string().min(1).max(4096) });

export const headerModifier = z.strictObject({
  set: bounded(httpHeader, 16, "set").optional(),
  add: bounded(httpHeader, 16, "add").optional(),
  remove: bounded(z.string(), 16, "remove").optional(),
});
export type HTTPHeaderFilter = z.infer<typeof headerModifier>;

export const pathModifier = z.strictObject({
  type: z.enum(["ReplaceFullPath", "ReplacePrefixMatch"]),
  replaceFullPath: z.string().max(1024).optional(),
  replacePrefixMatch: z.string().max(1024).optional(),
});
export type HTTPPathModifier = z.infer<typeof pathModifier>;

export const requestRedirect = z.strictObject({
  scheme: z.enum(["http", "https"]).optional(),
  hostname: preciseHostname.optional(),
  path: pathModifier.optional(),
  port: portNumber.optional(),
  statusCode: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)], { error: (i) => `invalid value ${JSON.stringify(i.input)}: must be one of 301, 302, 303, 307, 308` }).optional(),
});
export type HTTPRequestRedirectFilter = z.infer<typeof requestRedirect>;

export const urlRewrite = z.strictObject({ hostname: preciseHostname.optional(), path: pathModifier.optional() });
export type HTTPURLRewriteFilter = z.infer<typeof urlRewrite>;

export const requestMirror = z.strictObject({
  backendRef: backendObjectReference,
  percent: z.number().int().min(0).max(100).optional(),
  fraction: z.strictObject({ numerator: z.number().int().min(0), denominator: z.number().int().min(1).optional() }).optional(),
});
export type HTTPRequestMirrorFilter = z.infer<typeof requestMirror>;

export const corsFilter = z.strictObject({
  allowOrigins: bounded(z.string().min(1).max(253), 64, "allowOrigins").optional(),
  allowCredentials: z.boolean().optional(),
  allowMethods: bounded(z.enum(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"]), 9, "allowMethods").optional(),
  allowHeaders: bounded(z.string(), 64, "allowHeaders").optional(),
  exposeHeaders: bounded(z.string(), 64, "exposeHeaders").optional(),
  maxAge: z.number().int().min(1).optional(),
});
export type HTTPCORSFilter = z.infer<typeof corsFilter>;

export const FILTER_TYPES = ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "RequestRedirect", "URLRewrite", "CORS", "ExtensionRef"] as const;
export type FilterType = (typeof FILTER_TYPES)[number];

export const httpRouteFilter = z.strictObject({
  type: z.enum(FILTER_TYPES),
  requestHeaderModifier: headerModifier.optional(),
  responseHeaderModifier: headerModifier.optional(),
  requestMirror: requestMirror.optional(),
  requestRedirect: requestRedirect.optional(),
  urlRewrite: urlRewrite.optional(),
  cors: corsFilter.optional(),
  extensionRef: z.strictObject({ group: z.string(), kind: z.string(), name: z.string() }).optional(),
});
export type HTTPRouteFilter = z.infer<typeof httpRouteFilter>;

/** The field of each filter type (`type: RequestHeaderModifier` ⇒ `requestHeaderModifier`). */
export const FILTER_FIELD: Record<FilterType, keyof HTTPRouteFilter> = {
  RequestHeaderModifier: "requestHeaderModifier",
  ResponseHeaderModifier: "responseHeaderModifier",
  RequestMirror: "requestMirror",
  RequestRedirect: "requestRedirect",
  URLRewrite: "urlRewrite",
  CORS: "cors",
  ExtensionRef: "extensionRef",
};

export const pathMatch = z.strictObject({
  type: z.enum(["Exact", "PathPrefix", "RegularExpression"]).optional(),
  value: z.string().max(1024).optional(),
});
export type HTTPPathMatch = z.infer<typeof pathMatch>;

const valueMatch = z.strictObject({
  type: z.enum(["Exact", "RegularExpression"]).optional(),
  name: headerName,
  value: z.string().min(1).max(4096),
});
export type HTTPHeaderMatch = z.infer<typeof valueMatch>;

export const httpRouteMatch = z.strictObject({
  path: pathMatch.optional(),
  headers: bounded(valueMatch, 16, "headers").optional(),
  queryParams: bounded(valueMatch, 16, "queryParams").optional(),
  method: z.enum(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]).optional(),
});
export type HTTPRouteMatch = z.infer<typeof httpRouteMatch>;

export const httpBackendRef = backendObjectReference.extend({
  weight: z.number().int().min(0).max(1_000_000).optional(),
  filters: bounded(httpRouteFilter, 16, "filters").optional(),
});
export type HTTPBackendRef = z.infer<typeof httpBackendRef>;

export const httpRouteRule = z.strictObject({
  name: z.string().min(1).max(253).optional(),
  matches: bounded(httpRouteMatch, 64, "matches").optional(),
  filters: bounded(httpRouteFilter, 16, "filters").optional(),
  backendRefs: bounded(httpBackendRef, 16, "backendRefs").optional(),
  timeouts: z.strictObject({ request: gwDuration.optional(), backendRequest: gwDuration.optional() }).optional(),
  retry: z.strictObject({
    codes: z.array(z.number().int().min(400).max(599)).optional(),
    attempts: z.number().int().min(0).optional(),
    backoff: gwDuration.optional(),
  }).optional(),
  sessionPersistence: z.record(z.string(), z.unknown()).optional(),
});
export type HTTPRouteRule = z.infer<typeof httpRouteRule>;

export const httpRouteSpec = z.strictObject({
  parentRefs: bounded(parentReference, 32, "parentRefs").optional(),
  hostnames: bounded(hostname, 16, "hostnames").optional(),
  rules: bounded(httpRouteRule, 16, "rules").optional(),
});
export type HTTPRouteSpec = z.infer<typeof httpRouteSpec>;

const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;

/** CEL on HTTPPathMatch: what an Exact or PathPrefix value may hold; a RegularExpression must be RE2. */
export function pathMatchError(m: HTTPPathMatch): string | undefined {
  const type = m.type ?? "PathPrefix";
  const v = m.value ?? "/";
  if (type === "RegularExpression") return regexError(v) ?? undefined;
  if (!v.startsWith("/")) return `value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']`;
  if (v.includes("//")) return "must not contain '//' when type one of ['Exact', 'PathPrefix']";
  if (v.includes("/./")) return "must not contain '/./' when type one of ['Exact', 'PathPrefix']";
  if (v.includes("/../")) return "must not contain '/../' when type one of ['Exact', 'PathPrefix']";
  if (/%2f/i.test(v)) return "must not contain '%2f' or '%2F' when type one of ['Exact', 'PathPrefix']";
  if (v.includes("#")) return "must not contain '#' when type one of ['Exact', 'PathPrefix']";
  if (v.endsWith("/..")) return "must not end with '/..' when type one of ['Exact', 'PathPrefix']";
  if (v.endsWith("/.")) return "must not end with '/.' when type one of ['Exact', 'PathPrefix']";
  if (!PATH_CHARS.test(v)) return `must only contain valid characters (matching ${PATH_CHARS.source}) for types ['Exact', 'PathPrefix']`;
  return undefined;
}

/** The HTTPRoute CRD's CEL rules. */
export function httpRouteRules(spec: HTTPRouteSpec, ctx: RuleContext): void {
  spec.rules?.forEach((rule, i) => {
    const at = `spec.rules[${i}]`;
    rule.matches?.forEach((m, j) => {
      if (m.path) {
        const err = pathMatchError(m.path);
        if (err) ctx.error(`${at}.matches[${j}].path`, err);
      }
      for (const key of ["headers", "queryParams"] as const) {
        const seen = new Set<string>();
        m[key]?.forEach((h, k) => {
          const name = key === "headers" ? h.name.toLowerCase() : h.name;
          if (seen.has(name)) ctx.error(`${at}.matches[${j}].${key}[${k}].name`, `duplicate entry ${JSON.stringify(h.name)}: ${key} names must be unique`, "Duplicate");
          seen.add(name);
          if (h.type === "RegularExpression") {
            const err = regexError(h.value);
            if (err) ctx.error(`${at}.matches[${j}].${key}[${k}].value`, err);
          }
        });
      }
    });
    checkFilters(rule.filters, `${at}.filters`, rule, ctx);
    rule.backendRefs?.forEach((b, j) => {
      if (backendPortRequired(b)) ctx.error(`${at}.backendRefs[${j}]`, "Must have port for Service reference", "FieldValueRequired");
      checkFilters(b.filters, `${at}.backendRefs[${j}].filters`, rule, ctx);
    });
    const t = rule.timeouts;
    if (t?.request && t.backendRequest && gwDurationMs(t.request) !== 0 && gwDurationMs(t.backendRequest) > gwDurationMs(t.request))
      ctx.error(`${at}.timeouts`, "backendRequest timeout cannot be longer than request timeout");
  });
}

function checkFilters(filters: readonly HTTPRouteFilter[] | undefined, at: string, rule: HTTPRouteRule, ctx: RuleContext): void {
  if (!filters) return;
  const counts = new Map<string, number>();
  filters.forEach((f, k) => {
    const fat = `${at}[${k}]`;
    const field = FILTER_FIELD[f.type];
    for (const [type, other] of Object.entries(FILTER_FIELD) as [FilterType, keyof HTTPRouteFilter][]) {
      if (type !== f.type && f[other] !== undefined) ctx.error(`${fat}.${other}`, `filter.${other} must be nil if the filter.type is not ${type}`);
    }
    if (f[field] === undefined) ctx.error(`${fat}.${field}`, `filter.${field} must be specified for ${f.type} filter.type`, "FieldValueRequired");
    counts.set(f.type, (counts.get(f.type) ?? 0) + 1);
    const path = f.type === "RequestRedirect" ? f.requestRedirect?.path : f.type === "URLRewrite" ? f.urlRewrite?.path : undefined;
    if (path) {
      if (path.type === "ReplaceFullPath" && path.replaceFullPath === undefined) ctx.error(`${fat}.${field}.path`, "replaceFullPath must be specified when type is set to 'ReplaceFullPath'", "FieldValueRequired");
      if (path.type !== "ReplaceFullPath" && path.replaceFullPath !== undefined) ctx.error(`${fat}.${field}.path`, "type must be 'ReplaceFullPath' when replaceFullPath is set");
      if (path.type === "ReplacePrefixMatch" && path.replacePrefixMatch === undefined) ctx.error(`${fat}.${field}.path`, "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'", "FieldValueRequired");
      if (path.type !== "ReplacePrefixMatch" && path.replacePrefixMatch !== undefined) ctx.error(`${fat}.${field}.path`, "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set");
      if (path.type === "ReplacePrefixMatch") {
        const ms = rule.matches ?? [];
        const ok = ms.length === 1 && (ms[0]!.path?.type ?? "PathPrefix") === "PathPrefix";
        if (!ok) ctx.error(`${fat}.${field}.path`, `When using ${f.type} filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`);
      }
    }
    const mirror = f.requestMirror;
    if (mirror) {
      if (mirror.percent !== undefined && mirror.fraction !== undefined) ctx.error(`${fat}.requestMirror`, "Only one of percent or fraction may be specified in HTTPRequestMirrorFilter", "FieldMutuallyExclusive");
      if (mirror.fraction && mirror.fraction.numerator > (mirror.fraction.denominator ?? 100)) ctx.error(`${fat}.requestMirror.fraction`, "numerator must be less than or equal to denominator");
      if (backendPortRequired(mirror.backendRef)) ctx.error(`${fat}.requestMirror.backendRef`, "Must have port for Service reference", "FieldValueRequired");
    }
  });
  for (const t of ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", "CORS"]) {
    if ((counts.get(t) ?? 0) > 1) ctx.error(at, `${t} filter cannot be repeated`, "Duplicate");
  }
  if (counts.has("RequestRedirect") && counts.has("URLRewrite"))
    ctx.error(at, "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both");
}
