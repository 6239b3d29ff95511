/**
 * RateLimitPolicy analysis (Isthmus's own kind, reported with Istio's codes so the same tooling reads
 * it): references that point nowhere are IST0101 ReferencedResourceNotFound; a policy that can never
 * see a request is IST0167 IneffectivePolicy (a Warning, as in Istio).
 *
 * - `targetRefs` Gateway / VirtualService that does not exist (IST0101 `gateway`, `virtualservice`),
 *   or whose `sectionName` names no server / http route (IST0101);
 * - a targeted Gateway whose selector does not select the gateway workload (IST0167);
 * - no `targetRefs` or `hosts` outside the gateway's and the root namespace (IST0167);
 * - a `hosts` entry no VirtualService host overlaps: such requests end in 404 before rate limits (IST0167);
 * - a `claim` key part without `default` when no RequestAuthentication applies to the gateway: the
 *   claim is never there, so the rule never applies (IST0167).
 */
import { hostsOverlap, resolveHost, selectorMatches } from "../hosts.js";
import { ROOT_NAMESPACE, type Resource } from "../resource.js";
import type { RateLimitPolicySpec } from "../schemas/rate-limit-policy.js";
import { fullName, selectorString, type AnalysisContext } from "./context.js";
import { referencedResourceNotFound, type Finding } from "./messages.js";
import type { GatewaySpec, RequestAuthenticationSpec, VirtualServiceSpec } from "./specs.js";

/** IST0167 (Istio's msg.IneffectivePolicy): `The policy has no impact: %s.` */
export function ineffectivePolicy(reason: string): Finding {
  return { code: "IST0167", type: "IneffectivePolicy", level: "Warning", message: `The policy has no impact: ${reason}.` };
}

export function analyzeRateLimitPolicies(ctx: AnalysisContext): void {
  const policies = ctx.of<RateLimitPolicySpec>("RateLimitPolicy");
  if (policies.length === 0) return;
  const vsHosts = ctx.of<VirtualServiceSpec>("VirtualService").flatMap((vs) => (vs.spec.hosts ?? []).map((h) => resolveHost(h, vs.metadata.namespace)));
  const authenticated = requestAuthenticationApplies(ctx);
  for (const p of policies) {
    checkTargetRefs(ctx, p);
    checkScope(ctx, p);
    (p.spec.hosts ?? []).forEach((h, i) => {
      const host = resolveHost(h, p.metadata.namespace);
      if (!vsHosts.some((v) => hostsOverlap(v, host)))
        ctx.report(p, ineffectivePolicy(`host ${JSON.stringify(h)} matches no VirtualService host, so no request for it reaches rate limiting`), `spec.hosts[${i}]`);
    });
    if (!authenticated) checkClaimKeys(ctx, p);
  }
}

function checkTargetRefs(ctx: AnalysisContext, p: Resource<RateLimitPolicySpec>): void {
  const ns = p.metadata.namespace;
  (p.spec.targetRefs ?? []).forEach((ref, i) => {
    const path = `spec.targetRefs[${i}]`;
    const target = `${ns}/${ref.name}`;
    if (ref.group === "gateway.networking.k8s.io") {
      const kind = ref.kind === "Gateway" ? "KubernetesGateway" : "HTTPRoute";
      const found = ctx.find<{ listeners?: { name: string }[] }>(kind, ns, ref.name);
      if (!found) ctx.report(p, referencedResourceNotFound(ref.kind.toLowerCase(), target), `${path}.name`);
      else if (ref.kind === "Gateway" && ref.sectionName !== undefined && !(found.spec.listeners ?? []).some((l) => l.name === ref.sectionName))
        ctx.report(p, referencedResourceNotFound(`listener in gateway ${target}`, ref.sectionName), `${path}.sectionName`);
      return;
    }
    if (ref.kind === "Gateway") {
      const gw = ctx.find<GatewaySpec>("Gateway", ns, ref.name);
      if (!gw) {
        ctx.report(p, referencedResourceNotFound("gateway", target), `${path}.name`);
        return;
      }
      if (ref.sectionName !== undefined && !(gw.spec.servers ?? []).some((s) => s.name === ref.sectionName))
        ctx.report(p, referencedResourceNotFound(`server in gateway ${target}`, ref.sectionName), `${path}.sectionName`);
      if (!selectorMatches(gw.spec.selector, ctx.gateway.labels))
        ctx.report(p, ineffectivePolicy(`gateway ${target} does not select the gateway workload (${selectorString(ctx.gateway.labels)})`), path);
    } else if (ref.kind === "VirtualService") {
      const vs = ctx.find<VirtualServiceSpec>("VirtualService", ns, ref.name);
      if (!vs) {
        ctx.report(p, referencedResourceNotFound("virtualservice", target), `${path}.name`);
        return;
      }
      if (ref.sectionName !== undefined && !(vs.spec.http ?? []).some((h) => h.name === ref.sectionName))
        ctx.report(p, referencedResourceNotFound(`http route in virtualservice ${fullName(vs)}`, ref.sectionName), `${path}.sectionName`);
    }
  });
}

function checkScope(ctx: AnalysisContext, p: Resource<RateLimitPolicySpec>): void {
  if ((p.spec.targetRefs?.length ?? 0) > 0 || (p.spec.hosts?.length ?? 0) > 0) return;
  const ns = p.metadata.namespace;
  if (ns === ctx.gateway.namespace || ns === ROOT_NAMESPACE) return;
  ctx.report(
    p,
    ineffectivePolicy(`it has no targetRefs or hosts, and only policies in the gateway's namespace (${ctx.gateway.namespace}) or the root namespace (${ROOT_NAMESPACE}) apply to every request`),
    "spec",
  );
}

function checkClaimKeys(ctx: AnalysisContext, p: Resource<RateLimitPolicySpec>): void {
  p.spec.rules.forEach((rule, i) => {
    (rule.key ?? []).forEach((part, j) => {
      if (!part.claim || part.claim.default !== undefined) return;
      ctx.report(
        p,
        ineffectivePolicy(`rule ${rule.name} keys on JWT claim ${JSON.stringify(part.claim.name)} but no RequestAuthentication applies to the gateway workload, so the rule never applies`),
        `spec.rules[${i}].key[${j}].claim.name`,
      );
    });
  });
}

/** Some RequestAuthentication in the root or the gateway's namespace selects the gateway workload (targetRefs count as selecting). */
function requestAuthenticationApplies(ctx: AnalysisContext): boolean {
  const w = ctx.gateway;
  return ctx
    .of<RequestAuthenticationSpec>("RequestAuthentication")
    .some(
      (ra) =>
        (ra.metadata.namespace === ROOT_NAMESPACE || ra.metadata.namespace === w.namespace) &&
        ((ra.spec.targetRefs?.length ?? 0) > 0 || ra.spec.targetRef !== undefined || selectorMatches(ra.spec.selector?.matchLabels, w.labels)),
    );
}
