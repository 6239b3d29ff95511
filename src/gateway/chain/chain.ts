/**
 * The request pipeline, in DESIGN §2's order — the one place that order is declared.
 *
 *  1. normalize        path normalization, request id, trace context (W3C traceparent)
 *  2. virtual_host     virtual host by Host, Gateway httpsRedirect
 *     peer_authn       PeerAuthentication / Gateway MUTUAL: workload identity (source.principal)
 *  3. ext_authz        AuthorizationPolicy CUSTOM (external authorization)
 *  4. jwt_authn        RequestAuthentication
 *  5. rbac             AuthorizationPolicy AUDIT, DENY, ALLOW
 *  6. rate_limit       RateLimitPolicy (local: no I/O; global: one RateLimiter call)
 *  7. route            first matching route
 *  8. fault, cors      fault injection (delay, abort), CORS preflights and response headers
 *  9. router           redirect | direct response | forward (route and destination header ops, mirrors)
 * 10. response         response header ops; metrics and access log (telemetry.ts)
 */
import type { RequestFilter, TerminalFilter } from "./filter.js";
import { authorizationFilter } from "../filters/rbac/rbac.js";
import { corsFilter } from "../filters/cors/cors.js";
import { extAuthzFilter } from "../filters/ext-authz/ext-authz.js";
import { jwtAuthnFilter } from "../filters/jwt-authn/jwt-authn.js";
import { peerAuthnFilter } from "../filters/peer-authn/peer-authn.js";
import { faultFilter } from "../filters/fault/fault.js";
import { normalizeFilter } from "../filters/normalize/normalize.js";
import { rateLimitFilter } from "../filters/rate-limit/rate-limit.js";
import { routeMatchFilter } from "../filters/route/route.js";
import { routerFilter } from "../filters/router/router.js";
import { virtualHostFilter } from "../filters/virtual-host/virtual-host.js";
import { localReply, toResponse } from "../../policy/local-reply.js";
import { addFlag, ownResponses, type RequestContext } from "./request-context.js";
import { report } from "../filters/telemetry/telemetry.js";

export const REQUEST_FILTERS: readonly RequestFilter[] = [
  normalizeFilter,
  virtualHostFilter,
  peerAuthnFilter,
  extAuthzFilter,
  jwtAuthnFilter,
  authorizationFilter,
  rateLimitFilter,
  routeMatchFilter,
  faultFilter,
  corsFilter,
];

export const TERMINAL: TerminalFilter = routerFilter;

/** Runs the chain for one request. A stage that throws answers 500 and is still reported. */
export async function runPipeline(rc: RequestContext): Promise<Response> {
  let response: Response;
  try {
    response = await runFilters(rc);
  } catch (e) {
    console.error(JSON.stringify({ error: "request pipeline failed", request_id: rc.requestId, message: String((e as Error)?.stack ?? e) }));
    response = toResponse(localReply(500, "internal error", "-"));
  }
  return finish(rc, response);
}

async function runFilters(rc: RequestContext): Promise<Response> {
  let response: Response | undefined;
  for (const filter of REQUEST_FILTERS) {
    const r = filter.onRequest(rc);
    const reply = r instanceof Promise ? await r : r;
    if (reply instanceof Response) {
      response = reply;
      break;
    }
    if (reply) {
      addFlag(rc, reply.flag);
      response = toResponse(reply);
      break;
    }
  }
  return response ?? TERMINAL.handle(rc);
}

/** Stage 10: response header edits (route ops, CORS, rate-limit headers), then metrics and access log. */
function finish(rc: RequestContext, response: Response): Response {
  let out = response;
  if (rc.responseEditors.length) {
    if (!ownResponses.has(out)) out = new Response(response.body, response); // make headers mutable
    for (const edit of rc.responseEditors) edit(out.headers);
  }
  report(rc, out);
  return out;
}
