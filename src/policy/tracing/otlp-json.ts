/**
 * OTLP/HTTP JSON (`application/json`) for an ExportTraceServiceRequest, as the OTLP specification
 * writes it: lowerCamelCase field names, trace and span ids in hex, 64-bit integers as decimal
 * strings, enums as numbers.
 */
import type { FinishedSpan, SpanAttribute, TraceResource } from "./span.js";

export const SCOPE = { name: "isthmus", version: "0.1.0" } as const;
export const SPAN_KIND = { server: 2, client: 3 } as const;
export const STATUS_ERROR = 2;

export function anyValue(v: SpanAttribute): Record<string, unknown> {
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

const attributes = (a: Record<string, SpanAttribute>) => Object.entries(a).map(([key, value]) => ({ key, value: anyValue(value) }));

/** Milliseconds → the decimal nanoseconds string OTLP JSON writes for fixed64. */
export const nanos = (ms: number): string => (BigInt(Math.round(ms)) * 1_000_000n).toString();

export function encodeOtlpJson(resource: TraceResource, spans: readonly FinishedSpan[]): string {
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: attributes({ "service.name": resource.serviceName, ...resource.attributes }) },
      scopeSpans: [{
        scope: SCOPE,
        spans: spans.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          ...(s.tracestate ? { traceState: s.tracestate } : {}),
          name: s.name,
          kind: SPAN_KIND[s.kind],
          startTimeUnixNano: nanos(s.startMs),
          endTimeUnixNano: nanos(s.endMs),
          attributes: attributes(s.attributes),
          status: s.error ? { code: STATUS_ERROR } : {},
        })),
      }],
    }],
  });
}
