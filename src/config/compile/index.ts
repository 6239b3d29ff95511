/**
 * The compiler: validated resources → Snapshot (plain data), run once per config version by the
 * ConfigStore (and offline by the CLI). Istio's translate step: registry first (ServiceEntry,
 * WorkloadEntry), then DestinationRules into clusters, then VirtualServices into the gateway and mesh
 * listeners. Resources of other kinds are ignored here (their stages compile their own tables).
 *
 * @example
 *   const snapshot = compileSnapshot(resources, { gatewayLabels: { istio: "ingressgateway" }, gatewayNamespace: "istio-system", version: 7 });
 *   const router = buildRouter(snapshot);
 */
import type { Resource } from "../resource.js";
import type { DestinationRuleSpec } from "../schemas/destination-rule.js";
import type { GatewaySpec } from "../schemas/gateway.js";
import type { ServiceEntrySpec, WorkloadEntrySpec } from "../schemas/service-entry.js";
import type { VirtualServiceSpec } from "../schemas/virtual-service.js";
import type { Snapshot } from "../snapshot.js";
import { buildClusters } from "./clusters.js";
import { indexDestinationRules } from "./destination-rules.js";
import { buildGatewayListener } from "./gateway-listener.js";
import { buildMeshListener } from "./mesh-listener.js";
import { buildServiceRegistry } from "./service-registry.js";
import { prepareVirtualServices } from "./virtual-services.js";

export interface CompileOptions {
  /** Labels of the gateway workload; a Gateway applies when its `selector` matches them (nil selector ⇒ all). */
  gatewayLabels: Record<string, string>;
  /** Namespace of the gateway workload (VirtualService `exportTo`, `sourceNamespace`, DR `workloadSelector`). */
  gatewayNamespace: string;
  /** Snapshot version (default 0). */
  version?: number;
}

export function compileSnapshot(resources: readonly Resource[], opts: CompileOptions): Snapshot {
  const of = <S>(kind: Resource["kind"]) => resources.filter((r) => r.kind === kind) as unknown as Resource<S>[];
  const workload = { labels: opts.gatewayLabels, namespace: opts.gatewayNamespace };

  const registry = buildServiceRegistry(of<ServiceEntrySpec>("ServiceEntry"), of<WorkloadEntrySpec>("WorkloadEntry"));
  const rules = indexDestinationRules(of<DestinationRuleSpec>("DestinationRule"), workload);
  const virtualServices = prepareVirtualServices(of<VirtualServiceSpec>("VirtualService"));

  return {
    version: opts.version ?? 0,
    gateway: { labels: { ...opts.gatewayLabels }, namespace: opts.gatewayNamespace },
    listeners: {
      gateway: buildGatewayListener(of<GatewaySpec>("Gateway"), virtualServices, registry, workload),
      mesh: buildMeshListener(virtualServices, registry, workload),
    },
    clusters: buildClusters(registry, rules),
    policies: {},
  };
}

export { clusterName } from "./clusters.js";
