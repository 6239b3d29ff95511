/**
 * `paths` URI templates (`/foo/{*}`, `/foo/{**}`), matched as Envoy's uri_template matcher does after
 * pilot rewrites `{*}` → `*` and `{**}` → `**`: the path (no query) must fully match
 * `/` + segments joined by `/`, where `*` is one segment of RFC 3986 pchar characters (without `*`
 * and `=`), `**` any run of those characters and `/` (zero or more segments), and literals match
 * themselves. A trailing `/` in the template requires one in the path (`/foo/{**}/` does not match
 * `/foo/bar`). Compiled once to an RE2 regex (linear time).
 */
import { compileFullMatch, RE2JS, type FullMatcher } from "../../config/regex.js";
import { MATCH_ANY_TEMPLATE, MATCH_ONE_TEMPLATE, pathTemplateError } from "../../config/schemas/authorization-policy.js";

/** Envoy's kLiteral character class: unreserved, pct-encoded, sub-delims without `*` and `=`, `:` and `@`. */
const PCHAR = "a-zA-Z0-9\\-._~%!$&'()+,;:@";
const ONE_SEGMENT = `[${PCHAR}]+`;
const ANY_SEGMENTS = `[${PCHAR}/]*`;

/** The RE2 pattern for a valid template, or undefined when the template is invalid. */
export function pathTemplateRegex(template: string): string | undefined {
  if (pathTemplateError(template) !== undefined || !template.startsWith("/")) return undefined;
  const parts = template.slice(1).split("/");
  return (
    "/" +
    parts
      .map((seg) => (seg === MATCH_ONE_TEMPLATE ? ONE_SEGMENT : seg === MATCH_ANY_TEMPLATE ? ANY_SEGMENTS : RE2JS.quote(seg)))
      .join("/")
  );
}

export function compilePathTemplate(template: string): FullMatcher | undefined {
  const pattern = pathTemplateRegex(template);
  return pattern === undefined ? undefined : compileFullMatch(pattern);
}
