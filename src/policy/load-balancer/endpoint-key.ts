/**
 * A stable name for an endpoint, used wherever per-endpoint state outlives one snapshot: in-flight
 * counts (LEAST_REQUEST), ring-hash / Maglev positions and outlier-detection state. Envoy names hosts by
 * address, so two snapshots that list the same address share the state, whatever order they list it in.
 */
import type { Endpoint } from "../../config/snapshot.js";

/** `binding:<NAME>` for a member, `<address>:<port>` for a network origin. */
export function endpointKey(ep: Endpoint): string {
  return ep.kind === "binding" ? `binding:${ep.binding}` : `${ep.address}:${ep.port}`;
}

/** Endpoint weight as load balancers use it: unset or non-positive counts as 1 (Envoy's minimum). */
export function endpointWeight(ep: Endpoint): number {
  return ep.weight !== undefined && ep.weight > 0 ? ep.weight : 1;
}
