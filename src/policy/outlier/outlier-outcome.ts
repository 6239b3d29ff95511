/** How outlier detection counts one upstream attempt (Envoy's non-split mode). */
import type { UpstreamOutcome } from "../retry/should-retry.js";

/** What one upstream attempt means to outlier detection. */
export type OutlierOutcome = "5xx" | "gateway-error" | "success";

/**
 * Envoy's mapping (non-split mode): a response's status counts as is — 502/503/504 are gateway errors
 * (and 5xx), other 5xx are 5xx, anything else is a success; a connect failure or reset counts as a 503
 * and a timeout as a 504. An overflow is not the endpoint's fault and is not counted (undefined).
 */
export function outlierOutcomeOf(outcome: UpstreamOutcome | number): OutlierOutcome | undefined {
  if (typeof outcome === "number") return statusOutcome(outcome);
  switch (outcome.kind) {
    case "response":
      return statusOutcome(outcome.status);
    case "connect-failure":
    case "reset":
    case "per-try-timeout":
    case "timeout":
      return "gateway-error";
    case "overflow":
    case "local-reply":
      return undefined;
  }
}

function statusOutcome(status: number): OutlierOutcome {
  if (status >= 502 && status <= 504) return "gateway-error";
  if (status >= 500 && status <= 599) return "5xx";
  return "success";
}
