/**
 * Forwarding one request to a cluster: endpoint choice, the attempt, and its outcome. Retries,
 * timeouts, load balancing, outlier ejection and concurrency limits hook in here.
 */
import type { Cluster } from "../config/snapshot.js";
import { localReply, toResponse } from "./local-reply.js";
import type { RequestContext } from "./request-context.js";
import { bodyForAttempt } from "./request-body.js";
import type { UpstreamParts } from "./filters/router.js";
import { endpointLabel, sendUpstream, upstreamUrl } from "./upstream.js";

export const UPSTREAM_CONNECT_ERROR = "upstream connect error or disconnect/reset before headers. reset reason: connection failure";

// Round-robin position per cluster, per isolate.
const rr = new Map<string, number>();

export async function forwardToCluster(rc: RequestContext, cluster: Cluster, parts: UpstreamParts): Promise<Response> {
  const i = (rr.get(cluster.name) ?? 0) % cluster.endpoints.length;
  rr.set(cluster.name, i + 1);
  const endpoint = cluster.endpoints[i]!;
  rc.upstreamHost = endpointLabel(endpoint);
  const upstream = new Request(upstreamUrl(cluster, endpoint, parts.path, parts.authority), {
    method: rc.method,
    headers: parts.headers,
    body: bodyForAttempt(parts.body, 0) ?? null,
    redirect: "manual",
  });
  const started = Date.now();
  const outcome = await sendUpstream(rc.env, cluster, endpoint, upstream);
  if (outcome.kind === "no-binding") {
    console.error(`cluster ${cluster.name}: the gateway has no service binding named ${outcome.binding}`);
    rc.flag = "UH";
    return toResponse(localReply(503, "no healthy upstream", "UH"));
  }
  if (outcome.kind === "connect-failure") {
    rc.flag = "UF";
    return toResponse(localReply(503, UPSTREAM_CONNECT_ERROR, "UF"));
  }
  const response = new Response(outcome.response.body, outcome.response);
  response.headers.set("x-envoy-upstream-service-time", String(Date.now() - started));
  return response;
}
