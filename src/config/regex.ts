/**
 * User regexes meet attacker input, so they are RE2 (linear time) everywhere, compiled once per snapshot.
 * This module is the one place that knows the RE2 engine (re2js).
 */
import { RE2JS } from "re2js";

/** Istio's limit on a regex's length (pkg/config/validation). */
export const MAX_REGEX_LENGTH = 1024;

/** Why `pattern` is not a usable RE2 regex, or undefined when it is. */
export function regexError(pattern: string): string | undefined {
  if (pattern.length === 0) return "regex must not be empty";
  if (pattern.length > MAX_REGEX_LENGTH) return `regex is longer than ${MAX_REGEX_LENGTH} characters`;
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (e) {
    return `invalid RE2 regex ${JSON.stringify(pattern)}: ${(e as Error).message}`;
  }
}

/** A compiled regex that must match the whole input (Envoy `safe_regex` full-match semantics). */
export interface FullMatcher {
  test(input: string): boolean;
}

export function compileFullMatch(pattern: string, flags = 0): FullMatcher {
  const re = RE2JS.compile(pattern, flags);
  return { test: (input: string) => re.matches(input) };
}

export { RE2JS };
