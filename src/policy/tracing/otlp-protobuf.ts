/**
 * OTLP/HTTP protobuf (`application/x-protobuf`) for an ExportTraceServiceRequest, the wire format
 * Envoy's OpenTelemetry HTTP exporter sends. Field numbers from opentelemetry-proto
 * (collector/trace/v1, trace/v1, common/v1, resource/v1); only the fields the gateway fills.
 */
import { SCOPE, SPAN_KIND, STATUS_ERROR } from "./otlp-json.js";
import type { FinishedSpan, SpanAttribute, TraceResource } from "./span.js";

const utf8 = new TextEncoder();

/** A growable protobuf writer: length-delimited fields are written as nested writers. */
class Writer {
  private chunks: number[] = [];

  private varint(n: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(n));
    while (v > 0x7fn) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(b.length);
    for (const x of b) this.chunks.push(x);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }

  uint(field: number, n: number | bigint): this {
    this.tag(field, 0);
    this.varint(n);
    return this;
  }

  bool(field: number, b: boolean): this {
    return this.uint(field, b ? 1 : 0);
  }

  fixed64(field: number, n: bigint): this {
    this.tag(field, 1);
    for (let i = 0n; i < 8n; i++) this.chunks.push(Number((n >> (8n * i)) & 0xffn));
    return this;
  }

  double(field: number, d: number): this {
    this.tag(field, 1);
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, d, true);
    for (let i = 0; i < 8; i++) this.chunks.push(buf.getUint8(i));
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** common.v1.AnyValue: string_value 1, bool_value 2, int_value 3, double_value 4. */
function anyValue(v: SpanAttribute): Writer {
  if (typeof v === "string") return new Writer().string(1, v);
  if (typeof v === "boolean") return new Writer().bool(2, v);
  return Number.isInteger(v) ? new Writer().uint(3, BigInt(v)) : new Writer().double(4, v);
}

/** common.v1.KeyValue: key 1, value 2. */
function keyValues(w: Writer, field: number, a: Record<string, SpanAttribute>): void {
  for (const [k, v] of Object.entries(a)) w.message(field, new Writer().string(1, k).message(2, anyValue(v)));
}

const nanos = (ms: number) => BigInt(Math.round(ms)) * 1_000_000n;

/** trace.v1.Span. */
function span(s: FinishedSpan): Writer {
  const w = new Writer().bytes(1, hexBytes(s.traceId)).bytes(2, hexBytes(s.spanId));
  if (s.tracestate) w.string(3, s.tracestate);
  if (s.parentSpanId) w.bytes(4, hexBytes(s.parentSpanId));
  w.string(5, s.name).uint(6, SPAN_KIND[s.kind]).fixed64(7, nanos(s.startMs)).fixed64(8, nanos(s.endMs));
  keyValues(w, 9, s.attributes);
  w.message(15, s.error ? new Writer().uint(3, STATUS_ERROR) : new Writer());
  return w;
}

export function encodeOtlpProtobuf(resource: TraceResource, spans: readonly FinishedSpan[]): Uint8Array {
  const res = new Writer();
  keyValues(res, 1, { "service.name": resource.serviceName, ...resource.attributes });
  const scope = new Writer().string(1, SCOPE.name).string(2, SCOPE.version);
  const scopeSpans = new Writer().message(1, scope);
  for (const s of spans) scopeSpans.message(2, span(s));
  const resourceSpans = new Writer().message(1, res).message(2, scopeSpans);
  return new Writer().message(1, resourceSpans).finish();
}
