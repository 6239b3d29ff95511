/** What the gateway stage's AuthorizationPolicy (and CUSTOM check) sees of a request, built once per request. */
import { stripPort } from "../../config/hosts.js";
import { clientAddresses } from "../../policy/client-ip.js";
import type { AuthzRequestView } from "../../policy/authz/index.js";
import type { SecurityRuntime } from "../runtime/hydrate.js";
import type { RequestContext } from "./request-context.js";

export function authzView(rc: RequestContext): AuthzRequestView {
  if (!rc.authzView) {
    const q = rc.path.indexOf("?");
    const { sourceIp, remoteIp } = clientAddresses(rc.request.headers, rc.live.mesh.numTrustedProxies);
    rc.authzView = {
      method: rc.method,
      host: rc.authority,
      path: q < 0 ? rc.path : rc.path.slice(0, q),
      port: rc.port,
      headers: rc.headers,
      sourceIp: rc.listener === "mesh" ? undefined : sourceIp,
      remoteIp: rc.listener === "mesh" ? undefined : remoteIp,
      sourcePrincipal: rc.sourcePrincipal,
      sni: rc.scheme === "https" ? stripPort(rc.authority) : undefined,
    };
  }
  if (rc.jwt) {
    rc.authzView.auth = { principal: rc.jwt.principal, claims: rc.jwt.claims, audiences: rc.jwt.audiences, presenter: rc.jwt.presenter };
  }
  return rc.authzView;
}

/** The security stages of the gateway workload (north-south). */
export function gatewaySecurity(rc: RequestContext): SecurityRuntime {
  return rc.live.security[rc.live.gateway.policySet]!;
}
