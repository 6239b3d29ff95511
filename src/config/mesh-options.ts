/**
 * Mesh-wide settings of one gateway deployment (Istio's MeshConfig and the gateway workload's
 * identity), read from the Worker's vars. One place, so the ConfigStore (which compiles and analyzes)
 * and the gateway (which serves) agree.
 */
import { parseLabels } from "./hosts.js";

export interface MeshOptions {
  /** Labels of the gateway workload: Gateways and policies select it by these (default Istio's ingress gateway labels, `app=istio-ingressgateway,istio=ingressgateway`). */
  gatewayLabels: Record<string, string>;
  /** Namespace the gateway workload lives in (default `istio-system`). */
  gatewayNamespace: string;
  /** SPIFFE trust domain (default `cluster.local`). */
  trustDomain: string;
  /** Service account of the gateway workload (default Istio's `istio-ingressgateway-service-account`). */
  gatewayServiceAccount?: string;
}

export interface MeshVars {
  GATEWAY_LABELS?: string;
  GATEWAY_NAMESPACE?: string;
  TRUST_DOMAIN?: string;
  GATEWAY_SERVICE_ACCOUNT?: string;
}

/** Istio's ingress gateway service account. */
export const DEFAULT_GATEWAY_SERVICE_ACCOUNT = "istio-ingressgateway-service-account";

export function meshOptions(vars: MeshVars): MeshOptions {
  return {
    gatewayLabels: parseLabels(vars.GATEWAY_LABELS ?? "app=istio-ingressgateway,istio=ingressgateway"),
    gatewayNamespace: vars.GATEWAY_NAMESPACE || "istio-system",
    trustDomain: vars.TRUST_DOMAIN || "cluster.local",
    gatewayServiceAccount: vars.GATEWAY_SERVICE_ACCOUNT || DEFAULT_GATEWAY_SERVICE_ACCOUNT,
  };
}
