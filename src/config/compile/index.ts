/**
 * The compiler, the one entry point of the translate step: validated resources → Snapshot (plain
 * data), run once per config version by the ConfigStore (and offline by the CLI and the bench).
 * Istio's translate step: the registry first (ServiceEntry, WorkloadEntry) with the mesh's workloads
 * and the security policies attached to each (security.ts), then DestinationRules into clusters, then
 * VirtualServices into the gateway and mesh listeners, then the gateway's rate limits and telemetry.
 * Everything the request chain runs is here, translated; the gateway hydrates it once per snapshot
 * (src/gateway/runtime) and `GET /_mesh/config_dump` prints it.
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
import { DEFAULT_GATEWAY_SERVICE_ACCOUNT } from "../mesh-options.js";
import { compileRateLimits } from "./rate-limits.js";
import { compileRetryPolicy } from "./retry-policy.js";
import { securityCompiler, spiffePrincipal } from "./security.js";
import { compileTelemetry } from "./telemetry.js";
import { assignWorkloads } from "./workloads.js";
import { translateGatewayApi } from "./gateway-api/index.js";

export interface CompileOptions {
  /** Labels of the gateway workload; a Gateway applies when its `selector` matches them (nil selector ⇒ all). */
  gatewayLabels: Record<string, string>;
  /** Namespace of the gateway workload (VirtualService `exportTo`, `sourceNamespace`, DR `workloadSelector`). */
  gatewayNamespace: string;
  /** Service account of the gateway workload (default `istio-ingressgateway-service-account`). */
  gatewayServiceAccount?: string;
  /** SPIFFE trust domain of workload identities (default `cluster.local`). */
  trustDomain?: string;
  /** Snapshot version (default 0). */
  version?: number;
}

export function compileSnapshot(resources: readonly Resource[], opts: CompileOptions): Snapshot {
  const of = <S>(kind: Resource["kind"]) => resources.filter((r) => r.kind === kind) as unknown as Resource<S>[];
  const workload = { labels: opts.gatewayLabels, namespace: opts.gatewayNamespace };
  const trustDomain = opts.trustDomain ?? "cluster.local";
  const gatewayServiceAccount = opts.gatewayServiceAccount ?? DEFAULT_GATEWAY_SERVICE_ACCOUNT;

  const security = securityCompiler(resources, opts);
  const gatewaySet = security.policySet(workload);
  const { registry, workloads } = assignWorkloads(
    buildServiceRegistry(of<ServiceEntrySpec>("ServiceEntry"), of<WorkloadEntrySpec>("WorkloadEntry")),
    security,
    trustDomain,
  );
  const rules = indexDestinationRules(of<DestinationRuleSpec>("DestinationRule"), workload);
  // Gateway API resources become Istio Gateways and VirtualServices, after the hand-written ones.
  const gatewayApi = translateGatewayApi(resources, registry, workload);
  const virtualServices = [...prepareVirtualServices(of<VirtualServiceSpec>("VirtualService")), ...gatewayApi.virtualServices];
  const gateways = [...of<GatewaySpec>("Gateway"), ...gatewayApi.gateways];
  const clusters = buildClusters(registry, rules);

  return {
    version: opts.version ?? 0,
    gateway: {
      labels: { ...opts.gatewayLabels },
      namespace: opts.gatewayNamespace,
      serviceAccount: gatewayServiceAccount,
      principal: spiffePrincipal(trustDomain, opts.gatewayNamespace, gatewayServiceAccount),
      policySet: gatewaySet,
    },
    listeners: {
      gateway: buildGatewayListener(gateways, virtualServices, registry, clusters, workload),
      mesh: buildMeshListener(virtualServices, registry, clusters, workload),
    },
    clusters,
    workloads,
    policySets: security.sets,
    rateLimits: compileRateLimits(resources, opts),
    telemetry: compileTelemetry(resources, opts, workloads),
    defaultRetryPolicy: compileRetryPolicy(undefined)!,
  };
}

export { clusterName } from "./clusters.js";
