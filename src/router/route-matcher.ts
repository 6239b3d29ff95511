/**
 * Compiles a RouteMatch (plain data) into predicates, once per snapshot: RE2 regexes compiled, case
 * folding done ahead, one closure per condition. `path` checks the uri; `rest` checks everything else
 * (the route index has already checked the path for routes it indexes).
 */
import { RE2JS } from "../config/regex.js";
import type { ClaimMatcher, HeaderMatcher, QueryParamMatcher, RouteMatch, StringMatch } from "../config/snapshot.js";
import { asciiLower, type RequestView } from "./request-view.js";
import { claimAt } from "../config/claim-path.js";

export type Predicate = (req: RequestView) => boolean;
export type StringTest = (value: string) => boolean;

/** Compiles RE2 patterns once per router, shared by every matcher that uses the same pattern. */
export class RegexCache {
  private readonly cache = new Map<string, RE2JS>();
  get(pattern: string): RE2JS {
    let re = this.cache.get(pattern);
    if (!re) {
      re = RE2JS.compile(pattern);
      this.cache.set(pattern, re);
    }
    return re;
  }
}

/** Envoy StringMatcher: exact / prefix case-sensitive, regex a full match (RE2). */
export function compileStringMatch(m: StringMatch, regexes: RegexCache): StringTest {
  if (m.exact !== undefined) {
    const e = m.exact;
    return (v) => v === e;
  }
  if (m.prefix !== undefined) {
    const p = m.prefix;
    return (v) => v.startsWith(p);
  }
  if (m.regex !== undefined) {
    const re = regexes.get(m.regex);
    return (v) => re.testExact(v);
  }
  return () => true;
}

/** The uri condition alone (Envoy path specifier; absent ⇒ prefix `/`). */
export function compilePathMatch(match: RouteMatch, regexes: RegexCache): Predicate {
  const uri = match.uri;
  const ci = match.ignoreUriCase === true;
  if (!uri) return (r) => r.path.startsWith("/");
  if (uri.exact !== undefined) {
    if (ci) {
      const e = asciiLower(uri.exact);
      return (r) => r.lowerPath === e;
    }
    const e = uri.exact;
    return (r) => r.path === e;
  }
  if (uri.prefix !== undefined) {
    if (ci) {
      const p = asciiLower(uri.prefix);
      return (r) => r.lowerPath.startsWith(p);
    }
    const p = uri.prefix;
    if (match.pathSeparatedPrefix && p !== "/") {
      const n = p.length;
      return (r) => r.path.startsWith(p) && (r.path.length === n || r.path.charCodeAt(n) === 47 /* / */);
    }
    return (r) => r.path.startsWith(p);
  }
  if (uri.regex !== undefined) {
    // ignoreUriCase does not apply to regex (use `(?i)`), as in Istio.
    const re = regexes.get(uri.regex);
    return (r) => re.testExact(r.path);
  }
  return () => true;
}

/** Every condition except the uri, ANDed; undefined when there is none. */
export function compileRestMatch(match: RouteMatch, regexes: RegexCache): Predicate | undefined {
  const preds: Predicate[] = [];
  if (match.method) {
    const t = compileStringMatch(match.method, regexes);
    preds.push((r) => t(r.input.method));
  }
  if (match.scheme) {
    const t = compileStringMatch(match.scheme, regexes);
    preds.push((r) => t(r.input.scheme));
  }
  if (match.authority) {
    const t = compileStringMatch(match.authority, regexes);
    preds.push((r) => t(r.input.authority));
  }
  if (match.port !== undefined) {
    const port = match.port;
    preds.push((r) => r.input.port === port);
  }
  if (match.sourceNamespace !== undefined) {
    const ns = match.sourceNamespace;
    preds.push((r) => r.input.sourceNamespace === ns);
  }
  if (match.sourceLabels) {
    const entries = Object.entries(match.sourceLabels);
    preds.push((r) => {
      const labels = r.input.sourceLabels;
      return labels !== undefined && entries.every(([k, v]) => labels[k] === v);
    });
  }
  for (const h of match.headers ?? []) preds.push(compileHeaderMatcher(h, regexes));
  for (const q of match.queryParams ?? []) preds.push(compileQueryParamMatcher(q, regexes));
  for (const c of match.claims ?? []) preds.push(compileClaimMatcher(c, regexes));
  if (preds.length === 0) return undefined;
  if (preds.length === 1) return preds[0];
  return (r) => {
    for (let i = 0; i < preds.length; i++) if (!preds[i]!(r)) return false;
    return true;
  };
}

/**
 * Envoy HeaderMatcher: absent value ⇒ presence. `invert` (withoutHeaders) negates the result, with a
 * missing header read as "" for value matchers (`treat_missing_header_as_empty`), so an absent header
 * satisfies `withoutHeaders: {x: {exact: foo}}`; the presence form then means "header absent".
 */
function compileHeaderMatcher(h: HeaderMatcher, regexes: RegexCache): Predicate {
  const name = h.name;
  if (!h.value) return h.invert ? (r) => r.header(name) === null : (r) => r.header(name) !== null;
  const t = compileStringMatch(h.value, regexes);
  if (h.invert) return (r) => !t(r.header(name) ?? "");
  return (r) => {
    const v = r.header(name);
    return v !== null && t(v);
  };
}

/** First value only; absent value ⇒ presence; a missing parameter never matches. */
function compileQueryParamMatcher(q: QueryParamMatcher, regexes: RegexCache): Predicate {
  const name = q.name;
  if (!q.value) return (r) => r.queryParam(name) !== undefined;
  const t = compileStringMatch(q.value, regexes);
  return (r) => {
    const v = r.queryParam(name);
    return v !== undefined && t(v);
  };
}

/**
 * A validated JWT claim (string, or list of strings where any element may match). No claims, a missing
 * claim or a non-string value never matches; `invert` negates that (Envoy's inverted metadata matcher).
 */
function compileClaimMatcher(c: ClaimMatcher, regexes: RegexCache): Predicate {
  const path = c.path;
  const t = c.value ? compileStringMatch(c.value, regexes) : undefined;
  const test = (r: RequestView): boolean => {
    const v = claimAt(r.input.claims, path);
    if (v === undefined || v === null) return false;
    if (!t) return true;
    if (typeof v === "string") return t(v);
    if (Array.isArray(v)) return v.some((e) => typeof e === "string" && t(e));
    return false;
  };
  return c.invert ? (r) => !test(r) : test;
}
