/**
 * IST0131 must never call a reachable match ineffective: whenever matchCovers(a, b) says an earlier
 * block `a` covers a later block `b`, every request `b` matches must also match `a`. Checked against a
 * naive matcher over small generated matches and requests; plus the exact-duplicate key ignoring
 * names, zero values and key order.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalMatch, matchCovers } from "../../../src/config/analyzer/unreachable-rules.js";
import type { HTTPMatchRequest, StringMatch } from "../../../src/config/analyzer/specs.js";
import { compileFullMatch } from "../../../src/config/regex.js";

interface Req {
  path: string;
  method: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  port: number;
}

function valueMatches(m: StringMatch, v: string | undefined, fold = false): boolean {
  if (v === undefined) return false;
  const f = (s: string) => (fold ? s.toLowerCase() : s);
  if (m.exact !== undefined) return f(v) === f(m.exact);
  if (m.prefix !== undefined) return f(v).startsWith(f(m.prefix));
  if (m.regex !== undefined) return m.regex === "*" || compileFullMatch(m.regex).test(v);
  return true; // presence
}

/** What a VirtualService match block means for one request (the naive reference). */
function matches(m: HTTPMatchRequest, r: Req): boolean {
  if (m.uri && !valueMatches(m.uri, r.path, m.uri.regex === undefined && (m.ignoreUriCase ?? false))) return false;
  if (m.method && !valueMatches(m.method, r.method)) return false;
  for (const [k, sm] of Object.entries(m.headers ?? {})) if (!valueMatches(sm, r.headers[k.toLowerCase()])) return false;
  for (const [k, sm] of Object.entries(m.queryParams ?? {})) if (!valueMatches(sm, r.query[k])) return false;
  for (const [k, sm] of Object.entries(m.withoutHeaders ?? {})) {
    const v = r.headers[k.toLowerCase()];
    const present = v !== undefined;
    // Presence form: header must be absent; value form: a missing header counts as "" (Envoy treat_missing_header_as_empty).
    if (sm.exact === undefined && sm.prefix === undefined && sm.regex === undefined ? present : valueMatches(sm, v ?? "")) return false;
  }
  if (m.port && m.port !== r.port) return false;
  return true;
}

const str = (values: string[]) => fc.constantFrom(...values);
function stringMatch(values: string[], regexes: string[] = []): fc.Arbitrary<StringMatch> {
  const options: fc.Arbitrary<StringMatch>[] = [
    str(values).map((exact) => ({ exact })),
    str(values).map((prefix) => ({ prefix })),
  ];
  if (regexes.length) options.push(str(regexes).map((regex) => ({ regex })));
  return fc.oneof(...options);
}
const headerMatch = fc.oneof(stringMatch(["a", "ab", "b", ""], ["a.*", "b"]), fc.constant<StringMatch>({}));

const match: fc.Arbitrary<HTTPMatchRequest> = fc.record(
  {
    uri: stringMatch(["/", "/a", "/ab", "/A", "/b"], ["/a.*", "/[ab]"]),
    ignoreUriCase: fc.boolean(),
    method: stringMatch(["GET", "G", "POST"]),
    headers: fc.dictionary(str(["x", "X", "y"]), headerMatch, { maxKeys: 2 }),
    queryParams: fc.dictionary(str(["q"]), headerMatch, { maxKeys: 1 }),
    withoutHeaders: fc.dictionary(str(["z"]), headerMatch, { maxKeys: 1 }),
    port: fc.constantFrom(80, 8080),
  },
  { requiredKeys: [] },
);

const request: fc.Arbitrary<Req> = fc.record({
  path: str(["/", "/a", "/ab", "/abc", "/A", "/Ab", "/b", "/ba"]),
  method: str(["GET", "GE", "POST"]),
  headers: fc.dictionary(str(["x", "y", "z"]), str(["a", "ab", "b", ""]), { maxKeys: 3 }),
  query: fc.dictionary(str(["q"]), str(["a", "ab", "b", ""]), { maxKeys: 1 }),
  port: fc.constantFrom(80, 8080),
});

describe("matchCovers", () => {
  it("is sound: a covered match never matches a request the covering one misses", () => {
    fc.assert(
      fc.property(match, match, fc.array(request, { minLength: 20, maxLength: 20 }), (a, b, requests) => {
        if (!matchCovers(a, b)) return;
        for (const r of requests) if (matches(b, r)) expect(matches(a, r), JSON.stringify({ a, b, r })).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("is reflexive and finds prefix coverage", () => {
    fc.assert(fc.property(match, (a) => matchCovers(a, a)));
    expect(matchCovers({ uri: { prefix: "/api" } }, { uri: { prefix: "/api/v1" }, method: { exact: "GET" } })).toBe(true);
    expect(matchCovers({}, { uri: { exact: "/" } })).toBe(true);
  });
});

describe("canonicalMatch (exact duplicates)", () => {
  const rows: Array<[string, HTTPMatchRequest, HTTPMatchRequest, boolean]> = [
    ["names ignored", { name: "a", uri: { exact: "/" } }, { name: "b", uri: { exact: "/" } }, true],
    ["key order ignored", { uri: { exact: "/" }, method: { exact: "GET" } }, { method: { exact: "GET" }, uri: { exact: "/" } }, true],
    ["zero values are absent", { uri: { exact: "/" }, ignoreUriCase: false, port: 0, headers: {} }, { uri: { exact: "/" } }, true],
    ["presence header kept", { headers: { x: {} } }, {}, false],
    ["statPrefix counts (as in Istio)", { uri: { exact: "/" }, statPrefix: "a" }, { uri: { exact: "/" } }, false],
    ["different values", { uri: { exact: "/a" } }, { uri: { exact: "/b" } }, false],
  ];
  for (const [name, a, b, same] of rows) it(name, () => expect(canonicalMatch(a) === canonicalMatch(b)).toBe(same));
});
