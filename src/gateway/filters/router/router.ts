/**
 * Stage 9, the terminal filter (Envoy's router): redirect, direct response, or forward to a weighted
 * destination's cluster and one of its endpoints, with the route's header operations and mirrors.
 */
import type { Route } from "../../../config/snapshot.js";
import { CONNECTING_IP_HEADER } from "../../../policy/client-ip.js";
import { directResponse } from "../../../policy/direct-response.js";
import { applyRequestHeaderOps, applyResponseHeaderOps, headerOpsFor } from "../../../policy/header-ops.js";
import type { HeaderValueContext } from "../../../policy/header-value.js";
import { mirrorDecisions, mirrorRequest } from "../../../policy/mirror.js";
import { redirect } from "../../../policy/redirect.js";
import { rewriteRequest } from "../../../policy/rewrite.js";
import { noHealthyUpstreamReply } from "../../../policy/retry/index.js";
import { pickDestination } from "../../../policy/weighted-destination.js";
import { localReply, toResponse, type LocalReply } from "../../../policy/local-reply.js";
import { addFlag, type RequestContext } from "../../chain/request-context.js";
import { prepareBody, type RequestBody } from "../../upstream/request-body.js";

const NO_BODY: RequestBody = { kind: "none" };
import { forwardToCluster, type UpstreamParts } from "../../upstream/forward.js";
import { upstreamUrl } from "../../upstream/send.js";
import type { TerminalFilter } from "../../chain/filter.js";



export const routerFilter: TerminalFilter = {
  name: "router",
  async handle(rc) {
    const route = rc.decision!.route;
    const action = route.action;
    if (action.kind === "redirect") {
      const r = redirect(action, { scheme: rc.scheme, authority: rc.authority, path: rc.path, port: rc.port }, route.match);
      return withResponseOps(rc, route, new Response(null, { status: r.status, headers: { location: r.location } }));
    }
    if (action.kind === "directResponse") {
      const d = directResponse(action);
      return withResponseOps(rc, route, new Response(d.body, { status: d.status }));
    }
    return forward(rc, route);
  },
};

/** Route (and destination) response header ops also apply to local responses of that route. */
function withResponseOps(rc: RequestContext, route: Route, response: Response): Response {
  const ops = headerOpsFor(route, rc.destination);
  if (ops.response.length) {
    const requestHeaders = rc.request.headers;
    rc.responseEditors.push((h) => applyResponseHeaderOps(ops, h, { ...valueContext(rc), requestHeaders }));
  }
  return response;
}

function valueContext(rc: RequestContext): HeaderValueContext {
  const cf = (rc.request as { cf?: { httpProtocol?: string } }).cf;
  return {
    downstreamRemoteAddress: rc.request.headers.get(CONNECTING_IP_HEADER) ?? undefined,
    protocol: cf?.httpProtocol,
    startTime: rc.startedAt,
    routeName: rc.decision?.routeName,
    authority: rc.authority,
    path: rc.path,
    method: rc.method,
    scheme: rc.scheme,
  };
}

async function forward(rc: RequestContext, route: Route): Promise<Response> {
  const destination = pickDestination(route, Math.random);
  if (!destination) return reply(rc, localReply(503, "", "NC"));
  rc.destination = destination;
  const cluster = rc.live.router.cluster(destination.cluster);
  if (!cluster) return reply(rc, localReply(503, "", "NC"));
  rc.cluster = cluster;
  if (cluster.endpoints.length === 0) return reply(rc, noHealthyUpstreamReply());

  const { path, authority } = rewriteRequest(route, destination, { path: rc.path, authority: rc.authority });
  const ops = headerOpsFor(route, destination);
  const context = ops.request.length ? valueContext(rc) : undefined;
  /** What the gateway writes on every upstream Request it builds from `rc.headers` (one copy each). */
  const hostChanged = authority !== rc.authority;
  const edit = (headers: Headers): void => {
    // Hop-by-hop framing (connection, keep-alive, transfer-encoding) is the runtime's own on each
    // hop; each header call costs per request, so only what the gateway changes is written.
    if (hostChanged) headers.set("host", authority);
    if (rc.upstreamRemove) for (const h of rc.upstreamRemove) headers.delete(h);
    headers.set("x-forwarded-proto", rc.scheme);
    headers.set("x-request-id", rc.requestId);
    if (rc.traceparent) headers.set("traceparent", rc.traceparent);
    // The caller's workload identity, as Istio's sidecar hands it to the app (XFCC): from the member's
    // binding, never from the client (Istio's SANITIZE_SET).
    if (rc.caller.principal) headers.set("x-forwarded-client-cert", `URI=spiffe://${rc.caller.principal}`);
    else headers.delete("x-forwarded-client-cert");
    if (context) applyRequestHeaderOps(ops, headers, context);
  };

  const mirrors = mirrorDecisions(route.mirrors, Math.random, rc.method);
  const body = rc.request.body === null ? NO_BODY : await prepareBody(rc.request, mirrors.length > 0 || wantsReplay(rc));
  const parts = { path, authority, headers: rc.headers, edit, body };
  // Shadows go out alongside the primary.
  if (mirrors.length) sendMirrors(rc, mirrors, parts);
  const response = await forwardToCluster(rc, route, cluster, parts);
  if (ops.response.length) {
    const requestHeaders = rc.request.headers;
    rc.responseEditors.push((h) => applyResponseHeaderOps(ops, h, { ...valueContext(rc), requestHeaders }));
  }
  return response;
}

/**
 * Bodies are buffered for replay when a retry could resend them: the route has a retry policy (Istio
 * applies its default of 2 attempts when `retries` is unset; `attempts: 0` turns it off).
 */
function wantsReplay(rc: RequestContext): boolean {
  const retries = rc.decision?.route.retries;
  return rc.method !== "GET" && rc.method !== "HEAD" && !(retries && (retries.attempts ?? 0) === 0);
}


/** Mirrors are fire-and-forget: sent with waitUntil, never delaying or failing the primary. */
function sendMirrors(rc: RequestContext, mirrors: ReturnType<typeof mirrorDecisions>, parts: UpstreamParts): void {
  if (parts.body.kind === "stream") return; // too large to buffer: mirroring is abandoned, as Envoy does
  const body = parts.body.kind === "buffered" ? parts.body.bytes : undefined;
  for (const m of mirrors) {
    const cluster = rc.live.router.cluster(m.cluster);
    const endpoint = cluster?.endpoints[0];
    if (!cluster || !endpoint) continue;
    try {
      const url = upstreamUrl(cluster, endpoint, parts.path, parts.authority);
      const template = new Request(url, { method: rc.method, headers: parts.headers, body: body ?? null });
      parts.edit(template.headers);
      const shadow = mirrorRequest(template, body, url);
      if (!shadow) continue;
      const send = endpoint.kind === "binding"
        ? (rc.env as unknown as Record<string, Fetcher | undefined>)[endpoint.binding]?.fetch(shadow)
        : fetch(shadow);
      if (send) rc.waitUntil(send.then((r) => r.body?.cancel(), () => undefined));
    } catch (e) {
      // A mirror never fails the primary request.
      console.warn(`mirror to ${m.cluster} not sent: ${String(e)}`);
    }
  }
}

function reply(rc: RequestContext, r: LocalReply): Response {
  addFlag(rc, r.flag);
  return toResponse(r);
}
