/**
 * Upstream path and authority rewrites (Istio HTTPRewrite → Envoy prefix_rewrite / regex_rewrite /
 * host_rewrite_literal). Pure functions over compiled route data; the regex of a `uriRegexRewrite` is
 * compiled once per snapshot (`compileRegexRewrite`, at hydrate).
 */
import { RE2JS } from "../config/regex.js";
import type { Route, RouteMatch, WeightedDestination } from "../config/snapshot.js";

/**
 * Envoy prefix_rewrite: a prefix match has its matched prefix replaced (a match without uri has the
 * implicit prefix `/`, so `/v2` on `/foo` gives `/v2foo`); an exact match has the whole path replaced;
 * a regex match has the whole path replaced. The query string is kept in every case.
 */
export function prefixRewrite(pathAndQuery: string, match: RouteMatch, replacement: string): string {
  const q = pathAndQuery.indexOf("?");
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = q < 0 ? "" : pathAndQuery.slice(q);
  const uri = match.uri;
  if (!uri) return replacement + path.slice(1) + query;
  if (uri.prefix !== undefined) {
    if (match.pathSeparatedPrefix) return replacePrefixMatch(path, uri.prefix, replacement) + query;
    return replacement + path.slice(uri.prefix.length) + query;
  }
  if (uri.exact !== undefined) return replacement + path.slice(uri.exact.length) + query;
  return replacement + query;
}

/**
 * Gateway API ReplacePrefixMatch: the matched segments are replaced, never leaving `//` nor an empty
 * path (`/foo/bar` with prefix `/foo`: `/` → `/bar`, `/x` → `/x/bar`, `/x/` → `/x/bar`; `/foo` → `/x`).
 */
export function replacePrefixMatch(path: string, prefix: string, replacement: string): string {
  const rest = path.slice(prefix === "/" ? 0 : prefix.length);
  const out = replacement.endsWith("/") && rest.startsWith("/") ? replacement.slice(0, -1) + rest : replacement + rest;
  return out === "" ? "/" : out.startsWith("/") ? out : `/${out}`;
}

export interface CompiledRegexRewrite {
  re: RE2JS;
  /** Literal text and capture-group numbers, in order. */
  parts: Array<string | number>;
}

export function compileRegexRewrite(rr: { match: string; rewrite: string }): CompiledRegexRewrite {
  return { re: RE2JS.compile(rr.match), parts: parseSubstitution(rr.rewrite) };
}

/** RE2 rewrite strings: `\0`–`\9` are groups, `\\` a backslash; anything else is literal. */
function parseSubstitution(s: string): Array<string | number> {
  const parts: Array<string | number> = [];
  let lit = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const next = s[i + 1];
    if (ch === "\\" && next !== undefined && next >= "0" && next <= "9") {
      if (lit) parts.push(lit);
      lit = "";
      parts.push(Number(next));
      i++;
    } else if (ch === "\\" && next === "\\") {
      lit += "\\";
      i++;
    } else lit += ch;
  }
  if (lit) parts.push(lit);
  return parts;
}

/**
 * Envoy regex_rewrite (RE2 GlobalReplace): every non-overlapping match in the path is replaced, with
 * `\1`…`\9` expanded; the query string is preserved.
 */
export function regexRewrite(pathAndQuery: string, rr: CompiledRegexRewrite | { match: string; rewrite: string }): string {
  const { re, parts } = "re" in rr ? rr : compileRegexRewrite(rr);
  const q = pathAndQuery.indexOf("?");
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = q < 0 ? "" : pathAndQuery.slice(q);
  const m = re.matcher(path);
  let out = "";
  let copied = 0;
  let from = 0;
  let lastEnd = -1;
  while (from <= path.length && m.find(from)) {
    const start = m.start();
    const end = m.end();
    if (start === end && start === lastEnd) {
      // RE2 does not allow an empty match right after the previous match.
      from = start + 1;
      continue;
    }
    out += path.slice(copied, start);
    for (const p of parts) out += typeof p === "number" ? (p <= m.groupCount() ? (m.group(p) ?? "") : "") : p;
    copied = end;
    lastEnd = end;
    from = end === start ? end + 1 : end;
  }
  return out + path.slice(copied) + query;
}

/**
 * The path to send upstream for a forward route (unchanged when the route has no uri rewrite).
 * `regex` is the route's `uriRegexRewrite` compiled at hydrate (compiled here when absent).
 */
export function rewritePath(route: Route, pathAndQuery: string, regex?: CompiledRegexRewrite): string {
  const rw = route.rewrite;
  if (!rw) return pathAndQuery;
  if (rw.uriRegexRewrite) return regexRewrite(pathAndQuery, regex ?? rw.uriRegexRewrite);
  if (rw.uri) return prefixRewrite(pathAndQuery, route.match, rw.uri);
  return pathAndQuery;
}

/**
 * The upstream authority, or undefined to keep the request's: a weighted destination's own host
 * rewrite wins (Envoy applies it after the route's), else the route's (`rewrite.authority` or a
 * `host`/`:authority` header op).
 */
export function rewriteAuthority(route: Route, destination?: WeightedDestination): string | undefined {
  return destination?.authority ?? route.rewrite?.authority;
}

/** Both rewrites for the request about to be forwarded. */
export function rewriteRequest(
  route: Route,
  destination: WeightedDestination | undefined,
  request: { path: string; authority: string },
  regex?: CompiledRegexRewrite,
): { path: string; authority: string } {
  return { path: rewritePath(route, request.path, regex), authority: rewriteAuthority(route, destination) ?? request.authority };
}
