/**
 * Istio's mesh-wide path normalization (meshConfig.pathNormalization), applied before routing,
 * authorization, rate limits and forwarding, so all of them and the upstream see the same path:
 * - NONE: as received.
 * - BASE (Istio's default): Envoy's `normalize_path`, i.e. Chromium's RFC 3986 path canonicalizer
 *   (`canonicalizePath` below): percent-encoded unreserved characters (`ALPHA DIGIT - . _ ~`) are
 *   decoded (`/%61dmin` → `/admin`), dot segments removed (`%2e` counts as a dot), backslashes turned
 *   into slashes, characters that are not allowed in a path percent-encoded, every other escape kept
 *   exactly as sent (`%2F` stays `%2F`). A path holding `%00` (or a NUL byte) is refused: 400.
 * - MERGE_SLASHES: BASE, then runs of slashes merged (`//a///b` → `/a/b`).
 * - DECODE_AND_MERGE_SLASHES: `%2F`/`%2f` decoded to `/` and `%5C`/`%5c` to `\` first, then
 *   MERGE_SLASHES.
 * The query string is kept untouched.
 */

export type PathNormalization = "NONE" | "BASE" | "MERGE_SLASHES" | "DECODE_AND_MERGE_SLASHES";

/** The normalized path and query, or undefined when the path is invalid (Envoy answers 400). */
export function normalizePath(pathAndQuery: string, mode: PathNormalization): string | undefined {
  if (mode === "NONE") return pathAndQuery;
  const q = pathAndQuery.indexOf("?");
  let path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const query = q < 0 ? "" : pathAndQuery.slice(q);
  if (mode === "DECODE_AND_MERGE_SLASHES") path = path.replace(/%2f/gi, "/").replace(/%5c/gi, "\\");
  const canonical = canonicalizePath(path);
  if (canonical === undefined) return undefined;
  path = canonical;
  if (mode === "MERGE_SLASHES" || mode === "DECODE_AND_MERGE_SLASHES") path = path.replace(/\/{2,}/g, "/");
  return path + query;
}

// What the canonicalizer does with each ASCII character, written or percent-encoded
// (Chromium's kPathCharLookup, which Envoy ships as its `normalize_path` implementation).
const PASS = 0; // copied; kept escaped when it arrives escaped
const SPECIAL = 1; // needs a look (dot, backslash, percent) or a change
const ESCAPE = 2 | SPECIAL; // must be percent-encoded in the output
const UNESCAPE = 4; // an escaped form is decoded (unreserved characters)
const INVALID = 8 | SPECIAL; // NUL: the path is refused

const CHARS = new Uint8Array(128);
for (let c = 0; c < 32; c++) CHARS[c] = ESCAPE;
CHARS[0] = INVALID;
for (const ch of ' "#%<>?\\^`{|}\x7f') CHARS[ch.charCodeAt(0)] = ESCAPE;
for (const ch of "-_~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") CHARS[ch.charCodeAt(0)] = UNESCAPE;
CHARS[46] = SPECIAL; // "."

const HEX = "0123456789ABCDEF";

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** The byte a `%XY` at `i` encodes, or -1. */
function escapedAt(s: string, i: number, end: number): number {
  if (i + 2 >= end) return -1;
  const hi = hexValue(s.charCodeAt(i + 1));
  const lo = hexValue(s.charCodeAt(i + 2));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/** Length of the dot at `i`: 1 for `.`, 3 for `%2e`/`%2E`, else 0. */
function dotAt(s: string, i: number, end: number): number {
  const c = s.charCodeAt(i);
  if (c === 46) return 1;
  if (c === 37 && i + 2 < end && s.charCodeAt(i + 1) === 50 && (s.charCodeAt(i + 2) | 32) === 101) return 3;
  return 0;
}

const isSlash = (c: number) => c === 47 || c === 92;

/** Nothing in the path needs the canonicalizer (the common case: letters, digits and slashes). */
function isPlain(path: string): boolean {
  if (path.charCodeAt(0) !== 47) return false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c >= 128 || CHARS[c]! & SPECIAL) return false;
  }
  return true;
}

/**
 * RFC 3986 canonical form of an absolute path, as Chromium's `CanonicalizePath` makes it (Envoy's
 * `normalize_path`). Undefined when the path holds a NUL, escaped or not.
 */
export function canonicalizePath(path: string): string | undefined {
  if (isPlain(path)) return path;
  const end = path.length;
  let out = isSlash(path.charCodeAt(0)) ? "" : "/";
  let valid = true;
  // Where an invalid `%` was copied to the output: a later decode right after it could complete a
  // new escape (`%%30%30` → `%00`); such a `%` is written as `%25`.
  let lastInvalidPercent = -10;
  for (let i = 0; i < end; i++) {
    const c = path.charCodeAt(i);
    if (c >= 128) {
      // Non-ASCII: percent-encoded as UTF-8 (a lone surrogate cannot be, and is refused).
      let j = i + 1;
      while (j < end && path.charCodeAt(j) >= 128) j++;
      try {
        out += encodeURIComponent(path.slice(i, j));
      } catch {
        return undefined;
      }
      i = j - 1;
      continue;
    }
    const flags = CHARS[c]!;
    if (!(flags & SPECIAL)) {
      out += path[i];
      continue;
    }
    const dot = dotAt(path, i, end);
    if (dot > 0) {
      if (out.endsWith("/")) {
        const after = i + dot;
        if (after === end || isSlash(path.charCodeAt(after))) {
          // `.` segment: dropped (with its slash).
          i = after === end ? after - 1 : after;
          continue;
        }
        const second = dotAt(path, after, end);
        if (second > 0 && (after + second === end || isSlash(path.charCodeAt(after + second)))) {
          // `..` segment: back up one segment, never above the root.
          out = backUpOneSegment(out);
          i = after + second === end ? end - 1 : after + second;
          continue;
        }
      }
      out += ".";
      i += dot - 1;
    } else if (c === 92) {
      out += "/";
    } else if (c === 37) {
      const value = escapedAt(path, i, end);
      if (value < 0) {
        lastInvalidPercent = out.length;
        out += "%";
      } else if (value < 128 && CHARS[value]! & UNESCAPE) {
        out += String.fromCharCode(value);
        i += 2;
        if (lastInvalidPercent >= out.length - 3) out = escapeNestedPercent(out, lastInvalidPercent, path, i + 1, end);
      } else {
        // Kept as sent (hex case too: servers may care).
        out += path.slice(i, i + 3);
        i += 2;
        if (value === 0) valid = false;
      }
    } else if (flags === INVALID) {
      out += "%00";
      valid = false;
    } else {
      out += "%" + HEX[c >> 4] + HEX[c & 15];
    }
  }
  return valid ? out : undefined;
}

/** `/a/b/` → `/a/`; `/` stays `/`. The output always ends with a slash here. */
function backUpOneSegment(out: string): string {
  if (out.length <= 1) return out;
  const prev = out.lastIndexOf("/", out.length - 2);
  return prev < 0 ? "/" : out.slice(0, prev + 1);
}

/**
 * The character just decoded sits within two characters of an invalid `%`; if the two characters
 * after that `%` (counting the next input character when only one is there yet) now form a valid
 * escape, the `%` becomes `%25`, so the output cannot decode to something the input did not say.
 */
function escapeNestedPercent(out: string, percent: number, path: string, next: number, end: number): string {
  let after = out.slice(percent + 1, percent + 3);
  if (after.length === 1) {
    if (next === end || path.charCodeAt(next) >= 128) return out;
    after += path[next];
  }
  if (hexValue(after.charCodeAt(0)) < 0 || hexValue(after.charCodeAt(1)) < 0) return out;
  return out.slice(0, percent) + "%25" + out.slice(percent + 1);
}
