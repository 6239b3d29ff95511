/**
 * A finished span as the gateway records it, the shape both OTLP encodings are written from.
 * Envoy's model: one SERVER span per request at the gateway, one CLIENT span per upstream attempt
 * (retries, mirrors, the external authorization check), each a child of the server span.
 */
export type SpanAttribute = string | number | boolean;

export interface FinishedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  tracestate?: string;
  name: string;
  kind: "server" | "client";
  /** Milliseconds since the epoch (Workers' clock advances on I/O). */
  startMs: number;
  endMs: number;
  attributes: Record<string, SpanAttribute>;
  /** ERROR for a 5xx or a failed attempt, as Envoy marks `error: true`; otherwise UNSET. */
  error?: boolean;
}

/** What every span of this gateway carries as OTLP resource attributes. */
export interface TraceResource {
  /** `service.name`: Istio's gateway names itself `<app>.<namespace>` (`istio-ingressgateway.istio-system`). */
  serviceName: string;
  attributes?: Record<string, SpanAttribute>;
}
