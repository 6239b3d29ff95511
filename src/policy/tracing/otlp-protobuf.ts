/**
 * OTLP/HTTP protobuf (`application/x-protobuf`) for an ExportTraceServiceRequest, the wire format
 * Envoy's OpenTelemetry HTTP exporter sends. Field numbers from opentelemetry-proto
 * (collector/trace/v1, trace/v1, common/v1, resource/v1); only the fields the gateway fills.
 *
 * One pass into one growing byte buffer: a length-delimited field reserves one byte for its length,
 * writes its content in place, then writes the length — moving the content right only when the length
 * needs more than one byte (messages over 127 bytes). Strings go in with `encodeInto`, integers as
 * varints without BigInt (timestamps are split into 32-bit halves): a batch of spans costs one buffer.
 */
import { SCOPE, SPAN_KIND, STATUS_ERROR } from "./otlp-json.js";
import type { FinishedSpan, SpanAttribute, TraceResource } from "./span.js";

const utf8 = new TextEncoder();
const TWO_32 = 2 ** 32;

class Writer {
  private buf = new Uint8Array(1024);
  private pos = 0;

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** A non-negative integer below 2^53. */
  private varint(n: number): void {
    this.ensure(10);
    while (n > 0x7f) {
      this.buf[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** Opens a length-delimited field; returns where its content starts (pass it to `close`). */
  open(field: number): number {
    this.tag(field, 2);
    this.ensure(1);
    this.pos++; // one byte reserved for the length
    return this.pos;
  }

  /** Writes the length of the field opened at `start`, moving its content if the length takes more than a byte. */
  close(start: number): this {
    const length = this.pos - start;
    let size = 1;
    for (let n = length; n > 0x7f; n = Math.floor(n / 128)) size++;
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(start + size - 1, start, this.pos);
      this.pos += size - 1;
    }
    let at = start - 1;
    let n = length;
    while (n > 0x7f) {
      this.buf[at++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[at] = n;
    return this;
  }

  string(field: number, s: string): this {
    const start = this.open(field);
    this.ensure(s.length * 3);
    this.pos += utf8.encodeInto(s, this.buf.subarray(this.pos)).written;
    return this.close(start);
  }

  /** `hex` (an even number of hex digits: trace and span ids) as bytes. */
  hexBytes(field: number, hex: string): this {
    this.tag(field, 2);
    this.varint(hex.length >> 1);
    this.ensure(hex.length >> 1);
    for (let i = 0; i + 1 < hex.length; i += 2) this.buf[this.pos++] = (nibble(hex.charCodeAt(i)) << 4) | nibble(hex.charCodeAt(i + 1));
    return this;
  }

  uint(field: number, n: number): this {
    this.tag(field, 0);
    this.varint(n);
    return this;
  }

  /** An int64 (two's complement for negatives, as protobuf writes them: ten bytes). */
  int64(field: number, n: number): this {
    if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) return this.uint(field, n);
    this.tag(field, 0);
    this.ensure(10);
    let v = BigInt.asUintN(64, BigInt(Math.trunc(n)));
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  /** A timestamp in nanoseconds from milliseconds since the epoch (fixed64, little-endian). */
  nanosFromMs(field: number, ms: number): this {
    this.tag(field, 1);
    this.ensure(8);
    const whole = Math.max(0, Math.round(ms));
    const low = (whole % TWO_32) * 1_000_000; // < 2^52: exact
    const lo = low % TWO_32;
    const hi = Math.floor(whole / TWO_32) * 1_000_000 + Math.floor(low / TWO_32);
    this.u32(lo);
    this.u32(hi % TWO_32);
    return this;
  }

  double(field: number, d: number): this {
    this.tag(field, 1);
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).setFloat64(0, d, true);
    this.pos += 8;
    return this;
  }

  private u32(n: number): void {
    this.buf[this.pos++] = n & 0xff;
    this.buf[this.pos++] = (n >>> 8) & 0xff;
    this.buf[this.pos++] = (n >>> 16) & 0xff;
    this.buf[this.pos++] = (n >>> 24) & 0xff;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return 0;
}

/** common.v1.KeyValue (key 1, value 2) with its AnyValue: string_value 1, bool_value 2, int_value 3, double_value 4. */
function keyValues(w: Writer, field: number, attributes: Record<string, SpanAttribute>): void {
  for (const key of Object.keys(attributes)) {
    const v = attributes[key]!;
    const kv = w.open(field);
    w.string(1, key);
    const any = w.open(2);
    if (typeof v === "string") w.string(1, v);
    else if (typeof v === "boolean") w.uint(2, v ? 1 : 0);
    else if (Number.isInteger(v)) w.int64(3, v);
    else w.double(4, v);
    w.close(any).close(kv);
  }
}

/** trace.v1.Span. */
function span(w: Writer, field: number, s: FinishedSpan): void {
  const start = w.open(field);
  w.hexBytes(1, s.traceId).hexBytes(2, s.spanId);
  if (s.tracestate) w.string(3, s.tracestate);
  if (s.parentSpanId) w.hexBytes(4, s.parentSpanId);
  w.string(5, s.name).uint(6, SPAN_KIND[s.kind]).nanosFromMs(7, s.startMs).nanosFromMs(8, s.endMs);
  keyValues(w, 9, s.attributes);
  const status = w.open(15);
  if (s.error) w.uint(3, STATUS_ERROR);
  w.close(status).close(start);
}

export function encodeOtlpProtobuf(resource: TraceResource, spans: readonly FinishedSpan[]): Uint8Array {
  const w = new Writer();
  const resourceSpans = w.open(1);
  const res = w.open(1);
  keyValues(w, 1, { "service.name": resource.serviceName, ...resource.attributes });
  w.close(res);
  const scopeSpans = w.open(2);
  const scope = w.open(1);
  w.string(1, SCOPE.name).string(2, SCOPE.version).close(scope);
  for (const s of spans) span(w, 2, s);
  w.close(scopeSpans).close(resourceSpans);
  return w.finish();
}
