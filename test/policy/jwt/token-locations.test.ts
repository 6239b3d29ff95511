/**
 * Where tokens are found and what is stripped before forwarding: one row per (rule locations, request)
 * with the expected outcome kind and removals. Plus the raw extractor and cookie parser.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { JWTRule } from "../../../src/config/schemas/request-authentication.js";
import { applyJwtOutcome, removeQueryParams, type JwtOutcome } from "../../../src/policy/jwt/jwt-authenticator.js";
import { translateJwtRule } from "../../../src/config/compile/request-authentication.js";
import { extractTokens, indexLocations, parseCookies } from "../../../src/policy/jwt/token-locations.js";
import { FakeIdp, harness, jwks, ra, rule, sign, testKeys, type Keys } from "./fixtures.js";

let K: Keys;
let TOKEN: string;
beforeAll(async () => {
  K = await testKeys();
  TOKEN = await sign(K.ec256);
});

interface Req {
  url?: string;
  headers?: Record<string, string>;
}
type Expect = { kind: "ok"; removeHeaders?: string[]; removeParams?: string[] } | { kind: "none" } | { kind: "deny"; status: string };

function run(jwtRule: Partial<JWTRule>, req: (t: string) => Req) {
  const h = harness([ra("authn", { jwtRules: [rule(jwtRule)] })], { idp: new FakeIdp(jwks(K.ec256)) });
  return h.authenticate(req(TOKEN));
}

function check(out: JwtOutcome, expected: Expect): void {
  expect(out.kind).toBe(expected.kind);
  if (expected.kind === "deny" && out.kind === "deny") expect(out.status).toBe(expected.status);
  if (expected.kind === "ok" && out.kind === "ok") {
    if (expected.removeHeaders) expect(out.removeHeaders.sort()).toEqual(expected.removeHeaders.sort());
    if (expected.removeParams) expect(out.removeParams).toEqual(expected.removeParams);
  }
}

describe("default locations: Authorization: Bearer, then ?access_token=", () => {
  const rows: [string, (t: string) => Req, Expect][] = [
    ["Authorization: Bearer", (t) => ({ headers: { authorization: `Bearer ${t}` } }), { kind: "ok", removeHeaders: ["authorization"], removeParams: [] }],
    ["access_token query parameter", (t) => ({ url: `https://h/p?a=1&access_token=${t}&b=2` }), { kind: "ok", removeHeaders: [], removeParams: ["access_token"] }],
    ["both places, same token", (t) => ({ url: `https://h/p?access_token=${t}`, headers: { authorization: `Bearer ${t}` } }), { kind: "ok", removeHeaders: ["authorization"], removeParams: ["access_token"] }],
    ["extra spaces after Bearer are skipped", (t) => ({ headers: { authorization: `Bearer    ${t}` } }), { kind: "ok" }],
    ["Basic credentials: not a token, passes", () => ({ headers: { authorization: "Basic dXNlcjpwYXNz" } }), { kind: "none" }],
    ["lower-case bearer is not Envoy's prefix: passes without a principal", (t) => ({ headers: { authorization: `bearer ${t}` } }), { kind: "none" }],
    ["Bearer with nothing after it", () => ({ headers: { authorization: "Bearer" } }), { kind: "none" }],
    ["empty access_token parameter counts as a (malformed) token", () => ({ url: "https://h/p?access_token=" }), { kind: "deny", status: "JwtBadFormat" }],
    ["a token in a non-default header is not looked at", (t) => ({ headers: { "x-jwt": t } }), { kind: "none" }],
  ];
  it.each(rows)("%s", async (_n, req, expected) => check(await run({}, req), expected));
});

describe("fromHeaders / fromParams / fromCookies", () => {
  const rows: [string, Partial<JWTRule>, (t: string) => Req, Expect][] = [
    ["header without prefix", { fromHeaders: [{ name: "x-jwt" }] }, (t) => ({ headers: { "x-jwt": t } }), { kind: "ok", removeHeaders: ["x-jwt"] }],
    ["header name case-insensitive", { fromHeaders: [{ name: "X-JWT" }] }, (t) => ({ headers: { "x-jwt": t } }), { kind: "ok", removeHeaders: ["x-jwt"] }],
    ["header with prefix", { fromHeaders: [{ name: "x-auth", prefix: "Token " }] }, (t) => ({ headers: { "x-auth": `Token ${t}` } }), { kind: "ok", removeHeaders: ["x-auth"] }],
    ["header present without its prefix: refused (Istio's documented rule)", { fromHeaders: [{ name: "x-auth", prefix: "Token " }] }, (t) => ({ headers: { "x-auth": t } }), { kind: "deny", status: "JwtBadFormat" }],
    ["one of two prefixes for the same header", { fromHeaders: [{ name: "x-auth", prefix: "Token " }, { name: "x-auth", prefix: "JWT " }] }, (t) => ({ headers: { "x-auth": `JWT ${t}` } }), { kind: "ok" }],
    ["custom header replaces the defaults", { fromHeaders: [{ name: "x-jwt" }] }, (t) => ({ headers: { authorization: `Bearer ${t}` } }), { kind: "none" }],
    ["query parameter", { fromParams: ["jwt"] }, (t) => ({ url: `https://h/p?jwt=${t}` }), { kind: "ok", removeHeaders: [], removeParams: ["jwt"] }],
    ["cookie (left in place, as Envoy does)", { fromCookies: ["session"] }, (t) => ({ headers: { cookie: `theme=dark; session=${t}; x=1` } }), { kind: "ok", removeHeaders: [], removeParams: [] }],
    ["quoted cookie", { fromCookies: ["session"] }, (t) => ({ headers: { cookie: `session="${t}"` } }), { kind: "ok" }],
    ["other cookies only", { fromCookies: ["session"] }, () => ({ headers: { cookie: "theme=dark" } }), { kind: "none" }],
    ["forwardOriginalToken keeps the header", { forwardOriginalToken: true }, (t) => ({ headers: { authorization: `Bearer ${t}` } }), { kind: "ok", removeHeaders: [], removeParams: [] }],
    ["forwardOriginalToken keeps the parameter", { forwardOriginalToken: true }, (t) => ({ url: `https://h/p?access_token=${t}` }), { kind: "ok", removeParams: [] }],
  ];
  it.each(rows)("%s", async (_n, jwtRule, req, expected) => check(await run(jwtRule, req), expected));
});

describe("applying the outcome to the upstream request", () => {
  it("strips the token header and parameter, keeps the rest of the query byte for byte", async () => {
    const h = harness([ra("authn", { jwtRules: [rule()] })], { idp: new FakeIdp(jwks(K.ec256)) });
    const url = `https://h/p?q=a%20b+c&access_token=${TOKEN}&z`;
    const out = await h.authenticate({ url, headers: { authorization: `Bearer ${TOKEN}`, accept: "x" } });
    expect(out.kind).toBe("ok");
    if (out.kind !== "ok") return;
    const headers = new Headers({ authorization: `Bearer ${TOKEN}`, accept: "x" });
    const upstream = applyJwtOutcome(out, headers, `/p?q=a%20b+c&access_token=${TOKEN}&z`);
    expect(headers.has("authorization")).toBe(false);
    expect(headers.get("accept")).toBe("x");
    expect(upstream).toBe("/p?q=a%20b+c&z");
  });

  it("removeQueryParams drops every occurrence, matching decoded names", () => {
    expect(removeQueryParams("/p?access%5Ftoken=1&a=2&access_token=3", ["access_token"])).toBe("/p?a=2");
    expect(removeQueryParams("/p?access_token=1", ["access_token"])).toBe("/p");
    expect(removeQueryParams("//x/p?a='1'&access_token=1", ["access_token"])).toBe("//x/p?a='1'");
  });
});

describe("extractTokens", () => {
  const index = indexLocations([
    translateJwtRule(rule({ issuer: "b", fromHeaders: [{ name: "x-b" }], fromParams: ["t"] }), { namespace: "n", name: "b", index: 0 }),
    translateJwtRule(rule({ issuer: "a", fromHeaders: [{ name: "x-a" }], fromParams: ["t"], fromCookies: ["c"] }), { namespace: "n", name: "a", index: 0 }),
  ]);

  it("lists headers, then parameters, then cookies; a shared location names both rules", () => {
    const r = extractTokens(index, { headers: new Headers({ "x-b": "B", "x-a": "A", cookie: "c=C" }), url: new URL("https://h/?t=T") });
    expect(r).toEqual({
      ok: true,
      tokens: [
        { token: "A", location: { kind: "header", name: "x-a", prefix: "" }, rules: [1] },
        { token: "B", location: { kind: "header", name: "x-b", prefix: "" }, rules: [0] },
        { token: "T", location: { kind: "param", name: "t" }, rules: [0, 1] },
        { token: "C", location: { kind: "cookie", name: "c" }, rules: [1] },
      ],
    });
  });

  it("nothing present: no tokens", () => {
    expect(extractTokens(index, { headers: new Headers(), url: new URL("https://h/") })).toEqual({ ok: true, tokens: [] });
  });

  it("with the raw query known, an absent parameter costs no parse; encoded names are still decoded", () => {
    const source = (raw: string) => ({
      headers: new Headers(),
      get url(): URL { throw new Error("the URL must not be built"); },
      rawQuery: raw,
      query: new URLSearchParams(raw),
    });
    const untouched = { headers: new Headers(), get url(): URL { throw new Error("the URL must not be built"); }, rawQuery: "a=1&b=2", get query(): URLSearchParams { throw new Error("the query must not be parsed"); } };
    expect(extractTokens(index, untouched)).toEqual({ ok: true, tokens: [] });
    const param = { kind: "param", name: "t" };
    expect(extractTokens(index, source("a=1&t=T"))).toMatchObject({ tokens: [{ token: "T", location: param }] });
    // `%74` is `t` and `+` a space: such queries are always parsed, as Envoy decodes parameter names.
    expect(extractTokens(index, source("a=1&%74=T"))).toMatchObject({ tokens: [{ token: "T", location: param }] });
    expect(extractTokens(index, source("x=a+b&t=T+U"))).toMatchObject({ tokens: [{ token: "T U", location: param }] });
  });
});

describe("parseCookies", () => {
  const rows: [string, string | null, Record<string, string>][] = [
    ["none", null, {}],
    ["several", "a=1; b=2;c=3", { a: "1", b: "2", c: "3" }],
    ["first occurrence wins", "a=1; a=2", { a: "1" }],
    ["quotes removed", 'a="x y"', { a: "x y" }],
    ["value with =", "a=b=c", { a: "b=c" }],
    ["junk ignored", "junk; =x; a=1", { a: "1" }],
  ];
  it.each(rows)("%s", (_n, header, expected) => {
    expect(Object.fromEntries(parseCookies(header))).toEqual(expected);
  });
});
