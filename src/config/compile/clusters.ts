/**
 * Clusters, as Istio's CDS builds them for a gateway: one per ServiceEntry host and port
 * (`outbound|<port>||<host>`), plus one per DestinationRule subset (`outbound|<port>|<subset>|<host>`)
 * with the endpoints whose labels the subset selects. A route to a host or subset with no cluster
 * still compiles; the gateway answers 503 `NC` for it, and a cluster without endpoints gets 503 `UH`.
 */
import { selectorMatches } from "../hosts.js";
import type { Resource } from "../resource.js";
import type { DestinationRuleSpec } from "../schemas/destination-rule.js";
import type { ServicePort } from "../schemas/service-entry.js";
import { BINDING_PREFIX } from "../schemas/networking-fields.js";
import type { Cluster, Endpoint, EndpointCommon } from "../snapshot.js";
import type { DestinationRuleIndex } from "./destination-rules.js";
import type { RegistryEndpoint, RegistryService, ServiceRegistry } from "./service-registry.js";
import { compileConcurrencyLimit } from "./connection-pool.js";
import { compileLoadBalancer } from "./load-balancer.js";
import { compileOutlierDetection } from "./outlier-detection.js";
import { mergeTrafficPolicy } from "./traffic-policy.js";

/** Envoy's subset key: `outbound|<port>|<subset>|<host>`. */
export function clusterName(host: string, port: number, subset?: string): string {
  return `outbound|${port}|${subset ?? ""}|${host}`;
}

export function buildClusters(registry: ServiceRegistry, rules: DestinationRuleIndex): Record<string, Cluster> {
  const clusters: Record<string, Cluster> = {};
  for (const service of registry.values()) {
    const rule = rules.forHost(service.host);
    for (const port of service.ports) {
      add(clusters, buildCluster(service, port, rule, undefined));
      for (const subset of rule?.spec.subsets ?? []) add(clusters, buildCluster(service, port, rule, subset.name));
    }
  }
  return clusters;
}

function add(clusters: Record<string, Cluster>, c: Cluster): void {
  if (!(c.name in clusters)) clusters[c.name] = c;
}

function buildCluster(
  service: RegistryService,
  port: ServicePort,
  rule: Resource<DestinationRuleSpec> | undefined,
  subsetName: string | undefined,
): Cluster {
  const subset = subsetName === undefined ? undefined : rule?.spec.subsets?.find((s) => s.name === subsetName);
  const policy = mergeTrafficPolicy(rule?.spec.trafficPolicy, subset?.trafficPolicy, port.number);
  const selected = subset ? service.endpoints.filter((e) => selectorMatches(subset.labels, e.labels)) : service.endpoints;
  const cluster: Cluster = {
    name: clusterName(service.host, port.number, subsetName),
    host: service.host,
    port: port.number,
    protocol: clusterProtocol(port, policy?.tls?.mode),
    serviceEntry: { namespace: service.namespace, name: service.name, resolution: service.resolution, location: service.location },
    endpoints: selected.map((e) => toEndpoint(e, port)),
    loadBalancer: compileLoadBalancer(policy?.loadBalancer),
  };
  if (subsetName !== undefined) cluster.subset = subsetName;
  if (rule) cluster.destinationRule = { namespace: rule.metadata.namespace, name: rule.metadata.name };
  if (policy) cluster.trafficPolicy = policy;
  const outlier = compileOutlierDetection(policy?.outlierDetection);
  if (outlier) cluster.outlierDetection = outlier;
  const maxConcurrent = compileConcurrencyLimit(policy?.connectionPool);
  if (maxConcurrent !== undefined) cluster.maxConcurrentRequests = maxConcurrent;
  if (policy?.tls) cluster.tls = policy.tls;
  return cluster;
}

/** `https` when the ServiceEntry port speaks TLS or the DestinationRule originates it. */
function clusterProtocol(port: ServicePort, tlsMode: string | undefined): "http" | "https" {
  const p = (port.protocol ?? "").toUpperCase();
  if (p === "HTTPS" || p === "TLS") return "https";
  if (tlsMode === "SIMPLE" || tlsMode === "MUTUAL") return "https";
  return "http";
}

function toEndpoint(e: RegistryEndpoint, port: ServicePort): Endpoint {
  const extra: EndpointCommon = {};
  if (Object.keys(e.labels).length > 0) extra.labels = e.labels;
  if (e.weight !== undefined) extra.weight = e.weight;
  if (e.locality) extra.locality = e.locality;
  if (e.network) extra.network = e.network;
  if (e.serviceAccount) extra.serviceAccount = e.serviceAccount;
  if (e.workloadEntry) extra.workloadEntry = e.workloadEntry;
  if (e.workload !== undefined) extra.workload = e.workload;
  if (e.policySet !== undefined) extra.policySet = e.policySet;
  const target = e.ports?.[port.name] ?? port.targetPort ?? port.number;
  if (e.address.startsWith(BINDING_PREFIX)) {
    const binding: Endpoint = { kind: "binding", binding: e.address.slice(BINDING_PREFIX.length), ...extra };
    if (target !== port.number) binding.port = target;
    return binding;
  }
  return { kind: "address", address: e.address, port: target, ...extra };
}
