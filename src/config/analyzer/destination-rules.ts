/**
 * DestinationRule checks against the service registry:
 * - IST0174 (Istio's destinationrule.SubsetSelectPodAnalyzer): the host matches no ServiceEntry
 *   host, so the rule applies to nothing;
 * - IST0173 (same analyzer): a subset whose labels select none of the host's endpoints (ServiceEntry
 *   `endpoints`, or the WorkloadEntries its `workloadSelector` picks) — traffic routed to it gets 503 UH;
 * - IST0128 / IST0129 (destinationrule.CaCertificateAnalyzer): TLS `SIMPLE`/`MUTUAL` towards the
 *   upstream without `caCertificates` (unless a `credentialName` on a workload-scoped rule carries them).
 */
import { selectorMatches } from "../hosts.js";
import type { Resource } from "../resource.js";
import { fullName, type AnalysisContext } from "./context.js";
import {
  destinationRuleSubsetNotSelectPods,
  noServerCertificateVerificationDestinationLevel,
  noServerCertificateVerificationPortLevel,
  unknownDestinationRuleHost,
} from "./messages.js";
import type { ClientTLSSettings, DestinationRuleSpec } from "./specs.js";

type DR = Resource<DestinationRuleSpec>;

export function analyzeDestinationRuleHosts(ctx: AnalysisContext): void {
  for (const dr of ctx.of<DestinationRuleSpec>("DestinationRule")) {
    const entries = ctx.services.forDestinationRule(dr.spec.host, dr.metadata.namespace);
    if (entries.length === 0) {
      ctx.report(dr, unknownDestinationRuleHost(dr.spec.host), "spec.host");
      continue;
    }
    const endpoints = entries.flatMap((se) => ctx.services.endpointLabels(se));
    (dr.spec.subsets ?? []).forEach((subset, i) => {
      if (!endpoints.some((labels) => selectorMatches(subset.labels, labels))) {
        ctx.report(dr, destinationRuleSubsetNotSelectPods(subset.name), `spec.subsets[${i}]`);
      }
    });
  }
}

export function analyzeDestinationRuleCaCertificates(ctx: AnalysisContext): void {
  for (const dr of ctx.of<DestinationRuleSpec>("DestinationRule")) {
    const policy = dr.spec.trafficPolicy;
    const mode = policy?.tls?.mode;
    if (unverified(dr, policy?.tls)) {
      ctx.report(dr, noServerCertificateVerificationDestinationLevel(fullName(dr), dr.metadata.namespace, mode!, dr.spec.host), "spec.trafficPolicy.tls");
    }
    (policy?.portLevelSettings ?? []).forEach((p, i) => {
      if (!unverified(dr, p.tls)) return;
      // Istio prints the PortSelector proto in text form.
      const port = `number:${p.port?.number ?? 0}`;
      ctx.report(dr, noServerCertificateVerificationPortLevel(fullName(dr), dr.metadata.namespace, p.tls!.mode!, dr.spec.host, port), `spec.trafficPolicy.portLevelSettings[${i}].tls`);
    });
  }
}

function unverified(dr: DR, tls: ClientTLSSettings | undefined): boolean {
  if (tls?.mode !== "SIMPLE" && tls?.mode !== "MUTUAL") return false;
  if (tls.caCertificates) return false;
  return !(tls.credentialName && dr.spec.workloadSelector);
}
