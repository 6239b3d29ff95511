/**
 * The service registry the gateway routes to: ServiceEntry hosts with their ports and endpoints
 * (inline `endpoints`, or WorkloadEntries picked by `workloadSelector`). Hosts are canonical FQDNs —
 * a ServiceEntry host `reviews` in namespace `default` is `reviews.default.svc.cluster.local` — so a
 * VirtualService or DestinationRule naming the host in either form finds it.
 */
import { resolveHost, selectorMatches } from "../hosts.js";
import type { Resource } from "../resource.js";
import type { ServiceEntrySpec, ServicePort, WorkloadEntrySpec } from "../schemas/service-entry.js";
import { sortByCreation } from "./creation-order.js";

export interface RegistryService {
  /** Canonical, lower-case host (FQDN or `*.suffix`). */
  host: string;
  namespace: string;
  /** The ServiceEntry's name. */
  name: string;
  ports: ServicePort[];
  resolution: string;
  location: string;
  endpoints: RegistryEndpoint[];
}

export interface RegistryEndpoint {
  /** IP, DNS name, or `binding:NAME`. */
  address: string;
  /** Port by service port name. */
  ports?: Record<string, number>;
  labels: Record<string, string>;
  weight?: number;
  locality?: string;
  network?: string;
  serviceAccount?: string;
  /** `WorkloadEntry/<ns>/<name>` when selected through `workloadSelector`. */
  workloadEntry?: string;
  /** Mesh endpoints (MESH_INTERNAL): index of the workload and of its policy set (workloads.ts). */
  workload?: number;
  policySet?: number;
}

export type ServiceRegistry = Map<string, RegistryService>;

/**
 * Builds the registry. When two ServiceEntries declare the same host, the older one wins (creation
 * order), so a later apply cannot silently hijack a host.
 */
export function buildServiceRegistry(
  serviceEntries: readonly Resource<ServiceEntrySpec>[],
  workloadEntries: readonly Resource<WorkloadEntrySpec>[],
): ServiceRegistry {
  const registry: ServiceRegistry = new Map();
  const weByNamespace = new Map<string, Resource<WorkloadEntrySpec>[]>();
  for (const we of sortByCreation(workloadEntries)) {
    const list = weByNamespace.get(we.metadata.namespace) ?? [];
    list.push(we);
    weByNamespace.set(we.metadata.namespace, list);
  }

  for (const se of sortByCreation(serviceEntries)) {
    const spec = se.spec;
    const ns = se.metadata.namespace;
    const resolution = spec.resolution ?? "NONE";
    const selected = spec.workloadSelector
      ? (weByNamespace.get(ns) ?? [])
          .filter((we) => selectorMatches(spec.workloadSelector?.labels, workloadLabels(we)))
          .map(workloadEntryEndpoint)
      : (spec.endpoints ?? []).map((e) => inlineEndpoint(e));
    for (const rawHost of spec.hosts ?? []) {
      const host = resolveHost(rawHost, ns);
      if (registry.has(host)) continue;
      let endpoints = selected;
      // DNS / NONE entries without endpoints reach the host itself (Istio uses the host name as the
      // DNS endpoint; for NONE the original destination is the host the caller asked for).
      if (endpoints.length === 0 && !spec.workloadSelector && resolution !== "STATIC" && !host.startsWith("*")) {
        endpoints = [{ address: host, labels: {} }];
      }
      registry.set(host, {
        host,
        namespace: ns,
        name: se.metadata.name,
        ports: spec.ports ?? [],
        resolution,
        location: spec.location ?? "MESH_EXTERNAL",
        endpoints,
      });
    }
  }
  return registry;
}

function workloadLabels(we: Resource<WorkloadEntrySpec>): Record<string, string> {
  return { ...(we.metadata.labels ?? {}), ...(we.spec.labels ?? {}) };
}

function inlineEndpoint(e: WorkloadEntrySpec, labels: Record<string, string> = e.labels ?? {}): RegistryEndpoint {
  const out: RegistryEndpoint = { address: e.address ?? "", labels };
  if (e.ports) out.ports = e.ports;
  if (e.weight !== undefined) out.weight = e.weight;
  if (e.locality) out.locality = e.locality;
  if (e.network) out.network = e.network;
  if (e.serviceAccount) out.serviceAccount = e.serviceAccount;
  return out;
}

function workloadEntryEndpoint(we: Resource<WorkloadEntrySpec>): RegistryEndpoint {
  const out = inlineEndpoint(we.spec, workloadLabels(we));
  out.workloadEntry = `WorkloadEntry/${we.metadata.namespace}/${we.metadata.name}`;
  return out;
}
