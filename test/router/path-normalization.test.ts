/**
 * Istio's path normalization modes (meshConfig.pathNormalization), one row per input and mode.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizePath, type PathNormalization } from "../../src/router/path-normalization.js";

const MODES: PathNormalization[] = ["NONE", "BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES"];

// input, then expected for NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES
const rows: Array<[string, string, string, string, string]> = [
  ["/a/b/c", "/a/b/c", "/a/b/c", "/a/b/c", "/a/b/c"],
  ["/a/./b/../c", "/a/./b/../c", "/a/c", "/a/c", "/a/c"],
  ["/a/b/..", "/a/b/..", "/a/", "/a/", "/a/"],
  ["/a/b/.", "/a/b/.", "/a/b/", "/a/b/", "/a/b/"],
  ["/../../x", "/../../x", "/x", "/x", "/x"],
  ["/..", "/..", "/", "/", "/"],
  ["/a/%2e%2e/b", "/a/%2e%2e/b", "/b", "/b", "/b"],
  ["/a/%2E/b", "/a/%2E/b", "/a/b", "/a/b", "/a/b"],
  ["/a/.%2e/b", "/a/.%2e/b", "/b", "/b", "/b"],
  ["/a/..b/c", "/a/..b/c", "/a/..b/c", "/a/..b/c", "/a/..b/c"],
  ["/a\\b", "/a\\b", "/a/b", "/a/b", "/a/b"],
  ["//a///b//", "//a///b//", "//a///b//", "/a/b/", "/a/b/"],
  ["/a%2Fb", "/a%2Fb", "/a%2Fb", "/a%2Fb", "/a/b"],
  ["/a%2f..%2fb", "/a%2f..%2fb", "/a%2f..%2fb", "/a%2f..%2fb", "/b"],
  ["/a%5Cb", "/a%5Cb", "/a%5Cb", "/a%5Cb", "/a/b"],
  ["/a%2F%2Fb", "/a%2F%2Fb", "/a%2F%2Fb", "/a%2F%2Fb", "/a/b"],
  ["/admin/../public?x=/../y", "/admin/../public?x=/../y", "/public?x=/../y", "/public?x=/../y", "/public?x=/../y"],
  ["/p?q=//a", "/p?q=//a", "/p?q=//a", "/p?q=//a", "/p?q=//a"],
  ["/", "/", "/", "/", "/"],
  // Percent-encoded unreserved characters (ALPHA DIGIT - . _ ~) are decoded, as Envoy's canonicalizer does.
  ["/%61dmin", "/%61dmin", "/admin", "/admin", "/admin"],
  ["/adm%69n", "/adm%69n", "/admin", "/admin", "/admin"],
  ["/%41%5a%30%2D%5F%7E", "/%41%5a%30%2D%5F%7E", "/AZ0-_~", "/AZ0-_~", "/AZ0-_~"],
  ["/a%2eb", "/a%2eb", "/a.b", "/a.b", "/a.b"],
  // Reserved and other escapes are kept exactly as sent (hex case too).
  ["/a%2fb%3F%20c%e2%82%ac", "/a%2fb%3F%20c%e2%82%ac", "/a%2fb%3F%20c%e2%82%ac", "/a%2fb%3F%20c%e2%82%ac", "/a/b%3F%20c%e2%82%ac"],
  ["/a%zz%4", "/a%zz%4", "/a%zz%4", "/a%zz%4", "/a%zz%4"],
  // Characters not allowed in a path are percent-encoded (upper-case hex); non-ASCII as UTF-8.
  ["/a b\"<>^`{|}", "/a b\"<>^`{|}", "/a%20b%22%3C%3E%5E%60%7B%7C%7D", "/a%20b%22%3C%3E%5E%60%7B%7C%7D", "/a%20b%22%3C%3E%5E%60%7B%7C%7D"],
  ["/caf\u00e9", "/caf\u00e9", "/caf%C3%A9", "/caf%C3%A9", "/caf%C3%A9"],
  // An escape that only appears once an inner escape is decoded stays escaped (%25).
  ["/%%30%30", "/%%30%30", "/%2500", "/%2500", "/%2500"],
  ["/%%361", "/%%361", "/%2561", "/%2561", "/%2561"],
  ["/a/.%2E%2fb", "/a/.%2E%2fb", "/a/..%2fb", "/a/..%2fb", "/b"],
];

describe("normalizePath refuses what Envoy refuses", () => {
  for (const raw of ["/a%00b", "/%00", "/a\u0000b", "/x/%00/../y"]) {
    it(`${JSON.stringify(raw)}: undefined (400) in BASE and beyond, as received in NONE`, () => {
      for (const mode of ["BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES"] as const) expect(normalizePath(raw, mode)).toBeUndefined();
      expect(normalizePath(raw, "NONE")).toBe(raw);
    });
  }
});

describe("normalizePath", () => {
  for (const [input, ...expected] of rows) {
    MODES.forEach((mode, i) => {
      it(`${mode} ${JSON.stringify(input)} → ${JSON.stringify(expected[i])}`, () => {
        expect(normalizePath(input, mode)).toBe(expected[i]);
      });
    });
  }

  it("is idempotent and never leaves dot segments (property)", () => {
    const seg = fc.constantFrom("a", "b", ".", "..", "%2e", "%2E%2e", "", "x.y", "%2F", "%5c", "%61", "%", "%%3", "0", "%25", " ", "\u00e9");
    fc.assert(
      fc.property(fc.array(seg, { maxLength: 8 }), fc.constantFrom<PathNormalization>("BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES"), (segs, mode) => {
        const once = normalizePath("/" + segs.join("/"), mode)!;
        expect(normalizePath(once, mode)).toBe(once);
        expect(once.startsWith("/")).toBe(true);
        for (const s of once.split("/")) expect([".", ".."]).not.toContain(s.toLowerCase().replace(/%2e/g, "."));
      }),
    );
  });
});
