/**
 * A member's call through the mesh to a host that no ServiceEntry registers (Istio's "Accessing
 * external services"): MeshConfig `outboundTrafficPolicy.mode` decides. `ALLOW_ANY` (the default)
 * sends it where its URL says, as Envoy's PassthroughCluster does (one attempt, no policies: the
 * registry knows nothing of the host); `REGISTRY_ONLY` answers 502, as Istio's BlackHoleCluster route.
 * Register the host with a ServiceEntry to get routing, retries, timeouts, TLS origination and
 * outlier detection for it.
 */
import { localReply, type LocalReply } from "../../policy/local-reply.js";
import { upstreamResetReply } from "../../policy/retry/index.js";
import { record, type RequestContext } from "../chain/request-context.js";
import { startClientSpan } from "../tracing/request-trace.js";

export const PASSTHROUGH_CLUSTER = "PassthroughCluster";
export const BLACKHOLE_CLUSTER = "BlackHoleCluster";

export async function unregisteredHost(rc: RequestContext): Promise<Response | LocalReply> {
  const mode = rc.live.mesh.outboundTrafficPolicy;
  record(rc, "virtual_host", { host: rc.authority, registered: false, outboundTrafficPolicy: mode });
  rc.upstreamHost = rc.authority;
  if (mode === "REGISTRY_ONLY") {
    rc.upstreamCluster = BLACKHOLE_CLUSTER;
    return localReply(502, "", "-", "direct_response");
  }
  rc.upstreamCluster = PASSTHROUGH_CLUSTER;
  if (rc.dryRun) {
    rc.dryRun.forward = { cluster: PASSTHROUGH_CLUSTER, url: `${rc.scheme}://${rc.authority}${rc.path}` };
    return new Response(null, { status: 200 });
  }
  const headers = new Headers(rc.headers);
  headers.set("x-request-id", rc.requestId);
  const span = startClientSpan(rc.trace, `router ${PASSTHROUGH_CLUSTER} egress`);
  span?.propagate(headers);
  if (rc.caller.principal) headers.set("x-forwarded-client-cert", `URI=spiffe://${rc.caller.principal}`);
  const url = `${rc.scheme}://${rc.authority}${rc.path}`;
  const tags = { upstream_cluster: PASSTHROUGH_CLUSTER, "upstream_cluster.name": PASSTHROUGH_CLUSTER, upstream_address: rc.authority, "http.method": rc.method, "http.url": url };
  try {
    const response = await fetch(new Request(url, { method: rc.method, headers, body: rc.request.body, redirect: "manual" }));
    span?.end({ ...tags, "http.status_code": String(response.status), response_flags: "-" }, response.status >= 500);
    return response;
  } catch (e) {
    span?.end({ ...tags, "http.status_code": "0", response_flags: "UF" }, true);
    return upstreamResetReply("remote connection failure", false, String((e as Error)?.message ?? e));
  }
}
