/**
 * The gateway.networking.k8s.io kinds: a strict spec schema and the CRD's CEL rules for each
 * (GatewayClass, Gateway, HTTPRoute, ReferenceGrant). GRPCRoute, TLSRoute, TCPRoute and UDPRoute are
 * admitted loosely: Workers cannot serve them, and their status and the analyzer say so.
 */
import type { KindValidator } from "./registry.js";
import {
  gatewayClassSpec, kubernetesGatewayRules, kubernetesGatewaySpec, referenceGrantSpec, unsupportedRouteSpec,
  type GatewayClassSpec, type KubernetesGatewaySpec, type ReferenceGrantSpec, type UnsupportedRouteSpec,
} from "./gateway-api-gateway.js";
import { httpRouteRules, httpRouteSpec, type HTTPRouteSpec } from "./gateway-api-httproute.js";

export * from "./gateway-api-common.js";
export * from "./gateway-api-gateway.js";
export * from "./gateway-api-httproute.js";

export const gatewayApiValidators: {
  GatewayClass: KindValidator<GatewayClassSpec>;
  KubernetesGateway: KindValidator<KubernetesGatewaySpec>;
  HTTPRoute: KindValidator<HTTPRouteSpec>;
  ReferenceGrant: KindValidator<ReferenceGrantSpec>;
  GRPCRoute: KindValidator<UnsupportedRouteSpec>;
  TLSRoute: KindValidator<UnsupportedRouteSpec>;
  TCPRoute: KindValidator<UnsupportedRouteSpec>;
  UDPRoute: KindValidator<UnsupportedRouteSpec>;
} = {
  GatewayClass: { spec: gatewayClassSpec },
  KubernetesGateway: { spec: kubernetesGatewaySpec, rules: kubernetesGatewayRules },
  HTTPRoute: { spec: httpRouteSpec, rules: httpRouteRules },
  ReferenceGrant: { spec: referenceGrantSpec },
  GRPCRoute: { spec: unsupportedRouteSpec },
  TLSRoute: { spec: unsupportedRouteSpec },
  TCPRoute: { spec: unsupportedRouteSpec },
  UDPRoute: { spec: unsupportedRouteSpec },
};
