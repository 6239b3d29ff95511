/**
 * ReferenceGrant: a reference from one namespace to an object in another (an HTTPRoute's backendRef, a
 * Gateway's certificateRef) is allowed only when a ReferenceGrant in the target's namespace lists the
 * referring kind and namespace in `from` and the target's kind (and name, when given) in `to`.
 */
import type { Resource } from "../../resource.js";
import type { ReferenceGrantSpec } from "../../schemas/gateway-api.js";

export interface ReferenceFrom { group: string; kind: string; namespace: string }
export interface ReferenceTo { group: string; kind: string; namespace: string; name: string }

export type ReferenceGrants = (from: ReferenceFrom, to: ReferenceTo) => boolean;

const coreGroup = (g: string | undefined) => (g === "core" ? "" : (g ?? ""));

export function referenceGrants(grants: readonly Resource<ReferenceGrantSpec>[]): ReferenceGrants {
  return (from, to) => {
    if (from.namespace === to.namespace) return true;
    return grants.some(
      (g) =>
        g.metadata.namespace === to.namespace &&
        g.spec.from.some((f) => coreGroup(f.group) === coreGroup(from.group) && f.kind === from.kind && f.namespace === from.namespace) &&
        g.spec.to.some((t) => coreGroup(t.group) === coreGroup(to.group) && t.kind === to.kind && (t.name === undefined || t.name === "" || t.name === to.name)),
    );
  };
}
