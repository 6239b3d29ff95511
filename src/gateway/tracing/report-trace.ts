/**
 * Stage 11's tracing half: the server span of a finished request with Istio's tags, handed with its
 * client spans to the isolate's exporter. Only sampled requests with a provider get here; nothing is
 * awaited.
 */
import { CONNECTING_IP_HEADER } from "../../policy/client-ip.js";
import type { TraceResource } from "../../policy/tracing/span.js";
import type { RequestContext } from "../chain/request-context.js";
import { customTagValues, finishRequestTrace } from "./request-trace.js";

/** The gateway's canonical service, as Istio derives it from the workload's labels. */
export function canonicalService(labels: Record<string, string>): string {
  return labels["service.istio.io/canonical-name"] ?? labels["app.kubernetes.io/name"] ?? labels.app ?? "istio-ingressgateway";
}

export function traceResource(rc: RequestContext): TraceResource {
  const gw = rc.live.gateway;
  return { serviceName: `${canonicalService(gw.labels)}.${gw.namespace}`, attributes: { "k8s.namespace.name": gw.namespace, "service.namespace": gw.namespace } };
}

/** Istio's route decorator (`<host>:<port>/*`), else the authority and path Envoy would name. */
function spanName(rc: RequestContext): string {
  const d = rc.destination;
  if (d) return `${d.host}:${d.port ?? rc.cluster?.port ?? rc.port}/*`;
  const q = rc.path.indexOf("?");
  return `${rc.authority}${q < 0 ? rc.path : rc.path.slice(0, q)}`;
}

export function reportTrace(rc: RequestContext, response: Response): void {
  const trace = rc.trace;
  const tracing = rc.live.tracing;
  if (!trace?.sampled || !tracing.provider) return;
  const gw = rc.live.gateway;
  const h = rc.request.headers;
  const flags = rc.flags.length ? rc.flags.join(",") : "-";
  const cluster = rc.cluster?.name ?? rc.upstreamCluster ?? "-";
  const spans = finishRequestTrace(trace, {
    name: spanName(rc),
    startMs: rc.startedAt,
    statusCode: response.status,
    attributes: {
      component: "proxy",
      "guid:x-request-id": rc.requestId,
      "http.url": `${rc.scheme}://${rc.authority}${rc.path}`,
      "http.method": rc.method,
      "http.protocol": (rc.request as { cf?: { httpProtocol?: string } }).cf?.httpProtocol ?? "HTTP/1.1",
      "http.status_code": String(response.status),
      "response_flags": flags,
      "response_code_details": rc.details ?? "-",
      "upstream_cluster": cluster,
      "upstream_cluster.name": cluster,
      ...(rc.upstreamHost ? { upstream_address: rc.upstreamHost } : {}),
      ...(rc.decision?.routeName ? { route_name: rc.decision.routeName } : {}),
      "downstream_cluster": "-",
      "user_agent": h.get("user-agent") ?? "-",
      "peer.address": h.get(CONNECTING_IP_HEADER) ?? "-",
      "request_size": Number(h.get("content-length") ?? 0),
      "istio.canonical_service": canonicalService(gw.labels),
      "istio.canonical_revision": gw.labels["service.istio.io/canonical-revision"] ?? gw.labels.version ?? "latest",
      "istio.namespace": gw.namespace,
      "istio.mesh_id": rc.live.snapshot.gateway.principal.split("/")[0] ?? "cluster.local",
      ...(rc.listener === "mesh" && rc.caller.principal ? { "istio.source_principal": `spiffe://${rc.caller.principal}` } : {}),
      ...(response.status >= 500 ? { error: "true" } : {}),
      ...customTagValues(tracing.customTags, h, rc.env),
    },
  });
  rc.live.spans.add(spans, { provider: tracing.provider, resource: traceResource(rc), env: rc.env, waitUntil: rc.waitUntil });
}
