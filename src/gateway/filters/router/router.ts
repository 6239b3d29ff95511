/**
 * Stage 10, the last filter (Envoy's router): redirect, direct response, or forward to a weighted
 * destination's cluster and one of its endpoints (with the destination stage for that endpoint), with
 * the route's header operations and mirrors. It always answers.
 *
 * In a dry run (explain) it decides the same way — destination, cluster, endpoint, destination stage —
 * and records the plan instead of calling the upstream or sending mirrors.
 */
import type { HeaderOps } from "../../../config/compile/header-ops.js";
import type { Route, WeightedDestination } from "../../../config/snapshot.js";
import { CONNECTING_IP_HEADER } from "../../../policy/client-ip.js";
import { applyRequestHeaderOps, applyResponseHeaderOps, routeHeaderOps } from "../../../policy/header-ops.js";
import type { HeaderValueContext } from "../../../policy/header-value.js";
import { localReply } from "../../../policy/local-reply.js";
import { mirrorDecisions, mirrorRequest } from "../../../policy/mirror.js";
import { redirect } from "../../../policy/redirect.js";
import { rewriteRequest } from "../../../policy/rewrite.js";
import { noHealthyUpstreamReply } from "../../../policy/retry/index.js";
import { pickDestination } from "../../../policy/weighted-destination.js";
import type { MatchedRoute } from "../../../router/index.js";
import type { RequestFilter } from "../../chain/filter.js";
import { record, type RequestContext } from "../../chain/request-context.js";
import type { RouteRuntime } from "../../runtime/hydrate.js";
import { forwardToCluster, pickContext, type UpstreamParts } from "../../upstream/forward.js";
import { prepareBody, type RequestBody } from "../../upstream/request-body.js";
import { endpointLabel, sendUpstream, upstreamUrl } from "../../upstream/send.js";
import { destinationStage } from "../destination/destination.js";
import { startClientSpan } from "../../tracing/request-trace.js";

const NO_BODY: RequestBody = { kind: "none" };

export const routerFilter: RequestFilter = {
  name: "router",
  onRequest(rc) {
    const matched = rc.decision!;
    const route = matched.route;
    const action = route.action;
    if (action.kind === "redirect") {
      const r = redirect(action, { scheme: rc.scheme, authority: rc.authority, path: rc.path, port: rc.port }, route.match);
      record(rc, "router", { redirect: r });
      rc.details = "direct_response";
      return withResponseOps(rc, route.headerOps, new Response(null, { status: r.status, headers: { location: r.location } }));
    }
    if (action.kind === "directResponse") {
      record(rc, "router", { directResponse: action.status });
      rc.details = "direct_response";
      return withResponseOps(rc, route.headerOps, new Response(matched.runtime.directBody ?? null, { status: action.status }));
    }
    return forward(rc, matched);
  },
};

/** Route (and destination) response header ops, applied to the response just before it leaves. */
function withResponseOps(rc: RequestContext, ops: HeaderOps | undefined, response: Response): Response {
  if (ops?.response.length) {
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

async function forward(rc: RequestContext, matched: MatchedRoute<RouteRuntime>): Promise<Response | ReturnType<typeof localReply>> {
  const route = matched.route;
  const destination = pickDestination(route, rc.random);
  const notFound = route.action.kind === "forward" ? (route.action.clusterNotFoundStatus ?? 503) : 503;
  if (!destination) return localReply(notFound, "", "NC", "cluster_not_found");
  rc.destination = destination;
  const runtime = rc.live.cluster(destination.cluster);
  if (!runtime) return localReply(notFound, "", "NC", "cluster_not_found");
  rc.cluster = runtime.cluster;
  if (runtime.cluster.endpoints.length === 0) return noHealthyUpstreamReply();

  const { path, authority } = rewriteRequest(route, destination, { path: rc.path, authority: rc.authority }, matched.runtime.regexRewrite);
  const ops = routeHeaderOps(route, destination);
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
    // The caller's workload identity, as Istio's sidecar hands it to the app (XFCC): from the member's
    // binding, never from the client (Istio's SANITIZE_SET).
    if (rc.caller.principal) headers.set("x-forwarded-client-cert", `URI=spiffe://${rc.caller.principal}`);
    else headers.delete("x-forwarded-client-cert");
    if (context) applyRequestHeaderOps(ops, headers, context);
  };
  const mirrors = mirrorDecisions(route.mirrors, rc.random, rc.method);

  if (rc.dryRun) return dryRunForward(rc, matched, destination, { path, authority, headers: rc.headers, edit, body: NO_BODY }, mirrors);

  const replay = mirrors.length > 0 || (matched.runtime.buffersBody && rc.method !== "GET" && rc.method !== "HEAD");
  const body = rc.request.body === null ? NO_BODY : await prepareBody(rc.request, replay);
  const parts: UpstreamParts = { path, authority, headers: rc.headers, edit, body };
  // Shadows go out alongside the primary.
  if (mirrors.length) sendMirrors(rc, mirrors, parts);
  const response = await forwardToCluster(rc, route, destination, runtime, parts);
  return withResponseOps(rc, ops, response);
}

/** Mirrors are fire-and-forget: sent with waitUntil through the one upstream sender, never delaying or failing the primary. */
function sendMirrors(rc: RequestContext, mirrors: ReturnType<typeof mirrorDecisions>, parts: UpstreamParts): void {
  if (parts.body.kind === "stream") return; // too large to buffer: mirroring is abandoned, as Envoy does
  const body = parts.body.kind === "buffered" ? parts.body.bytes : undefined;
  for (const m of mirrors) {
    const runtime = rc.live.cluster(m.cluster);
    const endpoint = runtime?.cluster.endpoints[0];
    if (!runtime || !endpoint) continue;
    try {
      const url = upstreamUrl(runtime.cluster, endpoint, parts.path, parts.authority);
      const template = new Request(url, { method: rc.method, headers: parts.headers, body: body ?? null });
      parts.edit(template.headers);
      const span = startClientSpan(rc.trace, `router ${runtime.cluster.name} egress`);
      span?.propagate(template.headers);
      const shadow = mirrorRequest(template, body, url);
      if (!shadow) continue;
      const tags = { upstream_cluster: runtime.cluster.name, "upstream_cluster.name": runtime.cluster.name, upstream_address: endpointLabel(endpoint), "http.method": rc.method, "http.url": shadow.url, mirror: true };
      rc.waitUntil(sendUpstream(rc.env, runtime.cluster, endpoint, shadow).then((o) => {
        span?.end({ ...tags, "http.status_code": o.kind === "response" ? String(o.response.status) : "0", response_flags: o.kind === "response" ? "-" : "UF" }, o.kind !== "response" || o.response.status >= 500);
        return o.kind === "response" ? o.response.body?.cancel() : undefined;
      }, () => span?.end({ ...tags, "http.status_code": "0", response_flags: "UF" }, true)));
    } catch (e) {
      // A mirror never fails the primary request.
      console.warn(`mirror to ${m.cluster} not sent: ${String(e)}`);
    }
  }
}

/**
 * Explain's forward: the plan the router would carry out, and the destination stage for the endpoint
 * the load balancer would pick first. No upstream call, no mirror.
 */
async function dryRunForward(
  rc: RequestContext,
  matched: MatchedRoute<RouteRuntime>,
  destination: WeightedDestination,
  parts: UpstreamParts,
  mirrors: ReturnType<typeof mirrorDecisions>,
): Promise<Response | ReturnType<typeof localReply>> {
  const route = matched.route;
  const runtime = rc.live.cluster(destination.cluster)!;
  const cluster = runtime.cluster;
  const action = route.action.kind === "forward" ? route.action : undefined;
  const plan: Record<string, unknown> = {
    destination: { host: destination.host, subset: destination.subset, port: destination.port, cluster: destination.cluster },
    destinations: (action?.destinations ?? []).map((d) => ({
      host: d.host, subset: d.subset, port: d.port, cluster: d.cluster,
      share: action!.destinations.length === 1 ? 1 : d.weight / action!.totalWeight,
      clusterFound: rc.live.cluster(d.cluster) !== undefined,
    })),
    upstream: { path: parts.path, authority: parts.authority, protocol: cluster.protocol },
    endpoints: cluster.endpoints.map(endpointLabel),
    loadBalancer: cluster.loadBalancer,
    retryPolicy: rc.live.retryPolicy(route, destination) ?? "none",
    timeoutMs: route.timeoutMs ?? null,
    outlierDetection: cluster.outlierDetection ?? "none",
    maxConcurrentRequests: cluster.maxConcurrentRequests ?? "unlimited",
    tls: cluster.tls ?? null,
    mirrors: mirrors.map((m) => ({ cluster: m.cluster, percentage: m.percentage, sent: "not in a dry run" })),
    destinationRule: cluster.destinationRule ?? null,
  };
  record(rc, "router", plan);
  const pick = runtime.balancer.pick(pickContext(rc, parts.path, runtime.circuit?.ejectedPredicate(runtime.balancer.keys)));
  if (!pick) return noHealthyUpstreamReply();
  plan.endpoint = endpointLabel(pick.endpoint);
  rc.endpoint = pick.endpoint;
  rc.upstreamHost = endpointLabel(pick.endpoint);
  if (pick.endpoint.policySet !== undefined) {
    const request = new Request(upstreamUrl(cluster, pick.endpoint, parts.path, parts.authority), { method: rc.method, headers: parts.headers, redirect: "manual" });
    parts.edit(request.headers);
    const verdict = await destinationStage(rc, cluster, pick.endpoint, { request, path: parts.path, authority: parts.authority });
    if (!verdict.allowed) return verdict.reply;
  }
  rc.dryRun!.forward = plan;
  return new Response(null, { status: 200 });
}
