/**
 * Stage 9, the terminal filter (Envoy's router): redirect, direct response, or forward to a weighted
 * destination's cluster and one of its endpoints.
 */
import { directResponse } from "../../policy/direct-response.js";
import { redirect } from "../../policy/redirect.js";
import { rewriteRequest } from "../../policy/rewrite.js";
import { pickDestination } from "../../policy/weighted-destination.js";
import { localReply, toResponse, type LocalReply } from "../local-reply.js";
import type { RequestContext } from "../request-context.js";
import { endpointLabel, sendUpstream, upstreamUrl } from "../upstream.js";
import type { TerminalFilter } from "./filter.js";

/** Envoy's local reply texts, so Istio users recognise them. */
export const UPSTREAM_CONNECT_ERROR = "upstream connect error or disconnect/reset before headers. reset reason: connection failure";
export const NO_HEALTHY_UPSTREAM = "no healthy upstream";

/** Request headers that describe one hop, not the request (RFC 9110 §7.6.1); never forwarded. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate"];

export const routerFilter: TerminalFilter = {
  name: "router",
  async handle(rc) {
    const decision = rc.decision!;
    const action = decision.route.action;
    if (action.kind === "redirect") {
      const r = redirect(action, { scheme: rc.scheme, authority: rc.authority, path: rc.path, port: rc.port }, decision.route.match);
      return new Response(null, { status: r.status, headers: { location: r.location } });
    }
    if (action.kind === "directResponse") {
      const d = directResponse(action);
      return new Response(d.body, { status: d.status });
    }
    return forward(rc);
  },
};

// Round-robin position per cluster, per isolate (replaced by the DestinationRule load balancer).
const rr = new Map<string, number>();

async function forward(rc: RequestContext): Promise<Response> {
  const route = rc.decision!.route;
  const destination = pickDestination(route, Math.random);
  if (!destination) return reply(rc, localReply(503, "", "NC"));
  rc.destination = destination;
  const cluster = rc.live.router.cluster(destination.cluster);
  if (!cluster) return reply(rc, localReply(503, "", "NC"));
  rc.cluster = cluster;
  if (cluster.endpoints.length === 0) return reply(rc, localReply(503, NO_HEALTHY_UPSTREAM, "UH"));
  const i = (rr.get(cluster.name) ?? 0) % cluster.endpoints.length;
  rr.set(cluster.name, i + 1);
  const endpoint = cluster.endpoints[i]!;
  rc.upstreamHost = endpointLabel(endpoint);

  const { path, authority } = rewriteRequest(route, destination, { path: rc.path, authority: rc.authority });
  const headers = new Headers(rc.headers);
  for (const h of HOP_BY_HOP) headers.delete(h);
  headers.set("host", authority);
  headers.set("x-forwarded-proto", rc.scheme);
  // The caller's workload identity, as Istio's sidecar hands it to the app (XFCC); it comes from the
  // member's binding, and any client-sent value was removed in stage 1.
  if (rc.caller.principal) headers.set("x-forwarded-client-cert", `URI=spiffe://${rc.caller.principal}`);
  const hasBody = rc.method !== "GET" && rc.method !== "HEAD";
  const upstream = new Request(upstreamUrl(cluster, endpoint, path, authority), {
    method: rc.method,
    headers,
    body: hasBody ? rc.request.body : null,
    redirect: "manual",
  });
  const started = Date.now();
  const outcome = await sendUpstream(rc.env, cluster, endpoint, upstream);
  if (outcome.kind === "no-binding") {
    console.error(`cluster ${cluster.name}: the gateway has no service binding named ${outcome.binding}`);
    return reply(rc, localReply(503, NO_HEALTHY_UPSTREAM, "UH"));
  }
  if (outcome.kind === "connect-failure") return reply(rc, localReply(503, UPSTREAM_CONNECT_ERROR, "UF"));
  const response = new Response(outcome.response.body, outcome.response);
  response.headers.set("x-envoy-upstream-service-time", String(Date.now() - started));
  return response;
}

function reply(rc: RequestContext, r: LocalReply): Response {
  rc.flag = r.flag;
  return toResponse(r);
}
