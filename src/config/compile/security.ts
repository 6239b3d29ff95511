/**
 * The mesh's workloads and the security policies each enforcement point runs (DESIGN §2.1), compiled
 * once per config version.
 *
 * - **Workloads.** Every endpoint the mesh owns is a workload: a member (`binding:NAME`), a
 *   WorkloadEntry, or an inline endpoint of a `MESH_INTERNAL` ServiceEntry. Its namespace is the
 *   WorkloadEntry's (else the ServiceEntry's), its labels the endpoint's, its service account the
 *   endpoint's `serviceAccount` (else `default`). Endpoints of `MESH_EXTERNAL` ServiceEntries are
 *   outside the mesh and have none.
 * - **Policy sets.** What one Envoy (the ingress gateway, or a destination's sidecar) enforces:
 *   PeerAuthentication composed for the workload, the RequestAuthentication rules and the
 *   AuthorizationPolicies attached to it (root namespace or the workload's; selector ⊆ labels;
 *   `targetRefs` to its Gateway or to the service it was reached through). Identical sets are stored
 *   once, so a mesh of 1,000 endpoints under three policies holds a handful of sets; a request looks
 *   its set up by index and never scans policies.
 *
 * @example
 *   const security = securityCompiler(resources, mesh);
 *   const gatewaySet = security.policySet({ namespace: "istio-system", labels: { istio: "ingressgateway" } });
 *   snapshot.policySets = security.sets;
 */
import type { MeshOptions } from "../mesh-options.js";
import type { Resource } from "../resource.js";
import { compileAuthorization, type AuthzTable } from "./authorization.js";
import { composePeerAuthn, peerAuthnEntries, type MergedPeerAuthn } from "./peer-authentication.js";
import type { PolicyWorkload } from "./policy-attachment.js";
import { compileRequestAuthn, type JwtAuthnTable } from "./request-authentication.js";

/** A mesh workload: the identity and labels a destination stage enforces for. */
export interface Workload {
  /** WorkloadEntry name, else the member's Worker name (binding `BOOKINFO_REVIEWS_V1` → `bookinfo-reviews-v1`), else the ServiceEntry's name. */
  name: string;
  namespace: string;
  labels: Record<string, string>;
  serviceAccount: string;
  /** SPIFFE identity without the scheme: `<trust-domain>/ns/<ns>/sa/<sa>` (`destination.principal`). */
  principal: string;
}

/** What one enforcement point runs. */
export interface PolicySet {
  peerAuthn: MergedPeerAuthn;
  jwt: JwtAuthnTable;
  authz: AuthzTable;
}

export interface SecurityCompiler {
  /** The index in `sets` of the policies attached to `workload` (reached through `workload.service`). */
  policySet(workload: PolicyWorkload): number;
  readonly sets: PolicySet[];
}

export function securityCompiler(resources: readonly Resource[], mesh: Pick<MeshOptions, "gatewayLabels" | "gatewayNamespace">): SecurityCompiler {
  const peerPolicies = peerAuthnEntries(resources);
  const sets: PolicySet[] = [];
  const byContent = new Map<string, number>();
  const byWorkload = new Map<string, number>();
  return {
    sets,
    policySet(workload) {
      const key = workloadKey(workload);
      let index = byWorkload.get(key);
      if (index !== undefined) return index;
      const set: PolicySet = {
        peerAuthn: composePeerAuthn(peerPolicies, workload),
        jwt: compileRequestAuthn(resources, mesh, workload),
        authz: compileAuthorization(resources, mesh, workload),
      };
      const content = JSON.stringify(set);
      index = byContent.get(content);
      if (index === undefined) {
        index = sets.push(set) - 1;
        byContent.set(content, index);
      }
      byWorkload.set(key, index);
      return index;
    },
  };
}

function workloadKey(w: PolicyWorkload): string {
  const labels = Object.entries(w.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([w.namespace, labels, w.service ? [w.service.host, w.service.namespace, w.service.serviceEntry] : null]);
}

/** `binding:BOOKINFO_REVIEWS_V1` → `bookinfo-reviews-v1` (the member's Worker name by convention). */
export function bindingWorkloadName(binding: string): string {
  return binding.toLowerCase().replace(/_/g, "-");
}

export function spiffePrincipal(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
