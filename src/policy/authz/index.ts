/**
 * AuthorizationPolicy: compile (`compileAuthorization` → `Snapshot.policies.authz`), hydrate
 * (`buildAuthorizer`), evaluate (`custom` at stage 3, `authorize` at stage 5), and the CUSTOM
 * provider call (`checkExternalAuthz`). See docs/authorization.md.
 */
export { compileAuthorization, type AuthzPolicyEntry, type AuthzTable } from "../../config/compile/authorization.js";
export {
  buildAuthorizer,
  policyId,
  rbacDenied,
  RBAC_DENIED_BODY,
  type AuthorizerOptions,
  type Authorizer,
  type AuthzDecision,
  type CustomCheck,
  type PolicyRef,
  type ShadowResult,
} from "./authorizer.js";
export {
  applyUpstreamHeaders,
  checkExternalAuthz,
  deniedReply,
  deniedResponse,
  type ExtAuthzAllow,
  type ExtAuthzDeny,
  type ExtAuthzDeps,
  type ExtAuthzResult,
} from "./ext-authz.js";
export { policyAttaches, GATEWAY_NAME_LABEL, type PolicyWorkload } from "../../config/compile/policy-attachment.js";
export type { AuthzRequestAuth, AuthzRequestView } from "./request-view.js";
