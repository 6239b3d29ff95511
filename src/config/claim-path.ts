/**
 * JWT claims by path — one meaning everywhere a claim is named (routing, authorization, rate-limit
 * keys, claim-to-header outputs), as Istio and Envoy read them: a path of keys into nested objects,
 * every step but the last an object, own properties only (`constructor` is never a claim).
 *
 * | where | written | path |
 * | --- | --- | --- |
 * | VirtualService match headers | `@request.auth.claims.a.b`, `@request.auth.claims[a][b]` | `["a","b"]` |
 * | AuthorizationPolicy `when` | `request.auth.claims[a][b]` | `["a","b"]` |
 * | RequestAuthentication `outputClaimToHeaders`, RateLimitPolicy claim keys | `a.b` | `["a","b"]` |
 */

const ROUTING_PREFIX = "@request.auth.claims";
const AUTHZ_KEY = /^request\.auth\.claims((?:\[[^[\]]+\])+)$/;

/** `@request.auth.claims.a.b` / `@request.auth.claims[a][b]` → ["a","b"] (Istio jwt.ToRoutingClaim); undefined otherwise. */
export function routingClaimPath(key: string): string[] | undefined {
  if (!key.toLowerCase().startsWith(ROUTING_PREFIX)) return undefined;
  const rest = key.slice(ROUTING_PREFIX.length);
  if (rest.startsWith(".") && rest.length > 1) return rest.slice(1).split(".");
  if (rest.startsWith("[") && rest.endsWith("]") && rest.length > 2) return rest.slice(1, -1).split("][");
  return undefined;
}

/** `request.auth.claims[a][b]` → ["a","b"] (AuthorizationPolicy `when` keys); undefined otherwise. */
export function authzClaimPath(key: string): string[] | undefined {
  const m = AUTHZ_KEY.exec(key);
  return m ? m[1]!.slice(1, -1).split("][") : undefined;
}

/** `a.b.c` → ["a","b","c"] (claim names in RequestAuthentication outputs and rate-limit keys). */
export function dottedClaimPath(name: string): string[] {
  return name.split(".");
}

/** The claim at `path` in `claims`, or undefined (own properties of plain objects only). */
export function claimAt(claims: Readonly<Record<string, unknown>> | undefined, path: readonly string[]): unknown {
  let v: unknown = claims;
  for (const key of path) {
    if (v === null || typeof v !== "object" || Array.isArray(v) || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}
