/**
 * Picks the destination of a forward route by relative weight (Envoy weighted_clusters as Istio
 * generates them): one destination always wins; with several, weight-0 ones were already dropped at
 * compile time and each remaining one gets weight / total.
 */
import type { ForwardAction, Route, WeightedDestination } from "../config/snapshot.js";

/**
 * @param random uniform in [0, 1) (Math.random in production, a seeded source in tests)
 * @returns undefined when the route does not forward or has no destination
 *
 * @example pickDestination(decision.route, Math.random)?.cluster  // "outbound|9080|v2|reviews.default.svc.cluster.local"
 */
export function pickDestination(route: Route | ForwardAction, random: () => number): WeightedDestination | undefined {
  const action = "kind" in route ? route : route.action;
  if (action.kind !== "forward") return undefined;
  const ds = action.destinations;
  if (ds.length <= 1 || action.totalWeight <= 0) return ds[0];
  let r = random() * action.totalWeight;
  for (const d of ds) {
    r -= d.weight;
    if (r < 0) return d;
  }
  return ds[ds.length - 1];
}
