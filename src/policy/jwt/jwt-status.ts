/**
 * Why a token was refused, as Envoy's jwt_authn filter says it: the body of the local reply is
 * google/jwt_verify_lib's status string (`src/status.cc`), verbatim, because Istio users grep their
 * logs and tests for these exact texts. Only the statuses this gateway can produce are listed.
 */

export const JWT_STATUS = {
  JwtBadFormat: "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections",
  JwtHeaderParseErrorBadBase64: "Jwt header is an invalid Base64url encoded",
  JwtHeaderParseErrorBadJson: "Jwt header is an invalid JSON",
  JwtHeaderBadAlg: "Jwt header [alg] field is required and must be a string",
  JwtHeaderNotImplementedAlg: "Jwt header [alg] is not supported",
  JwtHeaderBadKid: "Jwt header [kid] field is not a string",
  JwtPayloadParseErrorBadBase64: "Jwt payload is an invalid Base64url encoded",
  JwtPayloadParseErrorBadJson: "Jwt payload is an invalid JSON",
  JwtPayloadParseErrorIssNotString: "Jwt payload [iss] field is not a string",
  JwtPayloadParseErrorSubNotString: "Jwt payload [sub] field is not a string",
  JwtPayloadParseErrorIatNotInteger: "Jwt payload [iat] field is not an integer",
  JwtPayloadParseErrorIatOutOfRange: "Jwt payload [iat] field is not a positive 64 bit integer",
  JwtPayloadParseErrorNbfNotInteger: "Jwt payload [nbf] field is not an integer",
  JwtPayloadParseErrorNbfOutOfRange: "Jwt payload [nbf] field is not a positive 64 bit integer",
  JwtPayloadParseErrorExpNotInteger: "Jwt payload [exp] field is not an integer",
  JwtPayloadParseErrorExpOutOfRange: "Jwt payload [exp] field is not a positive 64 bit integer",
  JwtPayloadParseErrorJtiNotString: "Jwt payload [jti] field is not a string",
  JwtPayloadParseErrorAudNotString: "Jwt payload [aud] field is not a string or string list",
  JwtSignatureParseErrorBadBase64: "Jwt signature is an invalid Base64url encoded",
  JwtEd25519SignatureWrongLength: "Jwt ED25519 signature is wrong length",
  JwtNotYetValid: "Jwt not yet valid",
  JwtExpired: "Jwt is expired",
  JwtUnknownIssuer: "Jwt issuer is not configured",
  JwtAudienceNotAllowed: "Audiences in Jwt are not allowed",
  JwtVerificationFail: "Jwt verification fails",
  JwksNoValidKeys: "Jwks doesn't have any valid public key",
  JwksKidAlgMismatch: "Jwks doesn't have key to match kid or alg from Jwt",
  JwksFetchFail: "Jwks remote fetch is failed",
} as const;

export type JwtStatus = keyof typeof JWT_STATUS;

/** The text of a status (the 401/403 body). */
export function statusText(status: JwtStatus): string {
  return JWT_STATUS[status];
}

/**
 * Envoy's `%RESPONSE_CODE_DETAILS%` for a JWT denial: `jwt_authn_access_denied{<text with spaces→_>}`,
 * e.g. `jwt_authn_access_denied{Jwt_is_expired}`.
 */
export function responseCodeDetails(status: JwtStatus): string {
  return `jwt_authn_access_denied{${statusText(status).replace(/\s/g, "_")}}`;
}

/**
 * Envoy answers 403 for an audience mismatch (the token is valid, just not for this service) and 401
 * for everything else.
 */
export function statusCode(status: JwtStatus): 401 | 403 {
  return status === "JwtAudienceNotAllowed" ? 403 : 401;
}
