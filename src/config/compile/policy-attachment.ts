/**
 * Which security policies (AuthorizationPolicy, RequestAuthentication) apply to a workload, as
 * pilot's WorkloadPolicyMatcher.ShouldAttachPolicy decides for a gateway:
 *
 * - only policies in the root namespace (`istio-system`, mesh-wide) or the workload's namespace;
 * - a workload that is not a Gateway API gateway (no `gateway.networking.k8s.io/gateway-name`
 *   label) takes policies without `targetRef(s)` whose `selector` is absent or a subset of its labels;
 * - a Gateway API gateway also takes selector policies (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY,
 *   on by default), and policies in its own namespace whose `targetRefs` name its Gateway
 *   (`group: gateway.networking.k8s.io, kind: Gateway, name: <gateway-name label>`);
 * - a destination workload reached through a service (the destination stage) also takes policies in
 *   the service's namespace whose `targetRefs` name that service: `kind: Service` by its short name
 *   (`reviews` for `reviews.<ns>.svc.cluster.local`) or `kind: ServiceEntry` by the ServiceEntry's
 *   name — the attachment Istio gives a waypoint, which is the role Isthmus plays for the service.
 */
import { selectorMatches } from "../hosts.js";
import { ROOT_NAMESPACE } from "../resource.js";
import type { Targeting } from "../schemas/policy-target.js";

export interface PolicyWorkload {
  namespace: string;
  labels: Record<string, string>;
  /** The service the request was routed to, when enforcing for a destination. */
  service?: PolicyService;
}

/** A registry service as `targetRefs` name it. */
export interface PolicyService {
  /** Canonical host (`reviews.default.svc.cluster.local`). */
  host: string;
  /** The ServiceEntry's namespace and name. */
  namespace: string;
  serviceEntry: string;
}

/** Label Istio puts on the deployment of a Gateway API Gateway: the Gateway's name. */
export const GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";
const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

export function policyAttaches(spec: Targeting, policyNamespace: string, workload: PolicyWorkload): boolean {
  if (policyNamespace !== ROOT_NAMESPACE && policyNamespace !== workload.namespace) return false;
  const gatewayName = workload.labels[GATEWAY_NAME_LABEL];
  const refs = spec.targetRefs?.length ? spec.targetRefs : spec.targetRef ? [spec.targetRef] : [];
  if (refs.length === 0) return selectorMatches(spec.selector?.matchLabels, workload.labels);
  const service = workload.service;
  if (service && policyNamespace === service.namespace && refs.some((ref) => namesService(ref, service))) return true;
  if (gatewayName === undefined || policyNamespace !== workload.namespace) return false;
  return refs.some(
    (ref) =>
      ref.group === GATEWAY_API_GROUP &&
      ref.kind === "Gateway" &&
      ref.name === gatewayName &&
      (ref.namespace === undefined || ref.namespace === "" || ref.namespace === workload.namespace),
  );
}

function namesService(ref: { group?: string; kind: string; name: string; namespace?: string }, service: PolicyService): boolean {
  if (ref.namespace && ref.namespace !== service.namespace) return false;
  if (ref.kind === "Service" && (ref.group ?? "") in CORE_GROUPS) return service.host === `${ref.name}.${service.namespace}.svc.cluster.local`;
  if (ref.kind === "ServiceEntry" && ref.group === "networking.istio.io") return ref.name === service.serviceEntry;
  return false;
}

const CORE_GROUPS: Record<string, true> = { "": true, core: true };
