/**
 * Whether one attempt's outcome is retried under a policy: Envoy's RetryStateImpl
 * (`wouldRetryFromHeaders` / `wouldRetryFromReset`) with the token meanings of the router docs.
 * The retry budget (attempts left, total timeout) is `runWithRetries`' business, not this function's.
 */
import { RETRY_ON, type RetryPolicy } from "../../config/compile/retry-policy.js";
import type { LocalReply } from "../local-reply.js";

/** What came back from one upstream attempt. */
export type UpstreamOutcome =
  | { kind: "response"; status: number; headers: Headers }
  /** No connection could be made (refused, unreachable, connect timeout): no request bytes were sent. */
  | { kind: "connect-failure"; detail?: string }
  /**
   * The stream was reset before response headers (disconnect, termination). `refusedStream`: an HTTP/2
   * REFUSED_STREAM; `beforeRequest`: nothing of the request had been sent yet.
   */
  | { kind: "reset"; refusedStream?: boolean; beforeRequest?: boolean; detail?: string }
  /** The attempt hit `perTryTimeout` (Envoy resets the stream locally). */
  | { kind: "per-try-timeout" }
  /** The concurrency limit (`connectionPool`) refused the attempt. */
  | { kind: "overflow" }
  /** The route's whole-request `timeout` expired during this attempt (never retried: the budget is spent). */
  | { kind: "timeout" }
  /**
   * The destination's own policies answered for it (the destination stage: its sidecar's 401/403):
   * never retried, and not the endpoint's failure.
   */
  | { kind: "local-reply"; reply: LocalReply };

const GRPC_TOKENS: ReadonlyArray<readonly [grpcStatus: number, flag: number]> = [
  [1, RETRY_ON.cancelled],
  [4, RETRY_ON["deadline-exceeded"]],
  [8, RETRY_ON["resource-exhausted"]],
  [13, RETRY_ON.internal],
  [14, RETRY_ON.unavailable],
];
const GRPC_FLAGS = GRPC_TOKENS.reduce((m, [, f]) => m | f, 0);

/** Outcomes that are resets from Envoy's point of view: retried by `reset`, `5xx` and `gateway-error`. */
const ANY_RESET = RETRY_ON.reset | RETRY_ON["5xx"] | RETRY_ON["gateway-error"];

/**
 * @example shouldRetry(compileRetryPolicy(undefined)!, { kind: "connect-failure" })            // true
 * @example shouldRetry(compileRetryPolicy(undefined)!, { kind: "response", status: 503, headers }) // false
 */
export function shouldRetry(policy: RetryPolicy, outcome: UpstreamOutcome): boolean {
  const f = policy.flags;
  switch (outcome.kind) {
    case "timeout":
      return false;
    case "overflow":
      // Circuit-breaker overflow is cluster-wide: retrying would only add load (never retried).
      return false;
    case "local-reply":
      return false;
    case "connect-failure":
      // A connect failure is a reset that happened before any request byte was sent.
      return (f & (ANY_RESET | RETRY_ON["connect-failure"] | RETRY_ON["reset-before-request"])) !== 0;
    case "reset":
      if ((f & ANY_RESET) !== 0) return true;
      if ((f & RETRY_ON["reset-before-request"]) !== 0 && outcome.beforeRequest === true) return true;
      return (f & RETRY_ON["refused-stream"]) !== 0 && outcome.refusedStream === true;
    case "per-try-timeout":
      // Envoy resets the attempt (LocalReset, after the request started) and asks wouldRetryFromReset:
      // `5xx`, `gateway-error` and `reset` retry it; `reset-before-request` does not (request started).
      return (f & ANY_RESET) !== 0;
    case "response":
      return wouldRetryResponse(policy, outcome.status, outcome.headers);
  }
}

function wouldRetryResponse(policy: RetryPolicy, status: number, headers: Headers): boolean {
  const f = policy.flags;
  // A response carrying x-envoy-ratelimited comes from a rate-limiting Envoy: only `envoy-ratelimited`
  // retries it, whatever its status.
  if (headers.has("x-envoy-ratelimited")) return (f & RETRY_ON["envoy-ratelimited"]) !== 0;
  if ((f & RETRY_ON["5xx"]) !== 0 && status >= 500 && status <= 599) return true;
  if ((f & RETRY_ON["gateway-error"]) !== 0 && status >= 502 && status <= 504) return true;
  if ((f & RETRY_ON["retriable-4xx"]) !== 0 && status === 409) return true;
  if ((f & RETRY_ON["retriable-status-codes"]) !== 0 && policy.retriableStatusCodes.includes(status)) return true;
  // `retriable-headers` needs header matchers, which Istio's HTTPRetry cannot express: never matches.
  if ((f & GRPC_FLAGS) !== 0) {
    const grpc = grpcStatus(headers);
    if (grpc !== undefined) for (const [code, flag] of GRPC_TOKENS) if (grpc === code && (f & flag) !== 0) return true;
  }
  return false;
}

/** `grpc-status` from the response headers only (trailers are never consulted, as in Envoy). */
function grpcStatus(headers: Headers): number | undefined {
  const v = headers.get("grpc-status");
  if (v === null || !/^[0-9]{1,10}$/.test(v)) return undefined;
  return Number(v);
}
