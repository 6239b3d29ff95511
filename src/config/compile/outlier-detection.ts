/**
 * DestinationRule `outlierDetection` compiled the way Istio's applyOutlierDetection configures Envoy
 * (pilot/pkg/networking/core/cluster_traffic_policy.go), with Envoy's defaults filled in:
 *
 * | field | compiled |
 * | --- | --- |
 * | `consecutive5xxErrors` | unset ⇒ 5 (Envoy default, enforced); `0` ⇒ off |
 * | `consecutiveGatewayErrors` | unset or `0` ⇒ off (Envoy enforces it only when Istio sets it) |
 * | `interval` | 10 s |
 * | `baseEjectionTime` | 30 s; an ejection lasts base × times ejected, at most max(300 s, base) |
 * | `maxEjectionPercent` | unset or `0` ⇒ 10 (Istio only passes positive values) |
 * | `minHealthPercent` | 0 (Istio sets Envoy's panic threshold to it; 0 = panic mode off) |
 *
 * `consecutiveErrors` (deprecated) is ignored, as current Istio does; success-rate ejection is always
 * off; `splitExternalLocalOriginErrors` has no meaning here (every failure is seen at the same layer).
 */
import { parseDuration } from "../duration.js";
import type { OutlierDetection } from "../schemas/destination-rule.js";

export interface OutlierConfig {
  /** 0 = off. */
  consecutive5xxErrors: number;
  /** 0 = off. */
  consecutiveGatewayErrors: number;
  intervalMs: number;
  baseEjectionTimeMs: number;
  /** Envoy's `max_ejection_time` (not exposed by Istio): 300 s, or the base when larger. */
  maxEjectionTimeMs: number;
  maxEjectionPercent: number;
  minHealthPercent: number;
}

export const OUTLIER_DEFAULTS = {
  consecutive5xxErrors: 5,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 10,
  minHealthPercent: 0,
} as const;

/** undefined when the cluster has no `outlierDetection` (then nothing is ever ejected). */
export function compileOutlierDetection(od: OutlierDetection | undefined): OutlierConfig | undefined {
  if (!od) return undefined;
  const ms = (d: string | undefined, fallback: number): number => {
    const v = d !== undefined ? parseDuration(d) : undefined;
    return v !== undefined && v > 0 ? v : fallback;
  };
  const baseEjectionTimeMs = ms(od.baseEjectionTime, OUTLIER_DEFAULTS.baseEjectionTimeMs);
  return {
    consecutive5xxErrors: od.consecutive5xxErrors ?? OUTLIER_DEFAULTS.consecutive5xxErrors,
    consecutiveGatewayErrors: od.consecutiveGatewayErrors ?? 0,
    intervalMs: ms(od.interval, OUTLIER_DEFAULTS.intervalMs),
    baseEjectionTimeMs,
    maxEjectionTimeMs: Math.max(OUTLIER_DEFAULTS.maxEjectionTimeMs, baseEjectionTimeMs),
    maxEjectionPercent: od.maxEjectionPercent !== undefined && od.maxEjectionPercent > 0 ? Math.min(100, od.maxEjectionPercent) : OUTLIER_DEFAULTS.maxEjectionPercent,
    minHealthPercent: od.minHealthPercent !== undefined && od.minHealthPercent >= 0 ? od.minHealthPercent : OUTLIER_DEFAULTS.minHealthPercent,
  };
}
