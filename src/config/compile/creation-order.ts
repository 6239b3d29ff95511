/**
 * Istio's order for configs of one kind: creation time ascending, ties by name, then namespace
 * (pilot sortConfigByCreationTime). Merged VirtualService routes, "first ServiceEntry / DestinationRule
 * wins" and delegate lookups all depend on it.
 */
import type { Resource } from "../resource.js";

function createdAt(r: Resource<unknown>): number {
  const t = r.metadata.creationTimestamp;
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : ms;
}

export function compareByCreation(a: Resource<unknown>, b: Resource<unknown>): number {
  const d = createdAt(a) - createdAt(b);
  if (d !== 0) return d;
  if (a.metadata.name !== b.metadata.name) return a.metadata.name < b.metadata.name ? -1 : 1;
  if (a.metadata.namespace !== b.metadata.namespace) return a.metadata.namespace < b.metadata.namespace ? -1 : 1;
  return 0;
}

/** A sorted copy. */
export function sortByCreation<T extends Resource<unknown>>(resources: readonly T[]): T[] {
  return [...resources].sort(compareByCreation);
}

/** `namespace/name`, the key delegates and gateways are referred to by. */
export function namespacedName(r: Resource<unknown>): string {
  return `${r.metadata.namespace}/${r.metadata.name}`;
}
