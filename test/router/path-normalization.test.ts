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
];

describe("normalizePath", () => {
  for (const [input, ...expected] of rows) {
    MODES.forEach((mode, i) => {
      it(`${mode} ${JSON.stringify(input)} → ${JSON.stringify(expected[i])}`, () => {
        expect(normalizePath(input, mode)).toBe(expected[i]);
      });
    });
  }

  it("is idempotent and never leaves dot segments (property)", () => {
    const seg = fc.constantFrom("a", "b", ".", "..", "%2e", "%2E%2e", "", "x.y", "%2F", "%5c");
    fc.assert(
      fc.property(fc.array(seg, { maxLength: 8 }), fc.constantFrom<PathNormalization>("BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES"), (segs, mode) => {
        const once = normalizePath("/" + segs.join("/"), mode);
        expect(normalizePath(once, mode)).toBe(once);
        expect(once.startsWith("/")).toBe(true);
        for (const s of once.split("/")) expect([".", ".."]).not.toContain(s.toLowerCase().replace(/%2e/g, "."));
      }),
    );
  });
});
