/**
 * The retry policy of a route, compiled the way Istio's `retry.ConvertPolicy` translates
 * `HTTPRoute.retries` into Envoy's `RetryPolicy` (pilot/pkg/networking/core/route/retry/retry.go):
 *
 * - no `retries` ⇒ Istio's default policy: 2 retries on
 *   `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes` with no status codes
 *   (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY is on by default, so upstream 503s are not retried);
 * - `attempts: 0` (or negative) ⇒ retries disabled: no policy at all;
 * - otherwise the default policy with the fields that are set replaced. Integer tokens in `retryOn` that
 *   are known HTTP status codes move to `retriableStatusCodes`, and `retriable-status-codes` is appended
 *   when missing. An empty `retryOn` keeps the default tokens.
 *
 * The result is plain data (it can be printed by explain / config_dump); `flags` is the same token set as
 * a bit mask so `shouldRetry` tests a token with one `&`.
 */
import { parseDuration } from "../duration.js";
import type { HTTPRetry } from "../schemas/virtual-service.js";

/** Envoy `x-envoy-retry-on` / `x-envoy-retry-grpc-on` policies, as bits. */
export const RETRY_ON = {
  "5xx": 1 << 0,
  "gateway-error": 1 << 1,
  reset: 1 << 2,
  "reset-before-request": 1 << 3,
  "connect-failure": 1 << 4,
  "retriable-4xx": 1 << 5,
  "refused-stream": 1 << 6,
  "retriable-status-codes": 1 << 7,
  "retriable-headers": 1 << 8,
  "envoy-ratelimited": 1 << 9,
  "http3-post-connect-failure": 1 << 10,
  cancelled: 1 << 11,
  "deadline-exceeded": 1 << 12,
  internal: 1 << 13,
  "resource-exhausted": 1 << 14,
  unavailable: 1 << 15,
} as const satisfies Record<string, number>;
export type RetryOnToken = keyof typeof RETRY_ON;

/** Istio's default `retryOn` (retry.go defaultPolicy). */
export const DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";
/** Istio's default number of retries. */
export const DEFAULT_RETRY_ATTEMPTS = 2;
/** Envoy's default back-off base interval (`upstream.base_retry_backoff_ms`). */
export const DEFAULT_BACKOFF_BASE_MS = 25;
/** Envoy caps the back-off at 10 × the base interval when no max is configured (Istio never sets one). */
export const BACKOFF_MAX_FACTOR = 10;
/** Istio's `host_selection_retry_max_attempts` with the previous-hosts predicate. */
export const HOST_SELECTION_RETRY_MAX_ATTEMPTS = 5;

export interface RetryBackoff {
  baseMs: number;
  maxMs: number;
}

export interface RetryPolicy {
  /** Number of retries: at most 1 + attempts requests are made. Always ≥ 1 (0 compiles to no policy). */
  attempts: number;
  /** The Envoy retry_on tokens, integers removed (unknown tokens are kept and, as in Envoy, ignored). */
  retryOn: string[];
  /** `retryOn` as a bit mask of {@link RETRY_ON}. */
  flags: number;
  /** Status codes for `retriable-status-codes` (the integers of `retryOn`). */
  retriableStatusCodes: number[];
  /** Per-attempt timeout; absent when unset or when not below the route timeout (Envoy ignores it then). */
  perTryTimeoutMs?: number;
  /** Fully jittered exponential back-off: 25 ms base (or `backoff`), max 10 × base. */
  backoff: RetryBackoff;
  /**
   * Retries prefer endpoints not tried before (Envoy previous_hosts predicate, up to 5 re-picks).
   * Default true; false under consistent hashing unless `retryIgnorePreviousHosts` says otherwise.
   */
  retryIgnorePreviousHosts: boolean;
  hostSelectionRetryMaxAttempts: number;
  /** `retryRemoteLocalities` (no localities at the edge: recorded for explain only). */
  retryRemoteLocalities: boolean;
}

export interface CompileRetryOptions {
  /** The destination uses `consistentHash` load balancing (drops the previous-hosts default). */
  consistentHash?: boolean;
}

/**
 * @param retries `HTTPRoute.retries` as written (validated)
 * @param routeTimeoutMs the route's whole-request `timeout` (absent or 0 = none)
 * @returns the policy, or undefined when retries are disabled (`attempts: 0`)
 *
 * @example compileRetryPolicy(undefined)                         // Istio default: 2 × connect-failure,refused-stream,...
 * @example compileRetryPolicy({ attempts: 3, retryOn: "5xx,409" }) // retryOn 5xx,retriable-status-codes, codes [409]
 */
export function compileRetryPolicy(retries?: HTTPRetry, routeTimeoutMs?: number, options: CompileRetryOptions = {}): RetryPolicy | undefined {
  const policy = defaultPolicy(options.consistentHash === true);
  if (retries !== undefined) {
    const attempts = retries.attempts ?? 0;
    if (attempts <= 0) return undefined;
    policy.attempts = attempts;
    if (retries.retryOn !== undefined && retries.retryOn !== "") {
      const { tokens, codes } = parseRetryOn(retries.retryOn);
      policy.retriableStatusCodes = codes;
      // Istio checks with strings.Contains on the joined string, so any token containing the text counts.
      if (codes.length > 0 && !tokens.join(",").includes("retriable-status-codes")) tokens.push("retriable-status-codes");
      policy.retryOn = tokens;
    }
    const perTry = retries.perTryTimeout !== undefined ? parseDuration(retries.perTryTimeout) : undefined;
    if (perTry !== undefined && perTry > 0) policy.perTryTimeoutMs = perTry;
    if (retries.retryIgnorePreviousHosts !== undefined) policy.retryIgnorePreviousHosts = retries.retryIgnorePreviousHosts;
    if (retries.retryRemoteLocalities === true) policy.retryRemoteLocalities = true;
    const base = retries.backoff !== undefined ? parseDuration(retries.backoff) : undefined;
    if (base !== undefined && base > 0) policy.backoff = { baseMs: base, maxMs: base * BACKOFF_MAX_FACTOR };
  }
  // Envoy (router finalTimeout): a per-try timeout not below the global timeout is dropped.
  if (policy.perTryTimeoutMs !== undefined && routeTimeoutMs !== undefined && routeTimeoutMs > 0 && policy.perTryTimeoutMs >= routeTimeoutMs) {
    delete policy.perTryTimeoutMs;
  }
  policy.flags = retryOnFlags(policy.retryOn);
  return policy;
}

function defaultPolicy(consistentHash: boolean): RetryPolicy {
  const retryOn = DEFAULT_RETRY_ON.split(",");
  return {
    attempts: DEFAULT_RETRY_ATTEMPTS,
    retryOn,
    flags: retryOnFlags(retryOn),
    retriableStatusCodes: [],
    backoff: { baseMs: DEFAULT_BACKOFF_BASE_MS, maxMs: DEFAULT_BACKOFF_BASE_MS * BACKOFF_MAX_FACTOR },
    retryIgnorePreviousHosts: !consistentHash,
    hostSelectionRetryMaxAttempts: HOST_SELECTION_RETRY_MAX_ATTEMPTS,
    retryRemoteLocalities: false,
  };
}

/** Istio's parseRetryOn: trimmed, empty parts skipped, known HTTP status codes split out. */
export function parseRetryOn(retryOn: string): { tokens: string[]; codes: number[] } {
  const tokens: string[] = [];
  const codes: number[] = [];
  for (const raw of retryOn.split(",")) {
    const part = raw.trim();
    if (part === "") continue;
    const code = goAtoi(part);
    if (code !== undefined && GO_STATUS_TEXT.has(code)) codes.push(code);
    else tokens.push(part);
  }
  return { tokens, codes };
}

export function retryOnFlags(tokens: readonly string[]): number {
  let flags = 0;
  for (const t of tokens) flags |= (RETRY_ON as Record<string, number>)[t] ?? 0;
  return flags;
}

/** Go's strconv.Atoi for the inputs that matter here: optional sign, decimal digits. */
function goAtoi(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Codes for which Go's http.StatusText is non-empty (what Istio accepts as a status code in retryOn). */
const GO_STATUS_TEXT: ReadonlySet<number> = new Set([
  100, 101, 102, 103,
  200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
  300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418,
  421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
  500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);
