/**
 * HTTPFaultInjection (Istio TranslateFault → Envoy's fault filter, configured per route).
 *
 * - Percentages: `percentage.value` per million; unset ⇒ 0 % (no request is delayed or aborted). For a
 *   delay the deprecated integer `percent` is honoured when `percentage` is unset.
 * - Delay and abort are independent draws. A delayed request waits first (flag `DI`), then the abort
 *   is decided on its own (flag `FI`); Envoy logs both flags (`DI,FI`).
 * - An abort is a local reply with body `fault filter abort`. `grpcStatus` aborts are HTTP 200 with a
 *   gRPC status (Envoy aborts with status 200 and the gRPC code). Any abort of a gRPC request is a
 *   trailers-only gRPC reply (200, `content-type: application/grpc`, `grpc-status`, `grpc-message`);
 *   an `httpStatus` maps to a gRPC code as Envoy's httpToGrpcStatus does. A `grpcStatus` abort of a
 *   plain HTTP request is just a 200 with the text body, which is also what Envoy sends.
 * - `exponentialDelay` and `http2Error` are refused at admission; left here, they inject nothing
 *   (Istio drops them with a warning).
 *
 * The compile half runs once per route object of a snapshot (cached in a WeakMap); `decide` only
 * draws random numbers.
 */
import { parseDuration } from "../config/duration.js";
import type { Route } from "../config/snapshot.js";
import type { HTTPFaultInjection } from "../config/schemas/virtual-service.js";
import { localReply, type LocalReply } from "./local-reply.js";
import { fractionFires, percentToPerMillion } from "./fractional-percent.js";

/** Envoy's local-reply body for an injected abort. */
export const FAULT_ABORT_BODY = "fault filter abort";

/** gRPC status codes by the names `abort.grpcStatus` accepts (grpc/status.proto). */
export const GRPC_STATUS_CODES: Readonly<Record<string, number>> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

/** The compiled fault of one route: plain numbers. */
export interface FaultPolicy {
  delay?: { fixedDelayMs: number; perMillion: number };
  abort?: { perMillion: number; httpStatus?: number; grpcStatus?: number };
}

/** What the fault stage does to this request. Nothing set ⇒ continue untouched. */
export interface FaultDecision {
  /** Wait this long before going on (response flag `DI`). */
  delayMs?: number;
  /** Then answer with this local reply instead of routing (response flag `FI`). */
  abort?: LocalReply;
}

export interface FaultRequest {
  /** The request is gRPC (see isGrpcRequest): aborts become gRPC trailers-only replies. */
  grpc?: boolean;
}

export interface CompiledFault extends FaultPolicy {
  /**
   * Draws the delay (when one is configured) and then the abort (when one is configured) from
   * `random` (uniform in [0, 1)).
   *
   * @example compileFault({ abort: { httpStatus: 503, percentage: { value: 100 } } })!.decide(Math.random)
   *          // { abort: { status: 503, body: "fault filter abort", flag: "FI" } }
   */
  decide(random: () => number, request?: FaultRequest): FaultDecision;
}

/** `fault` → plain policy; undefined when nothing injectable remains. */
export function translateFault(fault: HTTPFaultInjection | undefined): FaultPolicy | undefined {
  if (!fault) return undefined;
  const out: FaultPolicy = {};
  const d = fault.delay;
  if (d && d.fixedDelay !== undefined) {
    const ms = parseDuration(d.fixedDelay);
    // Whole milliseconds (the epsilon absorbs float noise such as 0.29s → 289.99…); Envoy delays only
    // when the duration is at least 1 ms.
    const whole = ms === undefined ? 0 : Math.floor(ms + 1e-6);
    if (whole > 0) {
      const perMillion = d.percentage ? percentToPerMillion(d.percentage.value) : percentToPerMillion(d.percent);
      out.delay = { fixedDelayMs: whole, perMillion };
    }
  }
  const a = fault.abort;
  if (a) {
    const perMillion = percentToPerMillion(a.percentage?.value);
    if (a.httpStatus !== undefined) out.abort = { perMillion, httpStatus: a.httpStatus };
    else if (a.grpcStatus !== undefined && GRPC_STATUS_CODES[a.grpcStatus] !== undefined)
      out.abort = { perMillion, grpcStatus: GRPC_STATUS_CODES[a.grpcStatus] };
  }
  return out.delay || out.abort ? out : undefined;
}

export function compileFault(fault: HTTPFaultInjection | undefined): CompiledFault | undefined {
  const policy = translateFault(fault);
  if (!policy) return undefined;
  const abortReply = policy.abort ? abortReplies(policy.abort) : undefined;
  return {
    ...policy,
    decide(random, request) {
      const out: FaultDecision = {};
      if (policy.delay && fractionFires(policy.delay.perMillion, random())) out.delayMs = policy.delay.fixedDelayMs;
      if (policy.abort && abortReply && fractionFires(policy.abort.perMillion, random())) out.abort = request?.grpc ? abortReply.grpc : abortReply.http;
      return out;
    },
  };
}

const compiled = new WeakMap<object, CompiledFault | null>();

/** The compiled fault of a snapshot route (cached per route object), or undefined when it has none. */
export function faultFor(route: Pick<Route, "fault">): CompiledFault | undefined {
  const spec = route.fault;
  if (!spec) return undefined;
  let c = compiled.get(spec);
  if (c === undefined) {
    c = compileFault(spec) ?? null;
    compiled.set(spec, c);
  }
  return c ?? undefined;
}

/** Both shapes of the abort reply, built once: replies are shared, callers must not mutate them. */
function abortReplies(abort: NonNullable<FaultPolicy["abort"]>): { http: LocalReply; grpc: LocalReply } {
  const status = abort.httpStatus ?? 200;
  const grpcCode = abort.grpcStatus ?? httpToGrpcStatus(status);
  return {
    http: localReply(status, FAULT_ABORT_BODY, "FI"),
    grpc: localReply(200, "", "FI", {
      "content-type": "application/grpc",
      "grpc-status": String(grpcCode),
      "grpc-message": FAULT_ABORT_BODY,
    }),
  };
}

/** Envoy Grpc::Utility::httpToGrpcStatus (grpc's http-grpc-status-mapping). */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400: return 13; // INTERNAL
    case 401: return 16; // UNAUTHENTICATED
    case 403: return 7; // PERMISSION_DENIED
    case 404: return 12; // UNIMPLEMENTED
    case 429: case 502: case 503: case 504: return 14; // UNAVAILABLE
    default: return 2; // UNKNOWN
  }
}

/**
 * Envoy's test for a gRPC request: `content-type` is `application/grpc`, optionally followed by
 * `+subtype` or `;parameters`.
 */
export function isGrpcRequest(headers: Headers): boolean {
  const ct = headers.get("content-type");
  if (!ct || !ct.startsWith("application/grpc")) return false;
  return ct.length === 16 || ct[16] === "+" || ct[16] === ";";
}
