/**
 * RequestAuthentication (`security.istio.io/v1`, `v1beta1`): which JWTs a workload accepts and where it
 * finds them. Schema from istio/api `security/v1beta1/request_authentication.proto` and its CRD; rules
 * from Istio's `ValidateRequestAuthentication` / `validateJwtRule` webhook.
 */
import { z } from "zod";
import { parseDuration } from "../duration.js";
import { joinPath } from "../loader.js";
import { duration } from "./common.js";
import { checkDryRunAnnotation, checkTargeting, targetingFields } from "./policy-target.js";
import type { KindValidator, RuleContext } from "./registry.js";

const nonEmpty = (what: string) => z.string().min(1, { error: `${what} must not be empty` });

export const jwtHeader = z.strictObject({
  name: nonEmpty("header name"),
  /** Stripped from the header value before decoding (e.g. `"Bearer "`). */
  prefix: z.string().optional(),
});
export type JWTHeader = z.infer<typeof jwtHeader>;

/** What Istio accepts as a header for `outputClaimToHeaders` (stricter than an HTTP token). */
export const CLAIM_HEADER_NAME = /^[-_A-Za-z0-9]+$/;

export const claimToHeader = z.strictObject({
  header: nonEmpty("header").regex(CLAIM_HEADER_NAME, {
    error: (i) => `invalid header name ${JSON.stringify(i.input)}: must match ^[-_A-Za-z0-9]+$`,
  }),
  /** Claim name, nested with dots (`a.b.c`). */
  claim: nonEmpty("claim"),
});
export type ClaimToHeader = z.infer<typeof claimToHeader>;

const jwksUri = z
  .string()
  .min(1, { error: "jwksUri must not be empty" })
  .max(2048, { error: (i) => `jwksUri is longer than 2048 characters (${String(i.input).length})` });

export const jwtRule = z.strictObject({
  issuer: nonEmpty("issuer").optional(),
  audiences: z.array(nonEmpty("audience")).optional(),
  jwksUri: jwksUri.optional(),
  /** The CRD also serves the proto name; `jwksUriOf` reads either. */
  jwks_uri: jwksUri.optional(),
  jwks: z.string().optional(),
  fromHeaders: z.array(jwtHeader).optional(),
  fromParams: z.array(nonEmpty("query parameter name")).optional(),
  fromCookies: z.array(nonEmpty("cookie name")).optional(),
  outputPayloadToHeader: z.string().optional(),
  forwardOriginalToken: z.boolean().optional(),
  outputClaimToHeaders: z.array(claimToHeader).optional(),
  /** JWKS fetch timeout; default 5s. */
  timeout: duration.optional(),
  spaceDelimitedClaims: z
    .array(nonEmpty("claim name"))
    .max(64, { error: (i) => `at most 64 spaceDelimitedClaims may be set, got ${(i.input as unknown[]).length}` })
    .optional(),
});
export type JWTRule = z.infer<typeof jwtRule>;

export const requestAuthenticationSpec = z.strictObject({
  ...targetingFields,
  jwtRules: z
    .array(jwtRule)
    .max(4096, { error: (i) => `at most 4096 jwtRules may be set, got ${(i.input as unknown[]).length}` })
    .optional(),
});
export type RequestAuthenticationSpec = z.infer<typeof requestAuthenticationSpec>;

/** The rule's JWKS URI, whichever spelling (`jwksUri` or the CRD's alias `jwks_uri`) was used. */
export function jwksUriOf(rule: JWTRule): string | undefined {
  return rule.jwksUri ?? rule.jwks_uri;
}

export const requestAuthenticationValidator: KindValidator<RequestAuthenticationSpec> = {
  spec: requestAuthenticationSpec,
  rules(spec, ctx) {
    checkDryRunAnnotation(ctx, "RequestAuthentication");
    checkTargeting(spec, ctx);
    spec.jwtRules?.forEach((rule, i) => checkJwtRule(rule, `spec.jwtRules[${i}]`, ctx));
  },
};

function checkJwtRule(rule: JWTRule, path: string, ctx: RuleContext): void {
  const uriFields = (["jwksUri", "jwks_uri", "jwks"] as const).filter((k) => rule[k] !== undefined);
  if (uriFields.length > 1)
    ctx.error(joinPath(path, uriFields[1]!), `only one of jwks or jwksUri can be set, got ${uriFields.join(" and ")}`, "FieldMutuallyExclusive");

  const uri = jwksUriOf(rule);
  if (rule.issuer === undefined && uri === undefined)
    ctx.error(joinPath(path, "issuer"), "issuer or jwksUri must be non-empty string", "FieldValueRequired");
  for (const key of ["jwksUri", "jwks_uri"] as const) {
    const v = rule[key];
    if (v === undefined) continue;
    const err = jwksUriError(v);
    if (err) ctx.error(joinPath(path, key), err);
  }
  if (rule.jwks !== undefined && rule.jwks !== "") {
    const err = jwksError(rule.jwks);
    if (err) ctx.error(joinPath(path, "jwks"), `jwks parse error: ${err}`);
  }

  const seen = new Map<string, number>();
  rule.outputClaimToHeaders?.forEach((c, j) => {
    const key = c.header.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined)
      ctx.error(joinPath(`${path}.outputClaimToHeaders[${j}]`, "header"), `header ${JSON.stringify(c.header)} is already used by outputClaimToHeaders[${first}]; each header must be unique`, "Duplicate");
    else seen.set(key, j);
  });

  if (rule.timeout !== undefined) {
    const ms = parseDuration(rule.timeout);
    if (ms !== undefined && ms < 1) ctx.error(joinPath(path, "timeout"), `timeout ${JSON.stringify(rule.timeout)} must be greater than 1ms`);
    else if (ms !== undefined && !Number.isInteger(Math.round(ms * 1e6) / 1e6))
      ctx.error(joinPath(path, "timeout"), `timeout ${JSON.stringify(rule.timeout)}: only durations to ms precision are supported`);
  }
}

/** Why `uri` is not a JWKS URI Istio accepts (an http or https URL), or undefined. */
export function jwksUriError(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `invalid jwksUri ${JSON.stringify(uri)}: url must have scheme http:// or https://`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return `invalid jwksUri ${JSON.stringify(uri)}: URI scheme ${JSON.stringify(url.protocol.slice(0, -1))} is not supported; url must have scheme http:// or https://`;
  return undefined;
}

const KEY_TYPES = new Set(["RSA", "EC", "OKP", "oct"]);

/**
 * Why `text` is not a JSON Web Key Set (RFC 7517 `{"keys": [...]}`) or a single JWK, or undefined.
 * Structural only: the key material is checked when the gateway imports the keys.
 */
export function jwksError(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "expected a JSON object with \"keys\"";
  const obj = value as Record<string, unknown>;
  if (!("keys" in obj)) return keyError(obj);
  if (!Array.isArray(obj.keys)) return "\"keys\" must be an array";
  for (let i = 0; i < obj.keys.length; i++) {
    const k = obj.keys[i] as unknown;
    const err = typeof k === "object" && k !== null && !Array.isArray(k) ? keyError(k as Record<string, unknown>) : "expected an object";
    if (err) return `keys[${i}]: ${err}`;
  }
  return undefined;
}

function keyError(key: Record<string, unknown>): string | undefined {
  if (typeof key.kty !== "string") return "a key needs a \"kty\"";
  if (!KEY_TYPES.has(key.kty)) return `unsupported key type ${JSON.stringify(key.kty)}`;
  return undefined;
}
