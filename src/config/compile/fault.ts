/**
 * HTTPFaultInjection translated as Istio's TranslateFault configures Envoy's fault filter per route:
 * percentages per million (unset ⇒ 0 %; a delay honours the deprecated integer `percent` when
 * `percentage` is unset), delays in whole milliseconds, aborts as an HTTP or gRPC status. The
 * per-request half is src/policy/fault.ts.
 */
import { parseDuration } from "../duration.js";
import type { HTTPFaultInjection } from "../schemas/virtual-service.js";
import { percentToPerMillion } from "./fractional-percent.js";

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

