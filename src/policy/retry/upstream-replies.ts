/**
 * The local replies the router sends when the upstream gave no usable response, with Envoy's bodies
 * and response flags (router.cc onUpstreamReset / onUpstreamTimeoutAbort, http/utility.cc
 * resetReasonToString), so Istio users see the texts they know:
 *
 * - connect failure: 503 `upstream connect error or disconnect/reset before headers. reset reason:
 *   remote connection failure` (`UF`); after a retry the text reads `... retried and the latest reset
 *   reason: ...` and the flags are `UF,URX` when the retry budget ran out;
 * - reset before headers: 503 `... reset reason: connection termination` (`UC`);
 * - circuit-breaker overflow: 503 `... reset reason: overflow` (`UO`);
 * - timeout (route `timeout` or a non-retried `perTryTimeout`): 504 `upstream request timeout` (`UT`);
 * - no endpoint to pick: 503 `no healthy upstream` (`UH`).
 */
import { localReply, type LocalReply, type ResponseFlag } from "../local-reply.js";

export type UpstreamResetReason = "remote connection failure" | "connection termination" | "remote refused stream reset" | "overflow";

const RESET_FLAG: Record<UpstreamResetReason, ResponseFlag> = {
  "remote connection failure": "UF",
  "connection termination": "UC",
  // Envoy logs UR (upstream remote reset), which Isthmus' flag set folds into UC.
  "remote refused stream reset": "UC",
  overflow: "UO",
};

/**
 * @param retried whether any retry was made (Envoy's `is_retry_`), which changes the text
 * @param transportFailure Envoy's `transport failure reason`, appended when known
 */
export function upstreamResetReply(reason: UpstreamResetReason, retried = false, transportFailure?: string, flag?: ResponseFlag): LocalReply {
  const body =
    "upstream connect error or disconnect/reset before headers. " +
    (retried ? "retried and the latest " : "") +
    `reset reason: ${reason}` +
    (transportFailure ? `, transport failure reason: ${transportFailure}` : "");
  return localReply(503, body, flag ?? RESET_FLAG[reason], `upstream_reset_before_response_started{${reason.replaceAll(" ", "_")}}`);
}

/** 504 `upstream request timeout` (`UT`). */
export function upstreamTimeoutReply(): LocalReply {
  return localReply(504, "upstream request timeout", "UT", "response_timeout");
}

/** 503 `upstream connect error ... reset reason: overflow` (`UO`): the concurrency limit refused the request. */
export function overflowReply(): LocalReply {
  return upstreamResetReply("overflow");
}

/** 503 `no healthy upstream` (`UH`): no endpoint, or every endpoint ejected without panic mode. */
export function noHealthyUpstreamReply(): LocalReply {
  return localReply(503, "no healthy upstream", "UH", "no_healthy_upstream");
}
