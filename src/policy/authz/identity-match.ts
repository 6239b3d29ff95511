/**
 * Peer and request identity matchers, translated as pilot's authz generators translate them
 * (pilot/pkg/security/authz/model/generator.go). Peer fields all match the peer's principal URI
 * (`spiffe://<td>/ns/<ns>/sa/<sa>`), never separate namespace or account attributes, so a caller's
 * namespace comes only from its verified identity. Request principals match the JWT's `iss` and `sub`
 * claims separately.
 */
import { compileFullMatch, RE2JS } from "../../config/regex.js";
import { istioStringMatcher, type ValueMatcher } from "./string-match.js";

export const SPIFFE_PREFIX = "spiffe://";

/** `principals` / `source.principal`: the value is written without `spiffe://`. */
export function principalMatcher(value: string): ValueMatcher {
  if (value === "*") return (uri) => uri !== undefined && uri.length > 0;
  if (value.startsWith("*")) {
    // Envoy regex `spiffe://.*<suffix>`
    const suffix = value.slice(1);
    return (uri) => uri !== undefined && uri.startsWith(SPIFFE_PREFIX) && uri.length >= SPIFFE_PREFIX.length + suffix.length && uri.endsWith(suffix);
  }
  if (value.endsWith("*")) {
    const prefix = SPIFFE_PREFIX + value.slice(0, -1);
    return (uri) => uri !== undefined && uri.startsWith(prefix);
  }
  const exact = SPIFFE_PREFIX + value;
  return (uri) => uri === exact;
}

/** `namespaces` / `source.namespace`: Envoy regex `.*\/ns/<ns>/.*` with each `*` as `.*`. */
export function namespaceMatcher(value: string): ValueMatcher {
  const ns = value.split("*").map((part) => RE2JS.quote(part)).join(".*");
  const re = compileFullMatch(`.*/ns/${ns}/.*`);
  return (uri) => uri !== undefined && re.test(uri);
}

/**
 * `serviceAccounts` / `source.serviceAccount`: `sa` (in the policy's namespace) or `ns/sa`, matched as
 * `spiffe://.+/ns/<ns>/(.+/|)sa/<sa>(/.+)?` so `sa/foo` never matches `sa/foo-bar`.
 */
export function serviceAccountMatcher(value: string, policyNamespace: string): ValueMatcher {
  const slash = value.indexOf("/");
  const ns = slash < 0 ? policyNamespace : value.slice(0, slash);
  const sa = slash < 0 ? value : value.slice(slash + 1);
  const re = compileFullMatch(`spiffe://.+/ns/${RE2JS.quote(ns)}/(.+/|)sa/${RE2JS.quote(sa)}(/.+)?`);
  return (uri) => uri !== undefined && re.test(uri);
}

/** `trustDomains` / `source.trustDomain`: `*` any SPIFFE identity, `td` exact, one `*` within a label. */
export function trustDomainMatcher(value: string): ValueMatcher {
  if (value === "*") return (uri) => uri !== undefined && uri.startsWith(SPIFFE_PREFIX);
  if (!value.includes("*")) {
    const prefix = `${SPIFFE_PREFIX}${value}/`;
    return (uri) => uri !== undefined && uri.startsWith(prefix);
  }
  const star = value.indexOf("*");
  const re = compileFullMatch(`spiffe://${RE2JS.quote(value.slice(0, star))}[^/]*${RE2JS.quote(value.slice(star + 1))}/.*`);
  return (uri) => uri !== undefined && re.test(uri);
}

/** The JWT's issuer and subject, as Envoy reads them from the verified payload. */
export interface IssuerSubject {
  iss?: string;
  sub?: string;
}

const NON_EMPTY: ValueMatcher = (v) => v !== undefined && v.length > 0;
const exactly = (s: string): ValueMatcher => (v) => v === s;
const prefixed = (s: string): ValueMatcher => (v) => v !== undefined && v.startsWith(s);
const suffixed = (s: string): ValueMatcher => (v) => v !== undefined && v.endsWith(s);

/**
 * `requestPrincipals` / `request.auth.principal`: `<iss>/<sub>` split at the last `/` (issuers are
 * URLs). `*` needs both claims non-empty, so a token without `sub` does not match it (istio/istio#22540).
 */
export function requestPrincipalMatcher(value: string): (id: IssuerSubject | undefined) => boolean {
  const idx = value.lastIndexOf("/");
  const found = idx >= 0;
  const iss = found ? value.slice(0, idx) : value;
  const sub = found ? value.slice(idx + 1) : "";
  let matchIss: ValueMatcher;
  let matchSub: ValueMatcher;
  if (value === "*") {
    matchIss = NON_EMPTY;
    matchSub = NON_EMPTY;
  } else if (value.startsWith("*")) {
    if (found) {
      matchIss = iss === "*" ? NON_EMPTY : suffixed(iss.slice(1));
      matchSub = exactly(sub);
    } else {
      matchIss = NON_EMPTY;
      matchSub = suffixed(value.slice(1));
    }
  } else if (value.endsWith("*")) {
    if (found) {
      matchIss = exactly(iss);
      matchSub = sub === "*" ? NON_EMPTY : prefixed(sub.slice(0, -1));
    } else {
      matchIss = prefixed(value.slice(0, -1));
      matchSub = NON_EMPTY;
    }
  } else {
    matchIss = exactly(iss);
    matchSub = exactly(sub);
  }
  return (id) => id !== undefined && matchIss(id.iss) && matchSub(id.sub);
}

/** Claim values (`request.auth.claims[...]`, `audiences`, `presenter`) use the plain string syntax. */
export function claimValueMatcher(value: string): ValueMatcher {
  return istioStringMatcher(value, { star: "nonEmpty" });
}
