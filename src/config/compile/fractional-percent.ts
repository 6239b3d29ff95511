/**
 * Envoy's FractionalPercent as Istio fills it: a `Percent { value }` (0–100, a double) becomes a
 * numerator per million, truncated as Go's `uint32(value * 10000)` truncates (Istio
 * translatePercentToFractionalPercent); a deprecated integer percent becomes a numerator per hundred,
 * which is the same fraction. A request is selected when a uniform draw falls under the numerator
 * (Envoy featureEnabled: `random % denominator < numerator`).
 *
 * Fault injection and request mirroring share this one place.
 */

export const MILLION = 1_000_000;

/**
 * `Percent.value` → numerator per million. Unset and anything not above 0 are 0 (never); above 100
 * is the whole million (Envoy treats a numerator above the denominator as always).
 *
 * @example percentToPerMillion(0.5)  // 5000
 */
export function percentToPerMillion(value: number | undefined): number {
  if (value === undefined || !(value > 0)) return 0;
  return Math.min(MILLION, Math.trunc(value * 10000));
}
