/**
 * A rule's `match` blocks (a subset of VirtualService's HTTPMatchRequest) compiled once per snapshot
 * into one predicate: blocks ORed, fields of a block ANDed, RE2 regexes full-match, exact/prefix
 * case-sensitive except `uri` with `ignoreUriCase`. Header semantics follow the router's: `{}` is a
 * presence match; in `withoutHeaders` the result is inverted and a missing header reads as "".
 */
import { compileStringMatch as compileRouterStringMatch, RegexCache } from "../../router/route-matcher.js";
import type { StringMatch } from "../../config/schemas/common.js";
import type { RateLimitMatch } from "../../config/schemas/rate-limit-policy.js";
import { pathOnly, type RateLimitRequest } from "./request.js";

export type RequestPredicate = (req: RateLimitRequest) => boolean;
type StringTest = (value: string) => boolean;

/** @param regexes the compiled policy set's regex cache (one per rate limiter, shared by its rules) */
export function compileMatches(blocks: readonly RateLimitMatch[] | undefined, regexes = new RegexCache()): RequestPredicate | undefined {
  if (!blocks || blocks.length === 0) return undefined;
  const compileStringMatch = (m: StringMatch): StringTest => compileRouterStringMatch(m, regexes);
  const preds = blocks.map((b) => compileBlock(b, compileStringMatch));
  if (preds.length === 1) return preds[0];
  return (req) => preds.some((p) => p(req));
}

function compileBlock(m: RateLimitMatch, compileStringMatch: (m: StringMatch) => StringTest): RequestPredicate {
  const tests: RequestPredicate[] = [];
  if (m.uri) {
    const ci = m.ignoreUriCase === true && m.uri.regex === undefined;
    const t = compileStringMatch(ci ? lowerMatch(m.uri) : m.uri);
    tests.push(ci ? (req) => t(pathOnly(req.path).toLowerCase()) : (req) => t(pathOnly(req.path)));
  }
  if (m.method) {
    const t = compileStringMatch(m.method);
    tests.push((req) => t(req.method));
  }
  for (const [name, sm] of Object.entries(m.headers ?? {})) {
    const t = isPresence(sm) ? undefined : compileStringMatch(sm);
    tests.push((req) => {
      const v = req.headers.get(name);
      return v !== null && (t === undefined || t(v));
    });
  }
  for (const [name, sm] of Object.entries(m.withoutHeaders ?? {})) {
    const t = isPresence(sm) ? undefined : compileStringMatch(sm);
    tests.push((req) => {
      const v = req.headers.get(name);
      return !(t === undefined ? v !== null : t(v ?? ""));
    });
  }
  if (tests.length === 0) return () => true;
  return (req) => tests.every((t) => t(req));
}

function isPresence(m: StringMatch): boolean {
  return m.exact === undefined && m.prefix === undefined && (m.regex === undefined || m.regex === "*");
}

function lowerMatch(m: StringMatch): StringMatch {
  if (m.exact !== undefined) return { exact: m.exact.toLowerCase() };
  if (m.prefix !== undefined) return { prefix: m.prefix.toLowerCase() };
  return m;
}

