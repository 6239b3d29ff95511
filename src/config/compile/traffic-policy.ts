/**
 * The DestinationRule traffic policy a cluster gets, merged as Istio's MergeTrafficPolicy does:
 * the top-level policy (with its port-level settings for the cluster port applied), then the subset's
 * policy overriding whole field groups it sets, then the subset's port-level settings. Port-level
 * settings replace `connectionPool`, `outlierDetection`, `loadBalancer` and `tls` wholesale — they do
 * not inherit unset fields (istio/api: "port level settings ... do not inherit").
 */
import type { PortTrafficPolicy, TrafficPolicy as TrafficPolicySpec } from "../schemas/destination-rule.js";
import type { TrafficPolicy } from "../snapshot.js";

const GROUPS = ["loadBalancer", "connectionPool", "outlierDetection", "tls", "tunnel", "proxyProtocol", "retryBudget"] as const;
const PORT_GROUPS = ["connectionPool", "outlierDetection", "loadBalancer", "tls"] as const;

export function mergeTrafficPolicy(
  top: TrafficPolicySpec | undefined,
  subset: TrafficPolicySpec | undefined,
  port: number,
): TrafficPolicy | undefined {
  let merged: TrafficPolicy | undefined = top ? applyPortLevel(copyGroups(top), top.portLevelSettings, port) : undefined;
  if (subset) {
    const out: Record<string, unknown> = { ...(merged ?? {}) };
    for (const g of GROUPS) if (subset[g] !== undefined) out[g] = subset[g];
    merged = applyPortLevel(out as TrafficPolicy, subset.portLevelSettings, port);
  }
  return merged && Object.keys(merged).length > 0 ? merged : undefined;
}

function copyGroups(p: TrafficPolicySpec): TrafficPolicy {
  const out: Record<string, unknown> = {};
  for (const g of GROUPS) if (p[g] !== undefined) out[g] = p[g];
  return out as TrafficPolicy;
}

function applyPortLevel(policy: TrafficPolicy, settings: readonly PortTrafficPolicy[] | undefined, port: number): TrafficPolicy {
  const match = settings?.find((s) => s.port?.number === port);
  if (!match) return policy;
  const out: Record<string, unknown> = { ...policy };
  for (const g of PORT_GROUPS) {
    if (match[g] !== undefined) out[g] = match[g];
    else delete out[g];
  }
  return out as TrafficPolicy;
}
