/**
 * IST0149 (Istio's virtualservice.JWTClaimRouteAnalyzer): routing on `@request.auth.claims.*` only
 * works where a RequestAuthentication validated the token, otherwise the claims are never there and
 * the match never succeeds. For each Gateway the VirtualService is bound to that selects the gateway
 * workload, some RequestAuthentication in the root namespace or the gateway workload's namespace must
 * select that workload (no selector selects all).
 */
import { resolveGatewayRef, selectorMatches } from "../hosts.js";
import { joinPath } from "../loader.js";
import { ROOT_NAMESPACE } from "../resource.js";
import type { AnalysisContext } from "./context.js";
import { jwtClaimBasedRoutingWithoutRequestAuthN } from "./messages.js";
import type { RequestAuthenticationSpec, VirtualServiceSpec } from "./specs.js";
import { findGateway, MESH_GATEWAY } from "./virtual-service-gateways.js";
import { routingClaimPath } from "../claim-path.js";

/** Is `header` a claim key: `@request.auth.claims.a[.b]` or `@request.auth.claims[a][b]` (Istio's jwt.ToRoutingClaim)? */
export function isClaimHeader(header: string): boolean {
  return routingClaimPath(header) !== undefined;
}

/** The first claim key a VirtualService routes on, and where it is written. */
export function claimRoute(spec: VirtualServiceSpec): { key: string; path: string } | undefined {
  for (const [i, route] of (spec.http ?? []).entries()) {
    for (const [j, match] of (route.match ?? []).entries()) {
      for (const field of ["headers", "withoutHeaders"] as const) {
        for (const key of Object.keys(match[field] ?? {})) {
          if (isClaimHeader(key)) return { key, path: joinPath(`spec.http[${i}].match[${j}].${field}`, key) };
        }
      }
    }
  }
  return undefined;
}

export function analyzeJwtClaimRoutes(ctx: AnalysisContext): void {
  const workload = ctx.gateway;
  const authenticated = ctx
    .of<RequestAuthenticationSpec>("RequestAuthentication")
    .some(
      (ra) =>
        (ra.metadata.namespace === ROOT_NAMESPACE || ra.metadata.namespace === workload.namespace) &&
        selectorMatches(ra.spec.selector?.matchLabels, workload.labels),
    );
  if (authenticated) return;
  for (const vs of ctx.of<VirtualServiceSpec>("VirtualService")) {
    const claim = claimRoute(vs.spec);
    if (!claim) continue;
    for (const ref of vs.spec.gateways ?? []) {
      if (ref === MESH_GATEWAY) continue;
      const gwName = resolveGatewayRef(ref, vs.metadata.namespace);
      const gw = findGateway(ctx, gwName);
      if (!gw || !selectorMatches(gw.spec.selector, workload.labels)) continue;
      ctx.report(vs, jwtClaimBasedRoutingWithoutRequestAuthN(claim.key, gwName, workload.name), claim.path);
    }
  }
}
