/**
 * The router's attempt loop (Envoy router + RetryStateImpl), independent of how a request is sent:
 *
 * - the route `timeout` bounds everything — attempts and back-off sleeps; when it fires the in-flight
 *   attempt is aborted and the client gets 504 `upstream request timeout` (`UT`);
 * - `perTryTimeout` aborts one attempt (through its AbortSignal); that attempt is retried when the
 *   policy retries resets (`5xx`, `gateway-error`, `reset`), otherwise the request ends with 504 `UT`;
 * - between attempts a fully jittered exponential back-off is slept;
 * - an outcome the policy does not retry, or the last allowed attempt, ends the loop: an upstream
 *   response is returned as it is (with `URX` logged when retries ran out), a failure becomes Envoy's
 *   local reply (503 `UF`/`UC`/`UO`, with `URX` when retries ran out);
 * - overflow is never retried.
 *
 * Request bodies are the caller's: `makeRequest` must be able to replay the body for each attempt (or
 * refuse to be retried by returning a non-retriable outcome). Responses of attempts that are retried or
 * abandoned have their bodies cancelled.
 */
import type { LocalReply, ResponseFlag } from "../local-reply.js";
import { backoffMs } from "./backoff.js";
import type { RetryPolicy } from "../../config/compile/retry-policy.js";
import { shouldRetry, type UpstreamOutcome } from "./should-retry.js";
import { upstreamResetReply, upstreamTimeoutReply } from "./upstream-replies.js";

/** A failed attempt as `makeRequest` reports it (a Response is the success case). */
export type AttemptFailure = Extract<UpstreamOutcome, { kind: "connect-failure" | "reset" | "overflow" | "local-reply" }>;
export type AttemptResult = Response | AttemptFailure;

export interface AttemptContext {
  /** 1 for the first request, 2 for the first retry, ... */
  attempt: number;
  /** Aborted when this attempt's per-try timeout or the route timeout fires. */
  signal: AbortSignal;
}

export interface RetryDeps {
  now(): number;
  /** Resolves after `ms`; may resolve early once `signal` aborts (used to cancel timers). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1), for the back-off jitter. */
  random(): number;
  /** How an exception thrown by `makeRequest` counts; default: a connect failure (nothing came back). */
  classifyError?(error: unknown): AttemptFailure;
}

export type RetryResult =
  | { kind: "response"; response: Response; attempts: number; flags: ResponseFlag[]; outcomes: UpstreamOutcome[] }
  | { kind: "local"; reply: LocalReply; attempts: number; flags: ResponseFlag[]; outcomes: UpstreamOutcome[] };

const TIMER: unique symbol = Symbol("timer");
/** The signal of an attempt that no timer can abort. */
const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/**
 * @param makeRequest sends one attempt (pick an endpoint, replay the body, fetch) honouring `signal`
 * @param policy the compiled retry policy; undefined = a single attempt
 * @param totalTimeoutMs the route `timeout` (absent or 0 = none)
 * @returns the final response or local reply, how many attempts were made, the response flags for the
 *   access log (`UF`, `URX`, `UT`, ...) and each attempt's outcome in order (for outlier detection)
 *
 * @example
 *   const r = await runWithRetries(({ signal }) => fetch(url, { signal }), policy, systemRetryDeps(), route.timeoutMs);
 *   return r.kind === "response" ? r.response : toResponse(r.reply);
 */
export async function runWithRetries(
  makeRequest: (ctx: AttemptContext) => Promise<AttemptResult>,
  policy: RetryPolicy | undefined,
  deps: RetryDeps,
  totalTimeoutMs?: number,
): Promise<RetryResult> {
  const deadline = totalTimeoutMs !== undefined && totalTimeoutMs > 0 ? deps.now() + totalTimeoutMs : Infinity;
  const maxRequests = 1 + (policy?.attempts ?? 0);
  const outcomes: UpstreamOutcome[] = [];
  const timedOut = (attempts: number, extra: ResponseFlag[] = []): RetryResult => ({
    kind: "local", reply: upstreamTimeoutReply(), attempts, flags: ["UT", ...extra], outcomes,
  });

  for (let attempt = 1; ; attempt++) {
    const remaining = deadline - deps.now();
    if (remaining <= 0) return timedOut(attempt - 1);
    const perTry = policy?.perTryTimeoutMs;
    const perTryFirst = perTry !== undefined && perTry < remaining;
    const limit = perTryFirst ? perTry : remaining;

    // A controller only where a timer can abort the attempt (an untimed attempt costs no signal).
    const controller = Number.isFinite(limit) ? new AbortController() : undefined;
    const pending = settle(makeRequest({ attempt, signal: controller?.signal ?? NEVER_ABORTED }), deps);
    let raced: AttemptResult | typeof TIMER;
    if (controller) {
      const stopTimer = new AbortController();
      raced = await Promise.race([pending, deps.sleep(limit, stopTimer.signal).then((): typeof TIMER => TIMER)]);
      stopTimer.abort();
    } else {
      raced = await pending;
    }

    let outcome: UpstreamOutcome;
    if (raced === TIMER) {
      controller!.abort(new DOMException(perTryFirst ? "per-try timeout" : "upstream request timeout", "TimeoutError"));
      void pending.then(discard);
      if (!perTryFirst) {
        outcomes.push({ kind: "timeout" });
        return timedOut(attempt);
      }
      outcome = { kind: "per-try-timeout" };
    } else {
      outcome = raced instanceof Response ? { kind: "response", status: raced.status, headers: raced.headers } : raced;
    }
    outcomes.push(outcome);

    const retriable = policy !== undefined && shouldRetry(policy, outcome);
    const exhausted = retriable && attempt >= maxRequests;
    if (!retriable || exhausted) return finish(raced, outcome, attempt, exhausted ? ["URX"] : [], outcomes);

    discard(raced);
    const wait = backoffMs(attempt, policy, deps.random);
    const left = deadline - deps.now();
    if (wait >= left) {
      // The route timeout fires during the back-off.
      if (left > 0) await deps.sleep(left);
      return timedOut(attempt);
    }
    if (wait > 0) await deps.sleep(wait);
  }
}

function finish(
  raced: AttemptResult | typeof TIMER,
  outcome: UpstreamOutcome,
  attempts: number,
  extra: ResponseFlag[],
  outcomes: UpstreamOutcome[],
): RetryResult {
  const retried = attempts > 1;
  const local = (reply: LocalReply): RetryResult => ({ kind: "local", reply, attempts, flags: [reply.flag, ...extra], outcomes });
  switch (outcome.kind) {
    case "response":
      return { kind: "response", response: raced as Response, attempts, flags: extra, outcomes };
    case "connect-failure":
      return local(upstreamResetReply("remote connection failure", retried, outcome.detail));
    case "reset":
      return local(upstreamResetReply(outcome.refusedStream ? "remote refused stream reset" : "connection termination", retried, outcome.detail));
    case "overflow":
      return local(upstreamResetReply("overflow", retried));
    case "local-reply":
      return local(outcome.reply);
    case "per-try-timeout":
    case "timeout":
      return local(upstreamTimeoutReply());
  }
}

/** Never rejects: an exception becomes a failure outcome. */
function settle(p: Promise<AttemptResult>, deps: RetryDeps): Promise<AttemptResult> {
  return p.then(undefined, (e: unknown) => deps.classifyError?.(e) ?? { kind: "connect-failure" });
}

/** Frees a response we will not use (a retried or timed-out attempt). */
function discard(r: AttemptResult | typeof TIMER): void {
  if (r instanceof Response && r.body && !r.bodyUsed) r.body.cancel().catch(() => undefined);
}

/** Real clock and timers (Workers: `Date.now`, `setTimeout`, `Math.random`). */
export function systemRetryDeps(overrides: Partial<RetryDeps> = {}): RetryDeps {
  return {
    now: () => Date.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
      }),
    random: Math.random,
    ...overrides,
  };
}
