/**
 * A one-line, human-readable form of a compiled match, for `/_mesh/explain` and logs:
 * `uri prefix "/reviews" && header end-user exact "jason"`.
 */
import type { RouteMatch, StringMatch } from "../config/snapshot.js";

function sm(m: StringMatch): string {
  if (m.exact !== undefined) return `exact ${JSON.stringify(m.exact)}`;
  if (m.prefix !== undefined) return `prefix ${JSON.stringify(m.prefix)}`;
  if (m.regex !== undefined) return `regex ${JSON.stringify(m.regex)}`;
  return "present";
}

export function describeMatch(m: RouteMatch): string {
  const parts: string[] = [];
  if (m.uri) parts.push(`uri ${sm(m.uri)}${m.ignoreUriCase ? " (ignoreUriCase)" : ""}`);
  if (m.scheme) parts.push(`scheme ${sm(m.scheme)}`);
  if (m.method) parts.push(`method ${sm(m.method)}`);
  if (m.authority) parts.push(`authority ${sm(m.authority)}`);
  for (const h of m.headers ?? []) {
    const what = h.value ? sm(h.value) : "present";
    parts.push(h.invert ? `without header ${h.name} ${what}` : `header ${h.name} ${what}`);
  }
  for (const q of m.queryParams ?? []) parts.push(`query ${q.name} ${q.value ? sm(q.value) : "present"}`);
  for (const c of m.claims ?? []) {
    const what = c.value ? sm(c.value) : "present";
    parts.push(`${c.invert ? "without " : ""}claim ${c.path.join(".")} ${what}`);
  }
  if (m.port !== undefined) parts.push(`port ${m.port}`);
  if (m.sourceNamespace !== undefined) parts.push(`sourceNamespace ${JSON.stringify(m.sourceNamespace)}`);
  if (m.sourceLabels) {
    parts.push(`sourceLabels ${Object.entries(m.sourceLabels).map(([k, v]) => `${k}=${v}`).join(",")}`);
  }
  return parts.length > 0 ? parts.join(" && ") : "any request (no match conditions)";
}
