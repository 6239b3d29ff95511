/**
 * Which registry endpoints are mesh workloads, and who they are (see security.ts): each endpoint of a
 * `MESH_INTERNAL` ServiceEntry gets the index of its workload (identity and labels, for the
 * destination stage and telemetry) and of the policy set enforced when a request reaches it through
 * that service. Workloads are deduplicated: a WorkloadEntry selected by two ServiceEntries is one
 * workload.
 */
import { BINDING_PREFIX } from "../schemas/networking-fields.js";
import type { RegistryEndpoint, RegistryService, ServiceRegistry } from "./service-registry.js";
import { bindingWorkloadName, spiffePrincipal, type SecurityCompiler, type Workload } from "./security.js";

/** A registry whose mesh endpoints carry their workload and policy set. */
export function assignWorkloads(registry: ServiceRegistry, security: SecurityCompiler, trustDomain: string): { registry: ServiceRegistry; workloads: Workload[] } {
  const workloads: Workload[] = [];
  const index = new Map<string, number>();
  const out: ServiceRegistry = new Map();
  for (const [host, service] of registry) {
    if (service.location !== "MESH_INTERNAL") {
      out.set(host, service);
      continue;
    }
    const endpoints = service.endpoints.map((e): RegistryEndpoint => {
      const w = workloadOf(e, service, trustDomain);
      const key = JSON.stringify([w.namespace, w.name, w.serviceAccount, Object.entries(w.labels).sort()]);
      let workload = index.get(key);
      if (workload === undefined) {
        workload = workloads.push(w) - 1;
        index.set(key, workload);
      }
      const policySet = security.policySet({
        namespace: w.namespace,
        labels: w.labels,
        service: { host: service.host, namespace: service.namespace, serviceEntry: service.name },
      });
      return { ...e, workload, policySet };
    });
    out.set(host, { ...service, endpoints });
  }
  return { registry: out, workloads };
}

function workloadOf(e: RegistryEndpoint, service: RegistryService, trustDomain: string): Workload {
  // `WorkloadEntry/<ns>/<name>`; a ServiceEntry selects WorkloadEntries of its own namespace.
  const entry = e.workloadEntry?.split("/");
  const namespace = entry?.[1] ?? service.namespace;
  const name = entry?.[2] ?? (e.address.startsWith(BINDING_PREFIX) ? bindingWorkloadName(e.address.slice(BINDING_PREFIX.length)) : service.name);
  const serviceAccount = e.serviceAccount || "default";
  return { name, namespace, labels: { ...e.labels }, serviceAccount, principal: spiffePrincipal(trustDomain, namespace, serviceAccount) };
}
