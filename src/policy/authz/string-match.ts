/**
 * AuthorizationPolicy's string syntax, as pilot translates it into Envoy matchers: `abc` exact,
 * `abc*` prefix, `*abc` suffix, and a lone `*` that is either "any non-empty value" (Envoy regex
 * `.+`: paths, principals, claims, SNI) or "present" (Envoy `present_match`: hosts, methods,
 * request headers). No infix wildcards, no regexes.
 */
// Envoy's `ignore_case` folds ASCII only (Unicode case mapping would let look-alikes through): the router's fold.
import { asciiLower } from "../../router/request-view.js";


/** Matches one value; undefined means the attribute is absent. */
export type ValueMatcher = (value: string | undefined) => boolean;

export interface StringMatchOptions {
  /** What a lone `*` means. */
  star: "nonEmpty" | "present";
  /** ASCII case-insensitive (hosts). */
  ignoreCase?: boolean;
}

export function istioStringMatcher(pattern: string, opts: StringMatchOptions): ValueMatcher {
  if (pattern === "*") return opts.star === "present" ? (v) => v !== undefined : (v) => v !== undefined && v.length > 0;
  const fold = opts.ignoreCase ? asciiLower : (s: string) => s;
  if (pattern.startsWith("*")) {
    const suffix = fold(pattern.slice(1));
    return (v) => v !== undefined && fold(v).endsWith(suffix);
  }
  if (pattern.endsWith("*")) {
    const prefix = fold(pattern.slice(0, -1));
    return (v) => v !== undefined && fold(v).startsWith(prefix);
  }
  const exact = fold(pattern);
  return (v) => v !== undefined && fold(v) === exact;
}

