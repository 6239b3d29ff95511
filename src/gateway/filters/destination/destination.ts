/**
 * The destination stage (DESIGN §2.1): what the destination workload's sidecar would enforce, run
 * after the router chose an endpoint and built the request for it, before the upstream call — again
 * for each endpoint a retry picks. For mesh workloads only (members, WorkloadEntries, endpoints of
 * MESH_INTERNAL ServiceEntries: `Endpoint.policySet`), with the policies attached to that workload
 * (compiled per workload once per snapshot; here one lookup):
 *
 * 1. PeerAuthentication of the workload port: the caller is the gateway itself for north-south
 *    (`spiffe://<td>/ns/<GATEWAY_NAMESPACE>/sa/<GATEWAY_SERVICE_ACCOUNT>`: Istio's gateway talks
 *    mTLS) or the calling member for east-west. A caller without an identity meets STRICT as a
 *    plain-text client meets a STRICT sidecar: the connection is reset (503 `UC`).
 * 2. RequestAuthentication on the request as forwarded: a token the gateway stage removed
 *    (`forwardOriginalToken: false`) is gone; outputs act on what the workload receives.
 * 3. AuthorizationPolicy CUSTOM, then AUDIT / DENY / ALLOW, on the request as forwarded (rewritten
 *    path and authority, `destination.port` = the workload's port, `source.principal` = the caller
 *    above, `remote.ip` = the original client).
 *
 * A denial is the sidecar's answer (403 `RBAC: access denied`, 401 with the JWT reason), never retried
 * and never counted against the endpoint by outlier detection.
 */
import { tracedFetch } from "../../tracing/request-trace.js";
import { stripPort } from "../../../config/hosts.js";
import type { Cluster, Endpoint } from "../../../config/snapshot.js";
import type { AuthzRequestView } from "../../../policy/authz/index.js";
import { clientAddresses } from "../../../policy/client-ip.js";
import { applyJwtOutcome } from "../../../policy/jwt/index.js";
import type { LocalReply } from "../../../policy/local-reply.js";
import { checkPeerIdentity } from "../../../policy/peer-authn/peer-identity.js";
import { peerAuthnMode } from "../../../policy/peer-authn/peer-mode.js";
import { upstreamResetReply } from "../../../policy/retry/index.js";
import type { RequestContext } from "../../chain/request-context.js";
import type { SecurityRuntime } from "../../runtime/hydrate.js";
import { endpointLabel } from "../../upstream/send.js";
import { customCheck } from "../ext-authz/ext-authz.js";
import { describeJwtOutcome, jwtUrl } from "../jwt-authn/jwt-authn.js";

export type DestinationVerdict =
  /** Go on with `request` (the same one, unless a JWT query token was removed from its URL). */
  | { allowed: true; request: Request }
  | { allowed: false; reply: LocalReply };

/** The request as it leaves the gateway for one endpoint. */
export interface ForwardedRequest {
  request: Request;
  /** Rewritten path with query, and authority. */
  path: string;
  authority: string;
}

/** Whether the destination stage has anything to do for this endpoint. */
export function destinationSecurity(rc: RequestContext, endpoint: Endpoint): SecurityRuntime | undefined {
  return endpoint.policySet === undefined ? undefined : rc.live.security[endpoint.policySet];
}

export async function destinationStage(rc: RequestContext, cluster: Cluster, endpoint: Endpoint, forwarded: ForwardedRequest): Promise<DestinationVerdict> {
  const security = destinationSecurity(rc, endpoint);
  if (!security || (security.inert && !rc.dryRun)) return { allowed: true, request: forwarded.request };
  const workload = endpoint.workload !== undefined ? rc.live.workloads[endpoint.workload] : undefined;
  const trace: Record<string, unknown> | undefined = rc.dryRun
    ? { endpoint: endpointLabel(endpoint), workload: workload ? `${workload.namespace}/${workload.name}` : null, principal: workload?.principal ?? null }
    : undefined;
  if (trace) rc.dryRun!.stages.destination = trace;
  let request = forwarded.request;
  const port = endpoint.port ?? cluster.port;

  // 1. PeerAuthentication
  const caller = rc.listener === "mesh" ? rc.caller.principal : rc.live.gateway.principal;
  const mode = peerAuthnMode(security.set.peerAuthn, port);
  const peer = checkPeerIdentity(mode, { kind: "mesh", principal: caller });
  if (trace) trace.peer_authn = { mode, caller: caller ?? null };
  if (!peer.ok) return { allowed: false, reply: upstreamResetReply("connection termination") };
  const sourcePrincipal = mode === "DISABLE" ? undefined : peer.principal;

  // 2. RequestAuthentication, on the request as forwarded
  let path = forwarded.path;
  let auth: AuthzRequestView["auth"];
  if (security.jwt.enabled) {
    const outcome = await security.jwt.authenticate({
      headers: request.headers,
      get url() { return jwtUrl(rc.scheme, forwarded.authority, path); },
      query: path.includes("?") ? undefined : null,
      method: rc.method,
      waitUntil: rc.waitUntil,
      fetch: tracedFetch(rc.trace, "async jwks egress"),
    });
    if (trace) trace.jwt_authn = describeJwtOutcome(outcome);
    if (outcome.kind === "deny") return { allowed: false, reply: outcome.reply };
    const newPath = applyJwtOutcome(outcome, request.headers, path);
    if (newPath !== path) {
      path = newPath;
      request = new Request(replacePath(request.url, path), request);
    }
    if (outcome.kind === "ok") auth = { principal: outcome.principal, claims: outcome.claims, audiences: outcome.audiences, presenter: outcome.presenter };
  }

  const q = path.indexOf("?");
  const view: AuthzRequestView = {
    method: rc.method,
    host: forwarded.authority,
    path: q < 0 ? path : path.slice(0, q),
    port,
    headers: request.headers,
    sourceIp: undefined,
    remoteIp: rc.listener === "mesh" ? undefined : clientAddresses(rc.request.headers, rc.live.mesh.numTrustedProxies).remoteIp,
    sourcePrincipal,
    sni: cluster.protocol === "https" ? stripPort(forwarded.authority) : undefined,
    auth,
  };

  // 3. AuthorizationPolicy: CUSTOM, then AUDIT / DENY / ALLOW
  if (security.hasCustom) {
    const current = request;
    const denied = await customCheck(rc, security, view, { url: current.url, headers: () => current.headers }, "destination_ext_authz");
    if (denied) return { allowed: false, reply: denied };
  }
  if (security.hasRbac) {
    const decision = security.authorizer.authorize(view);
    if (trace) trace.rbac = { allowed: decision.allowed, reason: decision.reason, policy: decision.policy, audit: decision.audit, dryRun: decision.dryRun };
    if (decision.dryRun && !rc.dryRun) console.log(JSON.stringify({ authz_dry_run: decision.dryRun, request_id: rc.requestId, destination: workload?.name }));
    if (!decision.allowed) return { allowed: false, reply: decision.reply! };
  }
  return { allowed: true, request };
}

function replacePath(url: string, pathAndQuery: string): string {
  const scheme = url.indexOf("://");
  const slash = url.indexOf("/", scheme < 0 ? 0 : scheme + 3);
  return (slash < 0 ? url : url.slice(0, slash)) + pathAndQuery;
}
