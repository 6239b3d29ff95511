/**
 * The service registry as the analyzer sees it. An Isthmus mesh has no Kubernetes Services: the
 * known hosts are ServiceEntry hosts (short names qualified in the ServiceEntry's namespace), and the
 * endpoints of a host are the ServiceEntry's `endpoints` or the WorkloadEntries its
 * `workloadSelector` picks (Istio's analyzers look the same way through `InitServiceEntryHostMap`).
 */
import { hostMatches, hostsOverlap, isWildcard, resolveHost, selectorMatches } from "../hosts.js";
import type { Resource } from "../resource.js";
import type { ServiceEntrySpec, WorkloadEntrySpec } from "./specs.js";

export type ServiceEntryResource = Resource<ServiceEntrySpec>;

export class ServiceRegistry {
  /** Resolved host (wildcards as written) → entries defining it. */
  private readonly byHost = new Map<string, ServiceEntryResource[]>();
  /** Wildcard hosts, scanned for the hosts they cover (there are few). */
  private readonly wildcards: Array<{ host: string; entry: ServiceEntryResource }> = [];

  constructor(
    entries: readonly ServiceEntryResource[],
    private readonly workloadEntries: readonly Resource<WorkloadEntrySpec>[],
  ) {
    for (const se of entries) {
      for (const h of new Set((se.spec.hosts ?? []).map((x) => resolveHost(x, se.metadata.namespace)))) {
        if (isWildcard(h)) this.wildcards.push({ host: h, entry: se });
        const list = this.byHost.get(h) ?? [];
        list.push(se);
        this.byHost.set(h, list);
      }
    }
  }

  /**
   * The ServiceEntries a destination `host` written in `namespace` resolves to: those that define it
   * exactly; failing that, those whose wildcard host covers it. Only entries exported to `namespace`.
   */
  forDestination(host: string, namespace: string): ServiceEntryResource[] {
    const h = resolveHost(host, namespace);
    const exact = (this.byHost.get(h) ?? []).filter((se) => visibleFrom(se, namespace));
    if (exact.length) return exact;
    return unique(this.wildcards.filter((w) => hostMatches(w.host, h) && visibleFrom(w.entry, namespace)).map((w) => w.entry));
  }

  /**
   * The ServiceEntries a DestinationRule `host` written in `namespace` can apply to: a wildcard
   * DestinationRule host applies to every service it covers, so any overlap counts.
   */
  forDestinationRule(host: string, namespace: string): ServiceEntryResource[] {
    const h = resolveHost(host, namespace);
    const exact = this.forDestination(host, namespace);
    if (exact.length || !isWildcard(h)) return exact;
    const out: ServiceEntryResource[] = [];
    for (const [known, entries] of this.byHost) {
      if (hostsOverlap(known, h)) out.push(...entries.filter((se) => visibleFrom(se, namespace)));
    }
    return unique(out);
  }

  /**
   * Label sets of a ServiceEntry's endpoints. A ServiceEntry with neither endpoints nor a
   * workloadSelector still has one endpoint (its host, resolved by DNS or used as is), with no labels;
   * a STATIC one has none.
   */
  endpointLabels(se: ServiceEntryResource): Record<string, string>[] {
    const selector = se.spec.workloadSelector;
    if (selector) {
      return this.workloadEntries
        .filter((we) => we.metadata.namespace === se.metadata.namespace && selectorMatches(selector.labels, we.spec.labels ?? {}))
        .map((we) => we.spec.labels ?? {});
    }
    if (se.spec.endpoints?.length) return se.spec.endpoints.map((e) => e.labels ?? {});
    return se.spec.resolution === "STATIC" ? [] : [{}];
  }

}

function visibleFrom(se: ServiceEntryResource, namespace: string): boolean {
  return exportedTo(se.spec.exportTo, se.metadata.namespace, namespace);
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** Istio `exportTo`: empty or `*` is everywhere, `.` the resource's own namespace, `~` nowhere. */
export function exportedTo(exportTo: readonly string[] | undefined, ownNamespace: string, namespace: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some((e) => e === "*" || e === namespace || (e === "." && ownNamespace === namespace));
}
