/**
 * RequestAuthentication (JWT): compile the table once per snapshot, hydrate an authenticator, ask it
 * per request. See docs/authentication.md.
 */
export { compileRequestAuthn, type JwtAuthnTable, type JwtRuleTable, type JwksSource } from "../../config/compile/request-authentication.js";
export {
  buildJwtAuthenticator,
  applyJwtOutcome,
  realm,
  removeQueryParams,
  MAX_TOKEN_BYTES,
  type JwtAuthenticator,
  type JwtAuthenticatorDeps,
  type JwtDeny,
  type JwtEvent,
  type JwtNone,
  type JwtOk,
  type JwtOutcome,
  type JwtRequest,
} from "./jwt-authenticator.js";
export { JwksStore, type JwksStoreOptions } from "./jwks-store.js";
export { JWT_STATUS, type JwtStatus } from "./jwt-status.js";

