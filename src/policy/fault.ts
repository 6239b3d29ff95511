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
 * The translation is src/config/compile/fault.ts (once per config version); `compileFault` builds the
 * abort replies once per snapshot; `decide` only draws random numbers.
 */
import { translateFault, type FaultPolicy } from "../config/compile/fault.js";
import type { HTTPFaultInjection } from "../config/schemas/virtual-service.js";
import { localReply, type LocalReply } from "./local-reply.js";
import { fractionFires } from "./fractional-percent.js";

export { GRPC_STATUS_CODES, translateFault, type FaultPolicy } from "../config/compile/fault.js";

/** Envoy's local-reply body for an injected abort. */
export const FAULT_ABORT_BODY = "fault filter abort";

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

/** Builds the per-request half from the translated policy (or, for tests and tools, the Istio field). */
export function compileFault(fault: FaultPolicy | HTTPFaultInjection | undefined): CompiledFault | undefined {
  const policy = fault && isTranslated(fault) ? fault : translateFault(fault as HTTPFaultInjection | undefined);
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

function isTranslated(f: FaultPolicy | HTTPFaultInjection): f is FaultPolicy {
  return (f.delay !== undefined && "fixedDelayMs" in f.delay) || (f.abort !== undefined && "perMillion" in f.abort);
}

/** The highest status the Workers runtime lets a Response carry. */
const MAX_RESPONSE_STATUS = 599;

/** Both shapes of the abort reply, built once: replies are shared, callers must not mutate them. */
function abortReplies(abort: NonNullable<FaultPolicy["abort"]>): { http: LocalReply; grpc: LocalReply } {
  const status = abort.httpStatus ?? 200;
  const grpcCode = abort.grpcStatus ?? httpToGrpcStatus(status);
  return {
    // Istio admits 600 (validateHTTPStatus: 200..600) but a Workers Response can carry 200..599 only.
    http: localReply(Math.min(status, MAX_RESPONSE_STATUS), FAULT_ABORT_BODY, "FI", "fault_filter_abort"),
    grpc: localReply(200, "", "FI", "fault_filter_abort", {
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
