/**
 * Which security policies (AuthorizationPolicy, RequestAuthentication) apply to a workload, as
 * pilot's WorkloadPolicyMatcher.ShouldAttachPolicy decides for a gateway:
 *
 * - only policies in the root namespace (`istio-system`, mesh-wide) or the workload's namespace;
 * - a workload that is not a Gateway API gateway (no `gateway.networking.k8s.io/gateway-name`
 *   label) takes policies without `targetRef(s)` whose `selector` is absent or a subset of its labels;
 * - a Gateway API gateway also takes selector policies (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY,
 *   on by default), and policies in its own namespace whose `targetRefs` name its Gateway
 *   (`group: gateway.networking.k8s.io, kind: Gateway, name: <gateway-name label>`).
 */
import { selectorMatches } from "../../config/hosts.js";
import { ROOT_NAMESPACE } from "../../config/resource.js";
import type { Targeting } from "../../config/schemas/policy-target.js";

export interface PolicyWorkload {
  namespace: string;
  labels: Record<string, string>;
}

/** Label Istio puts on the deployment of a Gateway API Gateway: the Gateway's name. */
export const GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";
const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

export function policyAttaches(spec: Targeting, policyNamespace: string, workload: PolicyWorkload): boolean {
  if (policyNamespace !== ROOT_NAMESPACE && policyNamespace !== workload.namespace) return false;
  const gatewayName = workload.labels[GATEWAY_NAME_LABEL];
  const refs = spec.targetRefs?.length ? spec.targetRefs : spec.targetRef ? [spec.targetRef] : [];
  if (refs.length === 0) return selectorMatches(spec.selector?.matchLabels, workload.labels);
  if (gatewayName === undefined || policyNamespace !== workload.namespace) return false;
  return refs.some(
    (ref) =>
      ref.group === GATEWAY_API_GROUP &&
      ref.kind === "Gateway" &&
      ref.name === gatewayName &&
      (ref.namespace === undefined || ref.namespace === "" || ref.namespace === workload.namespace),
  );
}
