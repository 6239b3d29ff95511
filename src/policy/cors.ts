/**
 * CorsPolicy (Istio TranslateCORSPolicy → Envoy's CORS filter, configured per route, always enabled).
 *
 * Envoy's behaviour, which this module reproduces:
 * - No `Origin` (or an empty one) ⇒ the filter does nothing.
 * - An origin is allowed when some `allowOrigins` matcher (exact / prefix / RE2 full match, case
 *   sensitive) matches it — or matches the literal string `*` (so `exact: "*"` allows every origin).
 *   The deprecated `allowOrigin` (exact strings) is used only when `allowOrigins` is empty.
 * - A preflight is `OPTIONS` with a non-empty `Origin` and `Access-Control-Request-Method`.
 *   - allowed origin ⇒ answered locally: 200, no body, `Access-Control-Allow-Origin: <origin>`,
 *     `-Allow-Credentials: true` (when allowCredentials), `-Allow-Methods` (allowMethods joined with
 *     `,`; exactly `*` echoes the requested method), `-Allow-Headers` (joined; `*` echoes
 *     `Access-Control-Request-Headers`), `-Max-Age` (whole seconds);
 *   - other origin and `unmatchedPreflights: FORWARD` (the default) ⇒ forwarded like any request;
 *   - other origin and `IGNORE` ⇒ still answered locally with 200, without
 *     `Access-Control-Allow-Origin` but with the other headers above (Envoy sets those regardless of
 *     the origin), so the browser fails the preflight and the upstream never sees it.
 * - Any other request with an allowed origin gets `Access-Control-Allow-Origin: <origin>`,
 *   `-Allow-Credentials: true` (when set) and `-Expose-Headers` (when set) on its response; a request
 *   whose origin is not allowed gets no CORS headers.
 *
 * Translated once per config version (src/config/compile/cors.ts); its origin matchers are compiled
 * once per snapshot (RE2 via src/config/regex.ts).
 */
import { translateCors, type CorsTranslation } from "../config/compile/cors.js";
import { compileFullMatch, type FullMatcher } from "../config/regex.js";
import type { CorsPolicy, StringMatch } from "../config/schemas/virtual-service.js";
import { localReply, type LocalReply } from "./local-reply.js";

export { translateCors, type CorsTranslation } from "../config/compile/cors.js";

export interface CorsPreflightRequest {
  method: string;
  headers: Headers;
}

export type CorsPreflightDecision =
  /** Not a CORS preflight, or one whose origin is not allowed under FORWARD: go on routing. */
  | { action: "continue"; reason: "no-origin" | "not-preflight" | "unmatched-origin-forwarded" }
  /** Answer now (status 200, headers only). */
  | { action: "reply"; reply: LocalReply; originAllowed: boolean };

export interface CompiledCors {
  /** The plain translation (what Envoy's CorsPolicy would hold), for explain and config dumps. */
  readonly policy: CorsTranslation;
  isOriginAllowed(origin: string): boolean;
  /**
   * The request-side half (Envoy decodeHeaders).
   *
   * @example cors.preflight({ method: "OPTIONS", headers: new Headers({ origin: "https://a.com", "access-control-request-method": "PUT" }) })
   *          // { action: "reply", reply: { status: 200, body: "", flag: "-", headers: { "access-control-allow-origin": "https://a.com", ... } }, originAllowed: true }
   */
  preflight(req: CorsPreflightRequest): CorsPreflightDecision;
  /**
   * The response-side half (Envoy encodeHeaders) for a request that was not answered by
   * `preflight`: adds the CORS headers when the request's origin is allowed. `responseHeaders` must
   * be mutable. Returns whether anything was added.
   */
  decorate(requestHeaders: Headers, responseHeaders: Headers): boolean;
}

/**
 * Is this a CORS preflight (OPTIONS with a non-empty `Origin` and `Access-Control-Request-Method`)?
 * Istio configures the JWT filter with `bypass_cors_preflight: true`, so RequestAuthentication lets
 * such requests through whatever the route's CORS policy; AuthorizationPolicy still applies.
 */
export function isCorsPreflight(method: string, headers: { get(name: string): string | null }): boolean {
  return method === "OPTIONS" && !!headers.get("origin") && !!headers.get("access-control-request-method");
}

type OriginMatcher = (origin: string) => boolean;

function originMatcher(m: StringMatch): OriginMatcher | undefined {
  if (m.exact !== undefined) {
    const exact = m.exact;
    return (o) => o === exact;
  }
  if (m.prefix !== undefined) {
    const prefix = m.prefix;
    return (o) => o.startsWith(prefix);
  }
  if (m.regex !== undefined) {
    let re: FullMatcher;
    try {
      re = compileFullMatch(m.regex);
    } catch {
      return undefined; // refused at admission; an unusable matcher matches nothing
    }
    return (o) => re.test(o);
  }
  return undefined;
}

/**
 * @example const cors = compileCors({ allowOrigins: [{ regex: "https://.*\\.example\\.com" }], allowMethods: ["GET", "POST"] })
 */
export function compileCors(policy: CorsPolicy | CorsTranslation): CompiledCors {
  const t = "forwardNotMatchingPreflights" in policy ? policy : translateCors(policy);
  const matchers = t.allowOrigins.map(originMatcher).filter((m): m is OriginMatcher => m !== undefined);
  // A matcher that accepts the literal "*" accepts every origin (Envoy isOriginAllowed); decided once.
  const allowsAny = matchers.some((m) => m("*"));
  const isOriginAllowed = (origin: string) => allowsAny || matchers.some((m) => m(origin));

  return {
    policy: t,
    isOriginAllowed,
    preflight(req) {
      const origin = req.headers.get("origin");
      if (!origin) return { action: "continue", reason: "no-origin" };
      const requestMethod = req.headers.get("access-control-request-method");
      if (req.method !== "OPTIONS" || !requestMethod) return { action: "continue", reason: "not-preflight" };
      const allowed = isOriginAllowed(origin);
      if (!allowed && t.forwardNotMatchingPreflights) return { action: "continue", reason: "unmatched-origin-forwarded" };

      const headers: Record<string, string> = {};
      if (allowed) headers["access-control-allow-origin"] = origin;
      if (t.allowCredentials) headers["access-control-allow-credentials"] = "true";
      if (t.allowMethods) headers["access-control-allow-methods"] = t.allowMethods === "*" ? requestMethod : t.allowMethods;
      if (t.allowHeaders)
        headers["access-control-allow-headers"] = t.allowHeaders === "*" ? (req.headers.get("access-control-request-headers") ?? "") : t.allowHeaders;
      if (t.maxAge) headers["access-control-max-age"] = t.maxAge;
      return { action: "reply", reply: localReply(200, "", "-", "cors_response", headers), originAllowed: allowed };
    },
    decorate(requestHeaders, responseHeaders) {
      const origin = requestHeaders.get("origin");
      if (!origin || !isOriginAllowed(origin)) return false;
      responseHeaders.set("access-control-allow-origin", origin);
      if (t.allowCredentials) responseHeaders.set("access-control-allow-credentials", "true");
      if (t.exposeHeaders) responseHeaders.set("access-control-expose-headers", t.exposeHeaders);
      return true;
    },
  };
}
