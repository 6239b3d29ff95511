/**
 * RequestAuthentication at request time (DESIGN §2 stage 4), Envoy's jwt_authn filter as Istio
 * configures it: a request without a token passes with no principal; every token it carries must be
 * valid for a rule that reads that location and names the token's issuer, or the request is refused
 * with jwt_verify_lib's status text. Checks run in Envoy's order, cheapest first — size, shape,
 * issuer, `exp`/`nbf` (60 s skew), audience — so expired or foreign tokens never cause a JWKS fetch or
 * a signature check. Verified tokens are cached (no second signature check for the same token).
 *
 * Built once per snapshot from the compiled table; Workers APIs (`fetch`, `ctx.waitUntil`) and the
 * clock are injected.
 *
 * @example
 *   const authn = buildJwtAuthenticator(snapshot.policies.jwt as JwtAuthnTable, { fetch, now: Date.now, waitUntil: (p) => ctx.waitUntil(p) });
 *   const outcome = await authn.authenticate({ headers: request.headers, url, method: request.method });
 *   if (outcome.kind === "deny") return toResponse(outcome.reply);
 *   applyJwtOutcome(outcome, upstreamHeaders, upstreamUrl);   // strips the token, sets output headers
 */
import { isCorsPreflight } from "../cors.js";
import { localReply, type LocalReply } from "../local-reply.js";
import { claimByName, claimHeaderValue, normalizeClaims } from "./claims.js";
import type { JwtAuthnTable, JwtRuleTable } from "../../config/compile/request-authentication.js";
import { responseCodeDetails, statusCode, statusText, type JwtStatus } from "./jwt-status.js";
import { audiencesAllowed, checkTime, CLOCK_SKEW_SECONDS, parseJwt, type ParsedJwt } from "./jwt-token.js";
import { JwksStore, type JwksFetchEvent, type RemoteJwksSource } from "./jwks-store.js";
import { KeySet } from "./key-set.js";
import { extractTokens, indexLocations, type FoundToken, type LocationIndex, type TokenLocation } from "./token-locations.js";
import { VerifiedTokenCache, type VerifiedTokenCacheOptions } from "./verified-token-cache.js";

/** Tokens longer than this are refused before any decoding or crypto. */
export const MAX_TOKEN_BYTES = 8192;
/** Envoy truncates the path in the `www-authenticate` realm to this many characters. */
const MAX_REALM_PATH = 256;

export interface JwtRequest {
  headers: { get(name: string): string | null };
  /** Read for query tokens (unless `query` is given) and for the realm of a denial. */
  url: URL;
  /** The query parameters when already known; `null` when the request has none. */
  query?: URLSearchParams | null;
  /** The raw query string when known (lets an absent token parameter be seen without parsing the query). */
  rawQuery?: string;
  method: string;
  /** This request's `ctx.waitUntil`, to keep a background JWKS refresh alive after the response. */
  waitUntil?(p: Promise<unknown>): void;
  /** This request's fetch for JWKS and discovery (the gateway passes one that records a trace span). */
  fetch?: typeof fetch;
}

export type JwtOutcome = JwtNone | JwtOk | JwtDeny;

/** No token (or a CORS preflight): the request goes on unauthenticated. */
export interface JwtNone {
  kind: "none";
  /**
   * Output headers of every rule (`outputPayloadToHeader`, `outputClaimToHeaders`) to delete from the
   * request, so a client cannot forge what upstreams trust as verified (Envoy sanitizes them too).
   */
  removeHeaders: string[];
}

export interface JwtOk {
  kind: "ok";
  /** `request.auth.principal`: `<iss>/<sub>`, absent when the token has no `iss` or no `sub`. */
  principal?: string;
  /** `iss` ("" when the token has none and the rule names no issuer). */
  issuer: string;
  subject?: string;
  /** `request.auth.audiences`: the token's `aud`. */
  audiences: string[];
  /** `request.auth.presenter`: the token's `azp`. */
  presenter?: string;
  /** `request.auth.claims`: the payload, space-delimited claims split into lists. Prototype-free objects. */
  claims: Record<string, unknown>;
  /** Lower-case request headers to delete before forwarding (token headers unless forwarded, and output headers). */
  removeHeaders: string[];
  /** Query parameters to delete before forwarding (token parameters unless forwarded). */
  removeParams: string[];
  /** Lower-case request headers to set (after the removals): payload and claim outputs. */
  setHeaders: Record<string, string>;
  /** The rule that verified the (first) token. */
  rule: JwtRuleTable["source"];
  /** Whether the verified-token cache answered (no signature check was made). */
  cached: boolean;
}

export interface JwtDeny {
  kind: "deny";
  status: JwtStatus;
  /** 401 (403 for an audience mismatch), the status text, `www-authenticate: Bearer realm="...", error="invalid_token"`. */
  reply: LocalReply;
  /** Envoy's `%RESPONSE_CODE_DETAILS%`, e.g. `jwt_authn_access_denied{Jwt_is_expired}`. */
  details: string;
}

export type JwtEvent =
  | JwksFetchEvent
  | { type: "jwt_cache_hit" }
  /** A signature check was performed (cache miss). */
  | { type: "jwt_signature_check"; alg: string }
  | { type: "jwt_denied"; status: JwtStatus };

export interface JwtAuthenticatorDeps {
  fetch: typeof fetch;
  /** Milliseconds since the epoch. */
  now(): number;
  waitUntil?(p: Promise<unknown>): void;
  /** Remote JWKS cache; the gateway passes its isolate's (runtime/isolate.ts); default: one of its own. */
  jwksStore?: JwksStore;
  /** Verified-token cache sizing (default 1000 entries, 5 min). */
  tokenCache?: Partial<VerifiedTokenCacheOptions>;
  /** Counters and logs (cache hits, signature checks, JWKS fetches, denials). */
  onEvent?(event: JwtEvent): void;
}

export interface JwtAuthenticator {
  /** False when no RequestAuthentication applies: `authenticate` always answers `none`. */
  readonly enabled: boolean;
  authenticate(req: JwtRequest): Promise<JwtOutcome>;
}

/** A rule ready to verify with: its keys (inline, parsed once) or where to fetch them. */
interface RuleRuntime {
  table: JwtRuleTable;
  inline?: KeySet;
  remote?: RemoteJwksSource;
}

interface Verified {
  jwt: ParsedJwt;
  rule: number;
  /**
   * The outcome of a request carrying this one token at `location` (claims normalized, output headers
   * computed), kept with the cached token: a request that presents it again reuses it. Read-only.
   */
  outcome?: { location: FoundToken["location"]; ok: JwtOk };
}

type VerifyResult = { ok: true; verified: Verified; cached: boolean } | { ok: false; status: JwtStatus };

/** Hydrates the compiled table (undefined: no RequestAuthentication, nothing to do). */
/** Distinct token issuers whose candidate rules are remembered per location. */
const MAX_ISSUERS_REMEMBERED = 64;

export function buildJwtAuthenticator(table: JwtAuthnTable | undefined, deps: JwtAuthenticatorDeps): JwtAuthenticator {
  table ??= { rules: [] };
  const rules: RuleRuntime[] = table.rules.map((t) => {
    if (t.jwks.kind === "inline") return { table: t, inline: KeySet.parse(t.jwks.jwks, { allowSymmetric: true }) };
    return { table: t, remote: t.jwks };
  });
  const locations: LocationIndex = indexLocations(table.rules);
  const outputHeaders = [
    ...new Set(table.rules.flatMap((r) => [...(r.outputPayloadToHeader ? [r.outputPayloadToHeader] : []), ...r.outputClaimToHeaders.map((c) => c.header)])),
  ];
  const cache = new VerifiedTokenCache<Verified>(deps.tokenCache);
  const rulesByIssuer = new WeakMap<readonly number[], Map<string, readonly number[]>>();
  const store = deps.jwksStore ?? new JwksStore();
  const emit = (e: JwtEvent) => deps.onEvent?.(e);

  async function keysFor(rule: RuleRuntime, kid: string, ctx: JwtAuthenticatorDeps): Promise<KeySet | JwtStatus> {
    if (rule.remote) return (await store.keys(rule.remote, rule.table.timeoutMs, ctx, kid)) ?? "JwksFetchFail";
    return rule.inline && rule.inline.size > 0 ? rule.inline : "JwksNoValidKeys";
  }

  async function verify(found: FoundToken, ctx: JwtAuthenticatorDeps): Promise<VerifyResult> {
    const fail = (status: JwtStatus): VerifyResult => ({ ok: false, status });
    if (found.token.length > MAX_TOKEN_BYTES) return fail("JwtVerificationFail");
    const nowMs = deps.now();
    const nowSeconds = Math.floor(nowMs / 1000);

    const hit = cache.get(found.token, nowMs);
    if (hit && rulesFor(found.rules, hit.jwt.iss).includes(hit.rule)) {
      const late = checkTime(hit.jwt, nowSeconds);
      if (late) {
        cache.delete(found.token);
        return fail(late);
      }
      emit({ type: "jwt_cache_hit" });
      return { ok: true, verified: hit, cached: true };
    }

    const parsed = parseJwt(found.token);
    if (!parsed.ok) return fail(parsed.status);
    const jwt = parsed.jwt;
    const candidates = rulesFor(found.rules, jwt.iss);
    if (candidates.length === 0) return fail("JwtUnknownIssuer");
    const late = checkTime(jwt, nowSeconds);
    if (late) return fail(late);

    // Several rules may take this issuer (Istio ORs the providers): the first that verifies wins; if
    // none does, the first rule's reason is given.
    let firstFailure: JwtStatus | undefined;
    for (const ruleIndex of candidates) {
      const status = await verifyWithRule(jwt, rules[ruleIndex]!, ctx);
      if (status === undefined) {
        const verified = { jwt, rule: ruleIndex };
        cache.set(found.token, verified, nowMs, jwt.exp ? (jwt.exp + CLOCK_SKEW_SECONDS + 1) * 1000 : Infinity);
        return { ok: true, verified, cached: false };
      }
      firstFailure ??= status;
    }
    return fail(firstFailure!);
  }

  /** Audience, then keys, then signature; undefined when the token is good for this rule. */
  async function verifyWithRule(jwt: ParsedJwt, rule: RuleRuntime, ctx: JwtAuthenticatorDeps): Promise<JwtStatus | undefined> {
    if (!audiencesAllowed(rule.table.audiences, jwt.audiences)) return "JwtAudienceNotAllowed";
    const keys = await keysFor(rule, jwt.kid, ctx);
    if (typeof keys === "string") return keys;
    return keys.verify(jwt, () => emit({ type: "jwt_signature_check", alg: jwt.alg }));
  }

  /**
   * The rules that may verify a token of issuer `iss` found in a location read by `candidates`: those
   * naming that issuer, then those naming none (Envoy: a provider without issuer takes any).
   */
  function rulesFor(candidates: readonly number[], iss: string): readonly number[] {
    // Per location (its rule list is fixed for the snapshot) and issuer: asked on every request.
    let byIssuer = rulesByIssuer.get(candidates);
    if (!byIssuer) rulesByIssuer.set(candidates, (byIssuer = new Map()));
    let found = byIssuer.get(iss);
    if (!found) {
      const named = candidates.filter((i) => rules[i]!.table.issuer === iss);
      const open = candidates.filter((i) => rules[i]!.table.issuer === undefined);
      found = [...named, ...open];
      // Issuers come from tokens (any string): keep the memo bounded.
      if (byIssuer.size < MAX_ISSUERS_REMEMBERED) byIssuer.set(iss, found);
    }
    return found;
  }

  function deny(status: JwtStatus, url: URL): JwtDeny {
    emit({ type: "jwt_denied", status });
    return {
      kind: "deny",
      status,
      reply: localReply(statusCode(status), statusText(status), "-", responseCodeDetails(status), {
        "www-authenticate": `Bearer realm="${realm(url)}", error="invalid_token"`,
      }),
      details: responseCodeDetails(status),
    };
  }

  return {
    enabled: rules.length > 0,
    async authenticate(req: JwtRequest): Promise<JwtOutcome> {
      if (rules.length === 0 || isPreflight(req)) return { kind: "none", removeHeaders: [] };
      const extraction = extractTokens(locations, req);
      if (!extraction.ok) return deny("JwtBadFormat", req.url);
      if (extraction.tokens.length === 0) return { kind: "none", removeHeaders: [...outputHeaders] };

      const ctx: JwtAuthenticatorDeps = req.waitUntil || req.fetch
        ? { ...deps, ...(req.waitUntil ? { waitUntil: req.waitUntil } : {}), ...(req.fetch ? { fetch: req.fetch } : {}) }
        : deps;
      // Every token present must be valid (Envoy: a good token must not carry a bad one past the gate).
      if (extraction.tokens.length === 1) {
        const found = extraction.tokens[0]!;
        const r = await verify(found, ctx);
        if (!r.ok) return deny(r.status, req.url);
        const memo = r.verified.outcome;
        if (memo?.location === found.location) return r.cached ? memo.ok : { ...memo.ok, cached: false };
        const ok = okOutcome([{ found, verified: r.verified, cached: true }], outputHeaders, rules);
        r.verified.outcome = { location: found.location, ok };
        return r.cached ? ok : { ...ok, cached: false };
      }
      const results: { found: FoundToken; verified: Verified; cached: boolean }[] = [];
      for (const found of extraction.tokens) {
        const r = await verify(found, ctx);
        if (!r.ok) return deny(r.status, req.url);
        results.push({ found, verified: r.verified, cached: r.cached });
      }
      return okOutcome(results, outputHeaders, rules);
    },
  };
}

function okOutcome(
  results: { found: FoundToken; verified: Verified; cached: boolean }[],
  outputHeaders: readonly string[],
  rules: readonly RuleRuntime[],
): JwtOk {
  const removeHeaders = new Set(outputHeaders);
  const removeParams = new Set<string>();
  // A Map, so header names like `constructor` or `__proto__` (valid per Istio's pattern) are plain keys.
  const set = new Map<string, string>();
  for (const { found, verified } of results) {
    const rule = rules[verified.rule]!.table;
    if (!rule.forwardOriginalToken) stripLocation(found.location, removeHeaders, removeParams);
    if (rule.outputPayloadToHeader && !set.has(rule.outputPayloadToHeader)) set.set(rule.outputPayloadToHeader, verified.jwt.payloadSegment);
    for (const { header, claim } of rule.outputClaimToHeaders) {
      if (set.has(header)) continue;
      const value = claimHeaderValue(claimByName(verified.jwt.payload, claim));
      if (value !== undefined) set.set(header, value);
    }
  }
  const setHeaders = Object.fromEntries(set);
  const first = results[0]!;
  const { jwt } = first.verified;
  const rule = rules[first.verified.rule]!.table;
  const azp = Object.prototype.hasOwnProperty.call(jwt.payload, "azp") ? jwt.payload.azp : undefined;
  const out: JwtOk = {
    kind: "ok",
    issuer: jwt.iss,
    audiences: [...jwt.audiences],
    claims: normalizeClaims(jwt.payload, rule.spaceDelimitedClaims),
    removeHeaders: [...removeHeaders],
    removeParams: [...removeParams],
    setHeaders,
    rule: rule.source,
    cached: results.every((r) => r.cached),
  };
  if (jwt.iss !== "" && jwt.sub !== "") out.principal = `${jwt.iss}/${jwt.sub}`;
  if (jwt.sub !== "") out.subject = jwt.sub;
  if (typeof azp === "string") out.presenter = azp;
  return out;
}

/** Envoy removes a header or query-parameter token after verification; a cookie is left in place. */
function stripLocation(location: TokenLocation, headers: Set<string>, params: Set<string>): void {
  if (location.kind === "header") headers.add(location.name);
  else if (location.kind === "param") params.add(location.name);
}

/** Envoy `bypass_cors_preflight`: OPTIONS with non-empty `Origin` and `Access-Control-Request-Method`. */
function isPreflight(req: JwtRequest): boolean {
  return isCorsPreflight(req.method, req.headers);
}

/**
 * The realm Envoy puts in `www-authenticate` (`Http::Utility::buildOriginalUri`): scheme, host and the
 * request path with its query, the path cut at 256 characters.
 */
export function realm(url: URL): string {
  return `${url.protocol.slice(0, -1)}://${url.host}${(url.pathname + url.search).slice(0, MAX_REALM_PATH)}`;
}

/**
 * Applies an outcome to the request going upstream: deletes the stripped token and forgeable output
 * headers, then sets the output headers. Returns the path with token query parameters removed; the
 * path is handled as a string (never re-parsed as a URL), so every other byte stays as the client sent it.
 */
export function applyJwtOutcome(outcome: JwtNone | JwtOk, headers: Headers, pathAndQuery: string): string {
  for (const h of outcome.removeHeaders) headers.delete(h);
  if (outcome.kind !== "ok") return pathAndQuery;
  for (const [h, v] of Object.entries(outcome.setHeaders)) headers.set(h, v);
  return outcome.removeParams.length > 0 ? removeQueryParams(pathAndQuery, outcome.removeParams) : pathAndQuery;
}

/** Drops the named parameters from the query of `pathAndQuery`, leaving every other byte as it was. */
export function removeQueryParams(pathAndQuery: string, names: readonly string[]): string {
  const q = pathAndQuery.indexOf("?");
  if (q < 0) return pathAndQuery;
  const drop = new Set(names);
  const kept = pathAndQuery
    .slice(q + 1)
    .split("&")
    .filter((part) => {
      const eq = part.indexOf("=");
      const raw = eq < 0 ? part : part.slice(0, eq);
      let name: string;
      try {
        name = decodeURIComponent(raw.replace(/\+/g, " "));
      } catch {
        name = raw;
      }
      return !drop.has(name);
    });
  return pathAndQuery.slice(0, q) + (kept.length > 0 ? `?${kept.join("&")}` : "");
}
