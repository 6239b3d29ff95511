/**
 * Gateway stage, 4: RequestAuthentication (north-south). No token passes with no principal; a bad one gets 401 (403 for an
 * audience mismatch, as Envoy) with Envoy's reason text. A good one yields claims for claim-based
 * routes and AuthorizationPolicy; the token is stripped unless `forwardOriginalToken`.
 *
 * The request path stays a string: it is never re-parsed as a URL (which would read `//host/x` as a
 * host and re-encode bytes), so every later stage sees exactly the normalized path of stage 1.
 */
import { tracedFetch } from "../../tracing/request-trace.js";
import { applyJwtOutcome, removeQueryParams, type JwtOutcome } from "../../../policy/jwt/index.js";
import { gatewaySecurity } from "../../chain/authz-view.js";
import { mutableHeaders, record } from "../../chain/request-context.js";
import type { RequestFilter } from "../../chain/filter.js";

export const jwtAuthnFilter: RequestFilter = {
  name: "jwt_authn",
  async onRequest(rc) {
    if (rc.listener === "mesh") return undefined;
    const authn = gatewaySecurity(rc).jwt;
    if (!authn.enabled) return undefined;
    let url: URL | undefined;
    let query: URLSearchParams | null | undefined;
    const path = rc.path;
    const q = path.indexOf("?");
    const outcome = await authn.authenticate({
      headers: rc.headers,
      get url() { return (url ??= jwtUrl(rc.scheme, rc.authority, path)); }, // built only for a denial's realm
      // Token query parameters (Istio's default `access_token` location): only the query is parsed, no URL.
      get query() {
        return query === undefined ? (query = q < 0 ? null : new URLSearchParams(path.slice(q + 1))) : query;
      },
      rawQuery: q < 0 ? "" : path.slice(q + 1),
      method: rc.method,
      waitUntil: rc.waitUntil,
      fetch: tracedFetch(rc.trace, "async jwks egress"),
    });
    record(rc, "jwt_authn", describeJwtOutcome(outcome));
    if (outcome.kind === "deny") return outcome.reply;
    let newPath = rc.path;
    if (outcome.kind === "ok" && Object.keys(outcome.setHeaders).length > 0) {
      // Claim outputs are request headers later stages may match on: edit the stages' headers.
      newPath = applyJwtOutcome(outcome, mutableHeaders(rc), rc.path);
    } else {
      // Only removals (the token, forgeable output headers): done on the upstream request itself.
      if (outcome.removeHeaders.length > 0) rc.upstreamRemove = outcome.removeHeaders;
      if (outcome.kind === "ok" && outcome.removeParams.length > 0) newPath = removeQueryParams(rc.path, outcome.removeParams);
    }
    if (newPath !== rc.path) {
      rc.path = newPath;
      rc.authzView = undefined; // rebuilt from the new path by the authorization stage
    }
    if (outcome.kind === "ok") {
      rc.jwt = outcome;
      rc.claims = outcome.claims;
    }
    return undefined;
  },
};

/** A URL for reading token query parameters and building the realm, with the path set verbatim. */
export function jwtUrl(scheme: string, authority: string, path: string): URL {
  const url = new URL(`${scheme}://gateway.invalid`);
  try {
    url.host = authority;
  } catch { /* keep the placeholder host for an unusable Host header */ }
  const q = path.indexOf("?");
  url.pathname = q < 0 ? path : path.slice(0, q);
  url.search = q < 0 ? "" : path.slice(q);
  return url;
}

/** What explain shows of a JWT outcome. */
export function describeJwtOutcome(outcome: JwtOutcome): Record<string, unknown> {
  if (outcome.kind === "ok") return { token: "valid", principal: outcome.principal, issuer: outcome.issuer };
  if (outcome.kind === "none") return { token: "none" };
  return { token: "invalid", status: outcome.reply.status, body: outcome.reply.body };
}
