/**
 * The networking.istio.io kinds (served at v1, v1beta1 and v1alpha3 with one schema): a strict spec
 * schema and the validation-webhook rules for each. The schemas and their inferred types live in one
 * file per kind family and are re-exported here for the analyzer and the compiler.
 */
import { destinationRuleRules, destinationRuleSpec, type DestinationRuleSpec } from "./destination-rule.js";
import { gatewayRules, gatewaySpec, type GatewaySpec } from "./gateway.js";
import type { KindValidator } from "./registry.js";
import { serviceEntryRules, serviceEntrySpec, workloadEntryRules, workloadEntrySpec, type ServiceEntrySpec, type WorkloadEntrySpec } from "./service-entry.js";
import { virtualServiceRules, virtualServiceSpec, type VirtualServiceSpec } from "./virtual-service.js";

export * from "./destination-rule.js";
export * from "./gateway.js";
export * from "./service-entry.js";
export * from "./virtual-service.js";

export const networkingValidators: {
  Gateway: KindValidator<GatewaySpec>;
  VirtualService: KindValidator<VirtualServiceSpec>;
  DestinationRule: KindValidator<DestinationRuleSpec>;
  ServiceEntry: KindValidator<ServiceEntrySpec>;
  WorkloadEntry: KindValidator<WorkloadEntrySpec>;
} = {
  Gateway: { spec: gatewaySpec, rules: gatewayRules },
  VirtualService: { spec: virtualServiceSpec, rules: virtualServiceRules },
  DestinationRule: { spec: destinationRuleSpec, rules: destinationRuleRules },
  ServiceEntry: { spec: serviceEntrySpec, rules: serviceEntryRules },
  WorkloadEntry: { spec: workloadEntrySpec, rules: workloadEntryRules },
};
