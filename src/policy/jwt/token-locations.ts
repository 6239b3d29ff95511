/**
 * Where tokens are looked for (Envoy jwt_authn `Extractor`): every distinct location of every rule —
 * headers (with an optional value prefix), query parameters, cookies — read once per request, each
 * remembering which rules listed it (a token is only ever checked against those rules' issuers).
 *
 * Envoy's reading rules: with a prefix, the prefix may appear anywhere in the value and the token starts
 * at the next base64url-or-dot character after it; without one, the whole value is the token. A query
 * parameter or cookie that is present counts even when empty (and then fails as malformed). One
 * deliberate difference: Istio documents a header written in `fromHeaders` that lacks its `prefix` as
 * invalid, while Envoy silently skips it (istio/istio#33545); we follow the documentation and refuse it.
 * The default `Authorization: Bearer` location keeps Envoy's behaviour, so `Authorization: Basic ...`
 * still passes without a principal.
 */
import type { JwtRuleTable } from "../../config/compile/request-authentication.js";

export type TokenLocation =
  | { kind: "header"; name: string; prefix: string }
  | { kind: "param"; name: string }
  | { kind: "cookie"; name: string };

interface IndexedLocation {
  location: TokenLocation;
  /** Indices of the rules (in table order) that read this location. */
  rules: number[];
}

export interface LocationIndex {
  locations: readonly IndexedLocation[];
  /** Header names written in some rule's `fromHeaders` with a non-empty prefix: a value matching no prefix is refused. */
  strictHeaders: ReadonlySet<string>;
}

export interface FoundToken {
  token: string;
  location: TokenLocation;
  rules: readonly number[];
}

export type Extraction = { ok: true; tokens: FoundToken[] } | { ok: false; header: string };

export interface TokenSource {
  headers: { get(name: string): string | null };
  url: URL;
  /** The query parameters when already known; `null` when the request has none. Default: `url.searchParams`. */
  query?: URLSearchParams | null;
  /**
   * The raw query string (after `?`), when known: a parameter whose name does not occur in it (and
   * nothing in it is encoded) is absent without parsing the query.
   */
  rawQuery?: string;
}

/** Whether `name` may be a parameter of `raw` (false only when it certainly is not). */
function mayHaveParam(raw: string | undefined, name: string): boolean {
  return raw === undefined || raw.includes(name) || raw.includes("%") || raw.includes("+");
}

/** Distinct locations in Envoy's order: headers by name+prefix, then parameters, then cookies, each sorted. */
export function indexLocations(rules: readonly JwtRuleTable[]): LocationIndex {
  const headers = new Map<string, IndexedLocation>();
  const params = new Map<string, IndexedLocation>();
  const cookies = new Map<string, IndexedLocation>();
  const strictHeaders = new Set<string>();
  const add = (map: Map<string, IndexedLocation>, key: string, location: TokenLocation, rule: number) => {
    let entry = map.get(key);
    if (!entry) map.set(key, (entry = { location, rules: [] }));
    if (!entry.rules.includes(rule)) entry.rules.push(rule);
  };
  rules.forEach((rule, i) => {
    for (const h of rule.fromHeaders) {
      add(headers, h.name + h.prefix, { kind: "header", name: h.name, prefix: h.prefix }, i);
      if (!rule.defaultLocations && h.prefix !== "") strictHeaders.add(h.name);
    }
    for (const p of rule.fromParams) add(params, p, { kind: "param", name: p }, i);
    for (const c of rule.fromCookies) add(cookies, c, { kind: "cookie", name: c }, i);
  });
  const sorted = (m: Map<string, IndexedLocation>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return { locations: [...sorted(headers), ...sorted(params), ...sorted(cookies)], strictHeaders };
}

/**
 * The tokens a request carries, in location order. Fails (naming the header) when a strict header is
 * present but carries none of its prefixes.
 */
export function extractTokens(index: LocationIndex, req: TokenSource): Extraction {
  const tokens: FoundToken[] = [];
  const headerHits = new Set<string>();
  let cookies: Map<string, string> | undefined;
  for (const { location, rules } of index.locations) {
    let token: string | undefined;
    switch (location.kind) {
      case "header": {
        const value = req.headers.get(location.name);
        if (value === null) break;
        if (location.prefix === "") token = value;
        else {
          const at = value.indexOf(location.prefix);
          if (at >= 0) token = tokenAfter(value, at + location.prefix.length);
        }
        if (token !== undefined) headerHits.add(location.name);
        break;
      }
      case "param": {
        // `query: null` says the request has no query string (no URL needs parsing for that).
        if (!mayHaveParam(req.rawQuery, location.name)) break;
        const params = req.query === undefined ? req.url.searchParams : req.query;
        const v = params === null ? null : params.get(location.name);
        if (v !== null) token = v;
        break;
      }
      case "cookie": {
        cookies ??= parseCookies(req.headers.get("cookie"));
        token = cookies.get(location.name);
        break;
      }
    }
    if (token !== undefined) tokens.push({ token, location, rules });
  }
  for (const name of index.strictHeaders) {
    if (!headerHits.has(name) && req.headers.get(name) !== null) return { ok: false, header: name };
  }
  return { ok: true, tokens };
}

const JWT_CHARS = /[A-Za-z0-9\-_.]/;

/** Envoy `extractJWT`: skip to the first base64url-or-dot character at or after `from`; the rest is the token. */
function tokenAfter(value: string, from: number): string {
  for (let i = from; i < value.length; i++) if (JWT_CHARS.test(value[i]!)) return value.slice(i);
  return value;
}

/** `Cookie` header → name → value (first occurrence wins; surrounding double quotes removed), as Envoy parses it. */
export function parseCookies(header: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name !== "" && !out.has(name)) out.set(name, value);
  }
  return out;
}
