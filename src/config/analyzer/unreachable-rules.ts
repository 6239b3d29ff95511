/**
 * Rules and matches that can never be used (Istio's webhook warnings, reported by `istioctl analyze`
 * as IST0130 VirtualServiceUnreachableRule and IST0131 VirtualServiceIneffectiveMatch). Routes are
 * evaluated in order, first match wins, so:
 * - a rule without `match` catches everything: only the last rule may have none
 *   ("only the last rule can have no matches"), and rules after it are dead
 *   ("route without matches defined before");
 * - a match block equal to an earlier one (ignoring `name`) is never used (IST0131), and a rule whose
 *   matches all are such duplicates is dead ("all matches used by prior rules");
 * - a match block that an earlier one covers is never used (IST0131). Istio checks this for
 *   prefix-covered prefix matches (`/debug` before `/debugs`) with compatible method, authority,
 *   headers, query parameters and port; here every condition of the earlier block must be implied by
 *   the later one, which finds the same cases and never reports a match that can still be reached.
 */
import type { AnalysisContext } from "./context.js";
import { virtualServiceIneffectiveMatch, virtualServiceUnreachableRule, type Finding } from "./messages.js";
import type { HTTPMatchRequest, HTTPRoute, StringMatch, VirtualServiceSpec } from "./specs.js";

/** Reports a finding at a field path of the VirtualService being analyzed. */
type Report = (finding: Finding, path: string) => void;

export function analyzeUnreachableRules(ctx: AnalysisContext): void {
  for (const vs of ctx.of<VirtualServiceSpec>("VirtualService")) {
    const report: Report = (f, path) => ctx.report(vs, f, path);
    analyzeHTTPRules(vs.spec.http ?? [], report);
    analyzeL4Rules(vs.spec.tcp ?? [], "tcp", report);
    analyzeL4Rules(vs.spec.tls ?? [], "tls", report);
  }
}

/** Istio's rule label in messages: the quoted `name`, or `#index`. */
function routeName(route: { name?: string } | undefined, i: number): string {
  return route?.name ? JSON.stringify(route.name) : `#${i}`;
}

interface SeenMatch {
  match: HTTPMatchRequest;
  rule: string;
  name: string;
}

export function analyzeHTTPRules(routes: readonly HTTPRoute[], report: Report): void {
  const firstRuleOf = new Map<string, number>();
  const seen: SeenMatch[] = [];
  let catchAll = -1;
  routes.forEach((route, i) => {
    const rule = routeName(route, i);
    const matches = route.match ?? [];
    if (matches.length === 0) {
      if (catchAll >= 0) report(virtualServiceUnreachableRule(rule, "only the last rule can have no matches"), `spec.http[${i}]`);
      catchAll = i;
      return;
    }
    if (catchAll >= 0) {
      report(virtualServiceUnreachableRule(rule, "route without matches defined before"), `spec.http[${i}]`);
      return;
    }
    let duplicates = 0;
    matches.forEach((match, j) => {
      const path = `spec.http[${i}].match[${j}]`;
      const name = match.name ? JSON.stringify(match.name) : `#${j}`;
      const key = canonicalMatch(match);
      const dup = firstRuleOf.get(key);
      if (dup !== undefined) {
        report(virtualServiceIneffectiveMatch(rule, name, routeName(routes[dup], dup)), path);
        duplicates++;
        return;
      }
      firstRuleOf.set(key, i);
      const earlier = seen.find((s) => matchCovers(s.match, match));
      if (earlier) {
        const a = earlier.match.uri?.prefix;
        const b = match.uri?.prefix;
        if (a && b) {
          // Istio's wording for prefix-covered prefix matches.
          report(virtualServiceIneffectiveMatch(rule, `${name} of prefix ${b}`, `${earlier.name} of prefix ${a} on ${earlier.rule}`), path);
        } else {
          report(virtualServiceIneffectiveMatch(rule, name, earlier.rule), path);
        }
      }
      seen.push({ match, rule, name });
    });
    if (duplicates === matches.length) report(virtualServiceUnreachableRule(rule, "all matches used by prior rules"), `spec.http[${i}]`);
  });
}

/** TCP and TLS routes: the same rules with exact duplicates only (their matches have no names). */
export function analyzeL4Rules(routes: readonly { match?: readonly unknown[] }[], section: "tcp" | "tls", report: Report): void {
  const firstRuleOf = new Map<string, number>();
  let catchAll = -1;
  routes.forEach((route, i) => {
    const matches = route.match ?? [];
    if (matches.length === 0) {
      if (catchAll >= 0) report(virtualServiceUnreachableRule(`#${i}`, "only the last rule can have no matches"), `spec.${section}[${i}]`);
      catchAll = i;
      return;
    }
    if (catchAll >= 0) {
      report(virtualServiceUnreachableRule(`#${i}`, "route without matches defined before"), `spec.${section}[${i}]`);
      return;
    }
    let duplicates = 0;
    matches.forEach((match, j) => {
      const key = canonicalJSON(dropZeroFields(match as Record<string, unknown>));
      const dup = firstRuleOf.get(key);
      if (dup !== undefined) {
        report(virtualServiceIneffectiveMatch(`#${i}`, `#${j}`, `#${dup}`), `spec.${section}[${i}].match[${j}]`);
        duplicates++;
      } else {
        firstRuleOf.set(key, i);
      }
    });
    if (duplicates === matches.length) report(virtualServiceUnreachableRule(`#${i}`, "all matches used by prior rules"), `spec.${section}[${i}]`);
  });
}

/**
 * A match block as Istio compares them (`asJSON` of the proto without `name`): zero values
 * (`false`, `0`, `""`, empty lists and maps) are the same as absent, key order does not matter.
 */
export function canonicalMatch(match: HTTPMatchRequest): string {
  const { name: _name, ...rest } = match;
  return canonicalJSON(dropZeroFields(rest as Record<string, unknown>));
}

function dropZeroFields(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || v === false || v === 0 || v === "") continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0) continue;
    out[k] = v;
  }
  return out;
}

function canonicalJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJSON).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJSON(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Fields of a match block that do not restrict which requests it matches. */
const NOT_CONDITIONS = new Set(["name", "statPrefix"]);
/** Fields `matchCovers` knows how to compare; any other set field on the earlier block makes it give up. */
const CONDITIONS = new Set([
  "uri", "ignoreUriCase", "scheme", "method", "authority", "headers", "queryParams", "withoutHeaders",
  "port", "sourceLabels", "gateways", "sourceNamespace",
]);

/**
 * Does every request (and proxy) that `b` matches also match `a`? Then `b`, placed after `a`, is
 * never used. Conservative: when in doubt (regexes that differ, fields it does not know) the answer is no.
 */
export function matchCovers(a: HTTPMatchRequest, b: HTTPMatchRequest): boolean {
  for (const [k, v] of Object.entries(dropZeroFields(a as Record<string, unknown>))) {
    if (!NOT_CONDITIONS.has(k) && !CONDITIONS.has(k) && v !== undefined) return false;
  }
  if (!uriCovers(a.uri, a.ignoreUriCase ?? false, b.uri, b.ignoreUriCase ?? false)) return false;
  if (!stringMatchCovers(a.scheme, b.scheme)) return false;
  if (!stringMatchCovers(a.method, b.method)) return false;
  if (!stringMatchCovers(a.authority, b.authority)) return false;
  if (!mapCovers(a.headers, b.headers, true)) return false;
  if (!mapCovers(a.queryParams, b.queryParams, false)) return false;
  for (const [k, m] of Object.entries(a.withoutHeaders ?? {})) {
    // `b` must exclude at least what `a` excludes; only an identical matcher is certain to.
    const other = lookup(b.withoutHeaders, k, true);
    if (!other || canonicalJSON(other) !== canonicalJSON(m)) return false;
  }
  if (a.port && a.port !== b.port) return false;
  for (const [k, v] of Object.entries(a.sourceLabels ?? {})) if (b.sourceLabels?.[k] !== v) return false;
  if (a.gateways?.length && !(b.gateways?.length && b.gateways.every((g) => a.gateways!.includes(g)))) return false;
  if (a.sourceNamespace && a.sourceNamespace !== b.sourceNamespace) return false;
  return true;
}

function uriCovers(a: StringMatch | undefined, aIgnoreCase: boolean, b: StringMatch | undefined, bIgnoreCase: boolean): boolean {
  if (!a || isEmptyMatch(a)) return true;
  if (a.prefix === "" || a.prefix === "/") return true; // every path starts with "/"
  if (!b) return false;
  if (a.regex !== undefined) return b.regex === a.regex; // ignoreUriCase does not apply to regex
  if (bIgnoreCase && !aIgnoreCase) return false;
  const fold = (s: string) => (aIgnoreCase ? s.toLowerCase() : s);
  if (a.exact !== undefined) return b.exact !== undefined && fold(b.exact) === fold(a.exact);
  if (a.prefix !== undefined) {
    const s = b.exact ?? b.prefix;
    return s !== undefined && fold(s).startsWith(fold(a.prefix));
  }
  return false;
}

/** `a` and `b` match the same pseudo-header; an absent matcher matches anything. */
function stringMatchCovers(a: StringMatch | undefined, b: StringMatch | undefined): boolean {
  if (!a || isEmptyMatch(a) || a.prefix === "") return true;
  if (!b) return false;
  return valueCovers(a, b);
}

function valueCovers(a: StringMatch, b: StringMatch): boolean {
  if (a.regex !== undefined) return b.regex === a.regex;
  if (a.exact !== undefined) return b.exact === a.exact;
  if (a.prefix !== undefined) {
    const s = b.exact ?? b.prefix;
    return s !== undefined && s.startsWith(a.prefix);
  }
  return false;
}

/** Header or query-parameter maps: every key of `a` must be matched by `b` at least as narrowly. */
function mapCovers(a: Record<string, StringMatch> | undefined, b: Record<string, StringMatch> | undefined, caseInsensitiveKeys: boolean): boolean {
  for (const [k, m] of Object.entries(a ?? {})) {
    const other = lookup(b, k, caseInsensitiveKeys);
    if (!other) return false;
    // `{}` or `regex: "*"` is a presence match, and any matcher on `b` requires presence.
    if (isEmptyMatch(m) || m.regex === "*") continue;
    if (isEmptyMatch(other) || other.regex === "*") return false;
    if (!valueCovers(m, other)) return false;
  }
  return true;
}

function lookup(map: Record<string, StringMatch> | undefined, key: string, caseInsensitive: boolean): StringMatch | undefined {
  if (!map) return undefined;
  if (Object.hasOwn(map, key) || !caseInsensitive) return map[key];
  const k = key.toLowerCase();
  for (const [name, m] of Object.entries(map)) if (name.toLowerCase() === k) return m;
  return undefined;
}

function isEmptyMatch(m: StringMatch): boolean {
  return m.exact === undefined && m.prefix === undefined && m.regex === undefined;
}
