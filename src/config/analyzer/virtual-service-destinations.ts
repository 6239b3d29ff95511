/**
 * VirtualService destinations (Istio's virtualservice.DestinationHostAnalyzer and
 * DestinationRuleAnalyzer): every route and mirror destination must name a known host (IST0101
 * `host` / `mirror host`), a port that host exposes (IST0101 `host:port`; IST0112 when it exposes
 * several and none is named) and, when it names a subset, one some DestinationRule for that host
 * defines (IST0101 `host+subset in destinationrule` / `mirror+subset in destinationrule`).
 */
import { hostMatches, resolveHost } from "../hosts.js";
import type { Resource } from "../resource.js";
import type { AnalysisContext } from "./context.js";
import { referencedResourceNotFound, virtualServiceDestinationPortSelectorRequired } from "./messages.js";
import type { Destination, DestinationRuleSpec, VirtualServiceSpec } from "./specs.js";

/** One destination of a VirtualService and where it is written. */
export interface AnnotatedDestination {
  destination: Destination;
  /** Path of `destination.host`, e.g. `spec.http[0].route[1].destination.host`. */
  path: string;
  mirror: boolean;
}

/** Every route and mirror destination of a VirtualService, in Istio's order (tcp, tls, http, then mirrors). */
export function destinationsOf(spec: VirtualServiceSpec): AnnotatedDestination[] {
  const out: AnnotatedDestination[] = [];
  for (const section of ["tcp", "tls", "http"] as const) {
    (spec[section] ?? []).forEach((rule, i) => {
      (rule.route ?? []).forEach((rd, j) => {
        out.push({ destination: rd.destination, path: `spec.${section}[${i}].route[${j}].destination.host`, mirror: false });
      });
    });
  }
  (spec.http ?? []).forEach((rule, i) => {
    if (rule.mirror) out.push({ destination: rule.mirror, path: `spec.http[${i}].mirror.host`, mirror: true });
    (rule.mirrors ?? []).forEach((m, j) => {
      out.push({ destination: m.destination, path: `spec.http[${i}].mirrors[${j}].destination.host`, mirror: true });
    });
  });
  return out;
}

export function analyzeVirtualServiceDestinations(ctx: AnalysisContext): void {
  const subsets = subsetIndex(ctx.of<DestinationRuleSpec>("DestinationRule"));
  for (const vs of ctx.of<VirtualServiceSpec>("VirtualService")) {
    for (const d of destinationsOf(vs.spec)) {
      checkHost(ctx, vs, d);
      checkSubset(ctx, vs, d, subsets);
    }
  }
}

function checkHost(ctx: AnalysisContext, vs: Resource<VirtualServiceSpec>, d: AnnotatedDestination): void {
  const { host, port } = d.destination;
  const entries = ctx.services.forDestination(host, vs.metadata.namespace);
  if (entries.length === 0) {
    ctx.report(vs, referencedResourceNotFound(d.mirror ? "mirror host" : "host", host), d.path);
    return;
  }
  const ports = [...new Set(entries.flatMap((se) => (se.spec.ports ?? []).map((p) => p.number)))];
  if (port?.number === undefined) {
    if (ports.length > 1) ctx.report(vs, virtualServiceDestinationPortSelectorRequired(host, ports), d.path);
    return;
  }
  if (ports.length && !ports.includes(port.number)) {
    ctx.report(vs, referencedResourceNotFound("host:port", `${host}:${port.number}`), d.path);
  }
}

function checkSubset(ctx: AnalysisContext, vs: Resource<VirtualServiceSpec>, d: AnnotatedDestination, subsets: SubsetIndex): void {
  const { host, subset } = d.destination;
  if (!subset) return;
  const h = resolveHost(host, vs.metadata.namespace);
  const defined = subsets.some((s) => s.subsets.has(subset) && hostMatches(s.host, h));
  if (!defined) {
    const reftype = d.mirror ? "mirror+subset in destinationrule" : "host+subset in destinationrule";
    ctx.report(vs, referencedResourceNotFound(reftype, `${host}+${subset}`), d.path);
  }
}

type SubsetIndex = Array<{ host: string; subsets: Set<string> }>;

/** Subset names per DestinationRule host (qualified in the rule's namespace; a wildcard host covers the hosts it matches). */
function subsetIndex(rules: readonly Resource<DestinationRuleSpec>[]): SubsetIndex {
  return rules.map((dr) => ({
    host: resolveHost(dr.spec.host, dr.metadata.namespace),
    subsets: new Set((dr.spec.subsets ?? []).map((s) => s.name)),
  }));
}
