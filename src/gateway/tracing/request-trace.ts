/**
 * The gateway's spans for one request, as Envoy records them: a SERVER span for the request (started
 * in stage 1, finished with the response) and a CLIENT span per upstream attempt, mirror and external
 * authorization check, each a child of the server span. Unsampled requests record nothing but still
 * propagate the trace context (with the sampled flag off), so the decision holds downstream.
 *
 * Tags are Istio's (`istio.canonical_service`, `istio.namespace`, `istio.mesh_id`, `http.status_code`,
 * `response_flags`, `upstream_cluster`, `guid:x-request-id`, ...) plus the Telemetry's custom tags.
 */
import type { CustomTag, TracingSettings } from "../../config/tracing-settings.js";
import { randomHexId, randomTraceAndSpanIds, readTraceContext, sampleRandomly, writeTraceHeaders, type B3Form, type OutgoingTrace } from "../../policy/tracing/trace-context.js";
import type { FinishedSpan, SpanAttribute } from "../../policy/tracing/span.js";

export interface RequestTrace {
  readonly traceId: string;
  /** The gateway's server span. */
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly sampled: boolean;
  readonly tracestate?: string;
  /** The caller's B3 form, answered in kind. */
  readonly b3?: B3Form;
  /** Finished client spans (sampled requests only). */
  readonly children: FinishedSpan[];
}

/**
 * Stage 1: continue the caller's trace or start one; the sampling decision is made here, once.
 * Without a tracing provider there is no tracer, as in Envoy: no span, no trace context written (the
 * provider decides the format the proxy emits); a caller's trace headers reach the upstream unchanged.
 */
export function startRequestTrace(headers: Headers, settings: TracingSettings | undefined, random: () => number): RequestTrace | undefined {
  if (!settings?.provider) return undefined;
  const incoming = readTraceContext(headers);
  const sampled = incoming?.sampled ?? sampleRandomly(settings.randomSamplingPercentage, random);
  const known = incoming?.traceId !== undefined ? incoming : undefined;
  const ids = randomTraceAndSpanIds();
  return {
    traceId: known?.traceId ?? ids.traceId,
    spanId: ids.spanId,
    parentSpanId: known?.parentSpanId,
    sampled,
    tracestate: known?.tracestate,
    b3: incoming?.b3,
    children: [],
  };
}

/** A client span in flight: its id is the parent the upstream sees. */
export interface ClientSpan {
  readonly spanId: string;
  /** The request is sampled: `end` records the span (otherwise it only propagates the context). */
  readonly recording: boolean;
  /** Writes this hop's trace context on the outgoing request. */
  propagate(headers: Headers): void;
  /** Records the span (sampled requests only); call once. */
  end(attributes: Record<string, SpanAttribute>, error?: boolean): void;
}

/** Starts a client span as a child of the request's server span. */
export function startClientSpan(trace: RequestTrace | undefined, name: string): ClientSpan | undefined {
  if (!trace) return undefined;
  // Unsampled: nothing is recorded; the upstream's parent is the (unrecorded) server span.
  const spanId = trace.sampled ? randomHexId(8) : trace.spanId;
  const startMs = Date.now();
  const out: OutgoingTrace = { traceId: trace.traceId, spanId, parentSpanId: trace.sampled ? trace.spanId : trace.parentSpanId, sampled: trace.sampled, tracestate: trace.tracestate, b3: trace.b3 };
  return {
    spanId,
    recording: trace.sampled,
    propagate: (headers) => writeTraceHeaders(headers, out),
    end(attributes, error) {
      if (!trace.sampled) return;
      trace.children.push({
        traceId: trace.traceId, spanId, parentSpanId: trace.spanId, tracestate: trace.tracestate, name, kind: "client",
        startMs, endMs: Date.now(), attributes: { component: "proxy", ...attributes }, ...(error ? { error } : {}),
      });
    },
  };
}

/** Istio's tags on the server span, as a sidecar or gateway writes them. */
export interface ServerSpanFacts {
  name: string;
  startMs: number;
  attributes: Record<string, SpanAttribute>;
  statusCode: number;
}

/** The finished spans of a sampled request (server span first), or none. */
export function finishRequestTrace(trace: RequestTrace | undefined, facts: ServerSpanFacts): FinishedSpan[] {
  if (!trace?.sampled) return [];
  const server: FinishedSpan = {
    traceId: trace.traceId, spanId: trace.spanId, parentSpanId: trace.parentSpanId, tracestate: trace.tracestate,
    name: facts.name, kind: "server", startMs: facts.startMs, endMs: Date.now(), attributes: facts.attributes,
    ...(facts.statusCode >= 500 ? { error: true } : {}),
  };
  return [server, ...trace.children];
}

/** Telemetry `customTags` for one request: literal, request header (with default), Worker var (with default). */
export function customTagValues(tags: Record<string, CustomTag>, headers: Headers, env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, tag] of Object.entries(tags)) {
    let v: string | undefined;
    if ("literal" in tag) v = tag.literal.value;
    else if ("header" in tag) v = headers.get(tag.header.name) ?? tag.header.defaultValue;
    else if ("environment" in tag) {
      const e = (env as unknown as Record<string, unknown>)[tag.environment.name];
      v = typeof e === "string" ? e : tag.environment.defaultValue;
    }
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/**
 * A fetch that records each call as a client span of a sampled request (JWKS and OIDC discovery
 * fetches); undefined otherwise, so unsampled requests pay nothing.
 */
export function tracedFetch(trace: RequestTrace | undefined, name: string): typeof fetch | undefined {
  if (!trace?.sampled) return undefined;
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const span = startClientSpan(trace, name);
    const url = input instanceof Request ? input.url : String(input);
    try {
      const response = await fetch(input, init);
      span?.end({ "http.url": url, "http.method": "GET", "http.status_code": String(response.status) }, response.status >= 500);
      return response;
    } catch (e) {
      span?.end({ "http.url": url, "http.method": "GET", "http.status_code": "0", response_flags: "UF" }, true);
      throw e;
    }
  };
}
