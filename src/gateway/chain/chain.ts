/**
 * The request chain, in DESIGN §2's order — the one place that order is declared, run for real
 * (`serve`) or as a dry run (`explain`: every stage decides, nothing leaves the gateway).
 *
 *  1. normalize        path normalization, edge header sanitizing, request id, trace context
 *  2. virtual_host     virtual host by Host, Gateway httpsRedirect
 *     gateway stage (north-south only; the policies attached to the gateway workload, as Istio's
 *     ingress gateway runs them — authentication before authorization):
 *  3. peer_authn       PeerAuthentication / Gateway MUTUAL: workload identity (source.principal)
 *  4. jwt_authn        RequestAuthentication
 *  5. ext_authz        AuthorizationPolicy CUSTOM (external authorization)
 *  6. rbac             AuthorizationPolicy AUDIT, DENY, ALLOW
 *  7. rate_limit       RateLimitPolicy (local: no I/O; global: one RateLimiter call)
 *  8. route            first matching route
 *  9. fault, cors      fault injection (delay, abort), CORS preflights and response headers
 * 10. router           redirect | direct response | forward: destination, endpoint, then the
 *                      destination stage for that endpoint (its own PeerAuthentication,
 *                      RequestAuthentication, CUSTOM, DENY/ALLOW/AUDIT), the upstream call,
 *                      retries, mirrors
 * 11. response         response header ops; metrics and access log (telemetry.ts), the server
 *                      span with its client spans to the trace exporter (tracing/)
 */
import { localReply, toResponse } from "../../policy/local-reply.js";
import { corsFilter } from "../filters/cors/cors.js";
import { extAuthzFilter } from "../filters/ext-authz/ext-authz.js";
import { faultFilter } from "../filters/fault/fault.js";
import { jwtAuthnFilter } from "../filters/jwt-authn/jwt-authn.js";
import { normalizeFilter } from "../filters/normalize/normalize.js";
import { peerAuthnFilter } from "../filters/peer-authn/peer-authn.js";
import { rateLimitFilter } from "../filters/rate-limit/rate-limit.js";
import { rbacFilter } from "../filters/rbac/rbac.js";
import { routeMatchFilter } from "../filters/route/route.js";
import { routerFilter } from "../filters/router/router.js";
import { report } from "../filters/telemetry/telemetry.js";
import { virtualHostFilter } from "../filters/virtual-host/virtual-host.js";
import { reportTrace } from "../tracing/report-trace.js";
import type { RequestFilter } from "./filter.js";
import { noteReply, ownResponses, type RequestContext } from "./request-context.js";

export const CHAIN: readonly RequestFilter[] = [
  normalizeFilter,
  virtualHostFilter,
  peerAuthnFilter,
  jwtAuthnFilter,
  extAuthzFilter,
  rbacFilter,
  rateLimitFilter,
  routeMatchFilter,
  faultFilter,
  corsFilter,
  routerFilter,
];

/** Which stage answered, and how (for explain; serving reads only the response). */
export interface ChainOutcome {
  response: Response;
  /** The stage that answered (`router` for redirects, direct responses and forwards). */
  stage: string;
}

/** Runs the chain for one request. A stage that throws answers 500 and is still reported. */
export async function runChain(rc: RequestContext): Promise<ChainOutcome> {
  let outcome: ChainOutcome;
  try {
    outcome = await runFilters(rc);
  } catch (e) {
    console.error(JSON.stringify({ error: "request chain failed", request_id: rc.requestId, message: String((e as Error)?.stack ?? e) }));
    const failed = localReply(500, "internal error", "-", "isthmus_internal_error");
    noteReply(rc, failed);
    outcome = { response: toResponse(failed), stage: "error" };
  }
  return { ...outcome, response: finish(rc, outcome.response) };
}

async function runFilters(rc: RequestContext): Promise<ChainOutcome> {
  for (const filter of CHAIN) {
    const r = filter.onRequest(rc);
    const answer = r instanceof Promise ? await r : r;
    if (answer === undefined) continue;
    if (answer instanceof Response) {
      // A stage answering with a Response says why itself (the router: direct_response); else it is the upstream's.
      rc.details ??= "via_upstream";
      return { response: answer, stage: filter.name };
    }
    noteReply(rc, answer);
    return { response: toResponse(answer), stage: filter.name };
  }
  throw new Error("the router stage did not answer");
}

/** Stage 11: response header edits (route ops, CORS, rate-limit headers), then metrics and access log. */
function finish(rc: RequestContext, response: Response): Response {
  let out = response;
  if (rc.responseEditors.length) {
    if (!ownResponses.has(out)) out = new Response(response.body, response); // make headers mutable
    for (const edit of rc.responseEditors) edit(out.headers);
  }
  if (!rc.dryRun) {
    report(rc, out);
    reportTrace(rc, out);
  }
  return out;
}
