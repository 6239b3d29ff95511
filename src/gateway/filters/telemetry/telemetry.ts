/**
 * Stage 10's reporting half: Istio's standard request metrics for every request (per isolate,
 * `GET /_mesh/metrics`), and the access log line when Telemetry enables it — after the response is
 * known, never delaying it.
 */
import { CONNECTING_IP_HEADER } from "../../../policy/client-ip.js";
import type { RequestContext } from "../../chain/request-context.js";
import { recordRequest } from "./metrics.js";

export function report(rc: RequestContext, response: Response): void {
  const durationMs = Date.now() - rc.startedAt;
  const flags = rc.flags.length ? rc.flags.join(",") : "-";
  const destination = rc.cluster?.host ?? rc.upstreamCluster ?? rc.destination?.host ?? "unknown";
  recordRequest({
    listener: rc.listener,
    destinationService: destination,
    responseCode: response.status,
    responseFlags: flags,
    routeName: rc.decision?.routeName ?? "",
    durationMs,
  });
  if (!rc.live.telemetry.accessLog) return;
  // Envoy's default access log fields (Istio's JSON format), as one structured log line.
  console.log(JSON.stringify({
    start_time: new Date(rc.startedAt).toISOString(),
    method: rc.method,
    path: rc.path,
    protocol: (rc.request as { cf?: { httpProtocol?: string } }).cf?.httpProtocol ?? "HTTP/1.1",
    response_code: response.status,
    response_flags: flags,
    response_code_details: rc.details ?? "-",
    duration: durationMs,
    upstream_host: rc.upstreamHost ?? null,
    upstream_cluster: rc.cluster?.name ?? rc.upstreamCluster ?? null,
    route_name: rc.decision?.routeName ?? null,
    authority: rc.authority,
    x_forwarded_for: rc.request.headers.get("x-forwarded-for"),
    downstream_remote_address: rc.request.headers.get(CONNECTING_IP_HEADER),
    user_agent: rc.request.headers.get("user-agent"),
    request_id: rc.requestId,
    source_principal: rc.sourcePrincipal ?? null,
    request_principal: rc.jwt?.principal ?? null,
    listener: rc.listener,
  }));
}
