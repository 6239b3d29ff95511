/**
 * Envoy's fully jittered exponential back-off (JitteredBackOffStrategy) between retries: retry n waits a
 * uniform integer number of ms in [0, (2ⁿ − 1)·base), capped at the max interval (10 × base). Once the
 * ceiling passes the max it stops growing, and a draw above the max is clamped to it — so the wait is
 * always ≤ max, and equals max with the clamped draws' probability, as in Envoy.
 */
import type { RetryBackoff } from "../../config/compile/retry-policy.js";

/**
 * @param n the retry number, 1 for the first retry
 * @param policy a RetryPolicy or just its `backoff`
 * @param random uniform in [0, 1)
 *
 * @example backoffMs(1, policy, Math.random) // in [0, 25)
 * @example backoffMs(3, policy, Math.random) // in [0, 175)
 */
export function backoffMs(n: number, policy: RetryBackoff | { backoff: RetryBackoff }, random: () => number): number {
  const { baseMs, maxMs } = "backoff" in policy ? policy.backoff : policy;
  const ceiling = backoffCeilingMs(n, baseMs, maxMs);
  if (ceiling <= 0) return 0;
  return Math.min(Math.floor(random() * ceiling), maxMs);
}

/** The exclusive upper bound of retry n's draw before clamping: (2^k − 1)·base, k stops growing past max. */
export function backoffCeilingMs(n: number, baseMs: number, maxMs: number): number {
  let k = 1;
  while (k < n && (2 ** k - 1) * baseMs <= maxMs) k++;
  return (2 ** k - 1) * baseMs;
}
