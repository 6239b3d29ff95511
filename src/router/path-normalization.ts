/**
 * Istio's mesh-wide path normalization (meshConfig.pathNormalization), applied before routing,
 * authorization and forwarding, so all three see the same path:
 * - NONE: as received.
 * - BASE (Istio's default): RFC 3986 dot-segment removal (`/a/./b/../c` → `/a/c`, `%2e` counts as a
 *   dot, as in Envoy's Chromium-based canonicalizer), with backslashes turned into slashes.
 * - MERGE_SLASHES: BASE, then runs of slashes merged (`//a///b` → `/a/b`).
 * - DECODE_AND_MERGE_SLASHES: `%2F`/`%2f` decoded to `/` and `%5C`/`%5c` to `\` first, then MERGE_SLASHES.
 * The query string is kept untouched.
 */

export type PathNormalization = "NONE" | "BASE" | "MERGE_SLASHES" | "DECODE_AND_MERGE_SLASHES";

export function normalizePath(pathAndQuery: string, mode: PathNormalization): string {
  if (mode === "NONE") return pathAndQuery;
  const q = pathAndQuery.indexOf("?");
  let path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = q < 0 ? "" : pathAndQuery.slice(q);
  if (mode === "DECODE_AND_MERGE_SLASHES") path = path.replace(/%2f/gi, "/").replace(/%5c/gi, "\\");
  path = removeDotSegments(path.replace(/\\/g, "/"));
  if (mode === "MERGE_SLASHES" || mode === "DECODE_AND_MERGE_SLASHES") path = path.replace(/\/{2,}/g, "/");
  return path + query;
}

function isDot(seg: string): boolean {
  return seg === "." || seg.toLowerCase() === "%2e";
}

function isDotDot(seg: string): boolean {
  if (seg.length !== 2 && seg.length !== 4 && seg.length !== 6) return false;
  const s = seg.toLowerCase().replace(/%2e/g, ".");
  return s === "..";
}

/** RFC 3986 §5.2.4 on an absolute path; `..` never climbs above the root. */
export function removeDotSegments(path: string): string {
  if (!/\.|%2e/i.test(path)) return path;
  const absolute = path.startsWith("/");
  const segments = (absolute ? path.slice(1) : path).split("/");
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (isDot(seg)) {
      if (last) out.push("");
      continue;
    }
    if (isDotDot(seg)) {
      out.pop();
      if (last) out.push("");
      continue;
    }
    out.push(seg);
  }
  return (absolute ? "/" : "") + out.join("/");
}
