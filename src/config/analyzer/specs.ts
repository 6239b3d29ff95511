/**
 * The spec types the analyzer reads. Resources reach the analyzer already validated, so their `spec`
 * has the shape of the schema modules' types (one definition of each Istio type).
 */
export type { AuthorizationPolicySpec } from "../schemas/authorization-policy.js";
export type { ClientTLSSettings, DestinationRuleSpec } from "../schemas/destination-rule.js";
export type { GatewaySpec, Server } from "../schemas/gateway.js";
export type { RequestAuthenticationSpec } from "../schemas/request-authentication.js";
export type { ServiceEntrySpec, WorkloadEntrySpec } from "../schemas/service-entry.js";
export type { Destination, HTTPMatchRequest, HTTPRoute, StringMatch, VirtualServiceSpec } from "../schemas/virtual-service.js";
