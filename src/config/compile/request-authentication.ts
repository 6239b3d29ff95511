/**
 * RequestAuthentication → the gateway's JWT table (`Snapshot.policies.jwt`), compiled once per config
 * version. Istio's translation (pilot `authn.convertToEnvoyJwtConfig`): every RequestAuthentication
 * that applies to the gateway workload contributes its `jwtRules`, all rules are concatenated and sorted
 * by issuer, each becomes one Envoy JWT provider with its defaults filled in (token locations, 5 s JWKS
 * timeout, `scope`/`permission` split on spaces). Plain JSON: `config_dump` prints it as is.
 *
 * @example
 *   const jwt = compileRequestAuthn(resources, mesh);   // { rules: [{ issuer: "https://idp", ... }] }
 *   snapshot.policies.jwt = jwt;
 */
import { parseDuration } from "../duration.js";
import type { MeshOptions } from "../mesh-options.js";
import type { Resource } from "../resource.js";
import { sortByCreation } from "./creation-order.js";
import { jwksUriOf, type JWTRule, type RequestAuthenticationSpec } from "../schemas/request-authentication.js";
import { policyAttaches, type PolicyWorkload } from "./policy-attachment.js";

export interface JwtAuthnTable {
  /** One entry per `jwtRules[]` element that applies to the gateway, sorted by issuer (Istio's order). */
  rules: JwtRuleTable[];
}

export interface JwtRuleTable {
  /** The RequestAuthentication and the index in its `jwtRules`, for explain and logs. */
  source: { namespace: string; name: string; index: number };
  /** Required `iss`; absent ⇒ the rule takes tokens of any issuer (Envoy: provider without issuer). */
  issuer?: string;
  /** Accepted `aud` values; empty ⇒ no audience check. */
  audiences: string[];
  jwks: JwksSource;
  /** JWKS (and OIDC discovery) fetch timeout in ms; Istio's default is 5 s. */
  timeoutMs: number;
  /** Token locations, defaults filled in: `Authorization: Bearer ` then `?access_token=`. */
  fromHeaders: { name: string; prefix: string }[];
  fromParams: string[];
  fromCookies: string[];
  /** True when none of fromHeaders/fromParams/fromCookies was written (the defaults above apply). */
  defaultLocations: boolean;
  /** Keep the token in the request sent upstream (default false: it is removed). */
  forwardOriginalToken: boolean;
  /** Lower-case header that receives the verified payload, base64url (Envoy `forward_payload_header`). */
  outputPayloadToHeader?: string;
  /** Claim → lower-case header copies; `claim` may be nested (`a.b.c`). */
  outputClaimToHeaders: { header: string; claim: string }[];
  /** Top-level claims whose string value is split on spaces for matching; always has `permission`, `scope`. */
  spaceDelimitedClaims: string[];
}

/** Where a rule's keys come from. */
export type JwksSource =
  | { kind: "uri"; uri: string }
  | { kind: "inline"; jwks: string }
  /** `<issuer>/.well-known/openid-configuration` → `jwks_uri`. */
  | { kind: "discovery"; issuer: string };

export const DEFAULT_JWKS_TIMEOUT_MS = 5000;
export const DEFAULT_HEADER = { name: "authorization", prefix: "Bearer " } as const;
export const DEFAULT_PARAM = "access_token";
/** The part of MeshOptions (or compileSnapshot's CompileOptions) that decides which policies apply. */
export type GatewayWorkload = Pick<MeshOptions, "gatewayLabels" | "gatewayNamespace">;

const ALWAYS_SPACE_DELIMITED = ["permission", "scope"];

/**
 * The JWT table for a workload: the gateway described by `mesh` unless `workload` names another
 * (attachment as pilot decides it, see policy-attachment.ts). Resources of other kinds are ignored;
 * RequestAuthentications are expected to be validated already.
 */
export function compileRequestAuthn(resources: readonly Resource[], mesh: GatewayWorkload, workload?: PolicyWorkload): JwtAuthnTable {
  const target: PolicyWorkload = workload ?? { namespace: mesh.gatewayNamespace, labels: mesh.gatewayLabels };
  const policies = sortByCreation(
    resources.filter((r) => r.kind === "RequestAuthentication") as unknown as Resource<RequestAuthenticationSpec>[],
  ).filter((ra) => policyAttaches(ra.spec, ra.metadata.namespace, target));

  const rules: JwtRuleTable[] = [];
  for (const ra of policies) {
    (ra.spec.jwtRules ?? []).forEach((rule, index) =>
      rules.push(translateJwtRule(rule, { namespace: ra.metadata.namespace, name: ra.metadata.name, index })),
    );
  }
  // Istio sorts the providers by issuer so the generated config is deterministic (stable for ties).
  rules.sort((a, b) => compareStrings(a.issuer ?? "", b.issuer ?? ""));
  return { rules };
}

/** One `jwtRules[]` element with Istio's defaults applied. */
export function translateJwtRule(rule: JWTRule, source: JwtRuleTable["source"]): JwtRuleTable {
  const uri = jwksUriOf(rule);
  let jwks: JwksSource;
  if (uri) jwks = { kind: "uri", uri };
  else if (rule.jwks) jwks = { kind: "inline", jwks: rule.jwks };
  else jwks = { kind: "discovery", issuer: rule.issuer ?? "" };

  const written = (rule.fromHeaders?.length ?? 0) + (rule.fromParams?.length ?? 0) + (rule.fromCookies?.length ?? 0);
  const defaultLocations = written === 0;
  const timeoutMs = rule.timeout !== undefined ? parseDuration(rule.timeout) : undefined;

  const out: JwtRuleTable = {
    source,
    audiences: [...(rule.audiences ?? [])],
    jwks,
    timeoutMs: timeoutMs !== undefined && timeoutMs > 0 ? timeoutMs : DEFAULT_JWKS_TIMEOUT_MS,
    fromHeaders: defaultLocations
      ? [{ ...DEFAULT_HEADER }]
      : (rule.fromHeaders ?? []).map((h) => ({ name: h.name.toLowerCase(), prefix: h.prefix ?? "" })),
    fromParams: defaultLocations ? [DEFAULT_PARAM] : [...(rule.fromParams ?? [])],
    fromCookies: [...(rule.fromCookies ?? [])],
    defaultLocations,
    forwardOriginalToken: rule.forwardOriginalToken ?? false,
    outputClaimToHeaders: (rule.outputClaimToHeaders ?? []).map((c) => ({ header: c.header.toLowerCase(), claim: c.claim })),
    spaceDelimitedClaims: [...new Set([...(rule.spaceDelimitedClaims ?? []), ...ALWAYS_SPACE_DELIMITED])].sort(compareStrings),
  };
  if (rule.issuer) out.issuer = rule.issuer;
  if (rule.outputPayloadToHeader) out.outputPayloadToHeader = rule.outputPayloadToHeader.toLowerCase();
  return out;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
