/**
 * Trace context in and out: W3C `traceparent`/`tracestate` and Zipkin B3 (single `b3` header and the
 * multi-header `x-b3-*` form), as Envoy reads and writes them. The gateway is one hop of the trace:
 * an incoming context keeps its trace id and its sampling decision; without one a new trace starts
 * and the sampler decides (`randomSamplingPercentage`).
 *
 * @example
 *   const ctx = readTraceContext(request.headers);          // { traceId, parentSpanId, sampled }
 *   const sampled = ctx?.sampled ?? sampleRandomly(1, Math.random);
 *   writeTraceHeaders(headers, { traceId, spanId, sampled, tracestate, b3: ctx?.b3 });
 */

/** What an incoming request says about its trace. */
export interface IncomingTrace {
  /** 32 lowercase hex digits (a 64-bit B3 id is left-padded with zeros). */
  traceId: string;
  /** The caller's span (16 hex), the parent of the gateway's server span. */
  parentSpanId?: string;
  /** The caller's sampling decision; undefined when it made none (B3 without `x-b3-sampled`). */
  sampled?: boolean;
  /** W3C `tracestate`, passed on unchanged. */
  tracestate?: string;
  /** The caller spoke B3, in its single-header form (`b3`) or the multi-header one: the gateway answers in kind. */
  b3?: B3Form;
  /** Which header carried it. */
  format: "w3c" | "b3" | "b3-multi";
}

/** The context the gateway writes on an upstream request (its own span as the parent). */
export interface OutgoingTrace {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  sampled: boolean;
  tracestate?: string;
  /** Also write B3, in this form (the caller's). */
  b3?: B3Form;
}

export type B3Form = "single" | "multi";

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const HEX_ID = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

const lower = (v: string | null) => (v === null ? null : v.trim().toLowerCase());
const traceId128 = (id: string) => (id.length === 16 ? ZERO_SPAN + id : id);

/** W3C Trace Context level 1: version ff is invalid; version 00 has exactly four fields. */
function readW3c(headers: Headers): IncomingTrace | undefined {
  const m = TRACEPARENT.exec(lower(headers.get("traceparent")) ?? "");
  if (!m || m[1] === "ff" || (m[1] === "00" && m[5] !== undefined)) return undefined;
  if (m[2] === ZERO_TRACE || m[3] === ZERO_SPAN) return undefined;
  const tracestate = headers.get("tracestate") ?? undefined;
  return { traceId: m[2]!, parentSpanId: m[3]!, sampled: (parseInt(m[4]!, 16) & 1) === 1, tracestate, format: "w3c" };
}

/** `b3: {traceid}-{spanid}[-{sampling}[-{parentspanid}]]`, or the bare sampling state `b3: 0`. */
function readB3Single(headers: Headers): IncomingTrace | "deny" | "accept" | undefined {
  const v = lower(headers.get("b3"));
  if (!v) return undefined;
  if (v === "0") return "deny";
  if (v === "1" || v === "d") return "accept";
  const [trace, span, sampling] = v.split("-");
  if (!trace || !span || !HEX_ID.test(trace) || !SPAN_ID.test(span) || /^0+$/.test(trace)) return undefined;
  const sampled = sampling === undefined ? undefined : sampling === "1" || sampling === "d" ? true : sampling === "0" ? false : undefined;
  return { traceId: traceId128(trace), parentSpanId: span, sampled, b3: "single", format: "b3" };
}

/** `x-b3-traceid`, `x-b3-spanid`, `x-b3-sampled` (`1`/`0`, also `true`/`false`), `x-b3-flags: 1` (debug). */
function readB3Multi(headers: Headers): IncomingTrace | undefined {
  const trace = lower(headers.get("x-b3-traceid"));
  if (!trace) return undefined;
  const span = lower(headers.get("x-b3-spanid"));
  const sampled = b3Sampled(headers);
  if (!trace || !span || !HEX_ID.test(trace) || !SPAN_ID.test(span) || /^0+$/.test(trace)) return undefined;
  return { traceId: traceId128(trace), parentSpanId: span, sampled, b3: "multi", format: "b3-multi" };
}

function b3Sampled(headers: Headers): boolean | undefined {
  if (headers.get("x-b3-flags") === "1") return true;
  const s = lower(headers.get("x-b3-sampled"));
  return s === "1" || s === "true" ? true : s === "0" || s === "false" ? false : undefined;
}

/**
 * The incoming trace, if any: W3C first (Envoy's OpenTelemetry tracer), then B3 single, then B3
 * multi. A bare sampling decision with no ids (`b3: 0`, `x-b3-sampled: 0` alone) is returned as
 * `{ sampled }` with no trace id: the new trace keeps the decision.
 */
export function readTraceContext(headers: Headers): IncomingTrace | { sampled: boolean; traceId?: undefined; b3: B3Form } | undefined {
  const w3c = readW3c(headers);
  if (w3c) return w3c;
  const single = readB3Single(headers);
  if (single === "deny") return { sampled: false, b3: "single" };
  if (single === "accept") return { sampled: true, b3: "single" };
  if (single) return single;
  const multi = readB3Multi(headers);
  if (multi) return multi;
  const bare = b3Sampled(headers);
  return bare === undefined ? undefined : { sampled: bare, b3: "multi" };
}

/** Istio's `randomSamplingPercentage`: 0–100, with Envoy's resolution (1/10000 of a percent). */
export function sampleRandomly(percentage: number, random: () => number): boolean {
  if (!(percentage > 0)) return false;
  if (percentage >= 100) return true;
  return random() * 100 < percentage;
}

/**
 * Writes the trace context for the next hop: `traceparent` (and `tracestate` as received) always — the
 * format of Istio's `opentelemetry` provider, as Envoy's OpenTelemetry tracer writes it — and, when the
 * caller spoke B3, B3 in the caller's form (the single `b3` header, or `x-b3-traceid`, `x-b3-spanid`,
 * `x-b3-parentspanid`, `x-b3-sampled`), so a B3-only application keeps its trace. Other trace headers
 * pass as they came, as through Envoy (each header write costs the request about half a microsecond).
 */
export function writeTraceHeaders(headers: Headers, t: OutgoingTrace): void {
  headers.set("traceparent", `00-${t.traceId}-${t.spanId}-${t.sampled ? "01" : "00"}`);
  if (t.tracestate) headers.set("tracestate", t.tracestate);
  if (t.b3 === "single") {
    headers.set("b3", `${t.traceId}-${t.spanId}-${t.sampled ? "1" : "0"}${t.parentSpanId ? `-${t.parentSpanId}` : ""}`);
  } else if (t.b3 === "multi") {
    headers.set("x-b3-traceid", t.traceId);
    headers.set("x-b3-spanid", t.spanId);
    if (t.parentSpanId) headers.set("x-b3-parentspanid", t.parentSpanId);
    else headers.delete("x-b3-parentspanid");
    headers.set("x-b3-sampled", t.sampled ? "1" : "0");
    headers.delete("x-b3-flags");
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

const scratch = new Uint8Array(24);

/** A new trace id and span id from one call to the random source (the per-request case). */
export function randomTraceAndSpanIds(): { traceId: string; spanId: string } {
  crypto.getRandomValues(scratch);
  if (scratch.every((b) => b === 0)) scratch[23] = scratch[15] = 1;
  let traceId = "";
  for (let i = 0; i < 16; i++) traceId += HEX[scratch[i]!];
  let spanId = "";
  for (let i = 16; i < 24; i++) spanId += HEX[scratch[i]!];
  return { traceId, spanId };
}

/** Random ids, `bytes` long in hex (8 → span id, 16 → trace id); never all zeros. */
export function randomHexId(bytes: 8 | 16): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  if (buf.every((b) => b === 0)) buf[bytes - 1] = 1;
  let s = "";
  for (const b of buf) s += HEX[b];
  return s;
}
