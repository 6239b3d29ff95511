/**
 * The `security.istio.io` kinds (served at v1 and v1beta1, same schema). Each kind lives in its own
 * module; this one registers them and re-exports their spec types for the compilers.
 */
import { authorizationPolicyValidator, type AuthorizationPolicySpec } from "./authorization-policy.js";
import { peerAuthenticationValidator, type PeerAuthenticationSpec } from "./peer-authentication.js";
import type { KindValidator } from "./registry.js";
import { requestAuthenticationValidator, type RequestAuthenticationSpec } from "./request-authentication.js";

export type {
  AuthorizationAction,
  AuthorizationPolicySpec,
  Condition,
  ExtensionProvider,
  Operation,
  OperationField,
  Rule,
  RuleFrom,
  RuleTo,
  Source,
  SourceField,
} from "./authorization-policy.js";
export {
  AUTHORIZATION_ACTIONS,
  CONDITION_KEYS,
  conditionKeyError,
  isPathTemplate,
  MATCH_ANY_TEMPLATE,
  MATCH_ONE_TEMPLATE,
  OPERATION_FIELDS,
  pathTemplateError,
  SOURCE_FIELDS,
} from "./authorization-policy.js";
export type { MtlsMode, MutualTLS, PeerAuthenticationSpec } from "./peer-authentication.js";
export { MTLS_MODES } from "./peer-authentication.js";
export type { ClaimToHeader, JWTHeader, JWTRule, RequestAuthenticationSpec } from "./request-authentication.js";
export { jwksUriOf } from "./request-authentication.js";
export type { PolicyTargetReference, WorkloadSelector } from "./policy-target.js";
export { DRY_RUN_ANNOTATION, parseGoBool } from "./policy-target.js";
export type { IpBlock } from "./ip-block.js";
export { parseIpAddress, parseIpBlock } from "./ip-block.js";

export const securityValidators: {
  PeerAuthentication: KindValidator<PeerAuthenticationSpec>;
  RequestAuthentication: KindValidator<RequestAuthenticationSpec>;
  AuthorizationPolicy: KindValidator<AuthorizationPolicySpec>;
} = {
  PeerAuthentication: peerAuthenticationValidator,
  RequestAuthentication: requestAuthenticationValidator,
  AuthorizationPolicy: authorizationPolicyValidator,
};
