/**
 * Invariants, checked on random input: the authenticator never throws and only answers none / ok /
 * deny with Envoy's reply shape; no single-character change to a signed token gets through; claims of
 * a verified token come back as signed.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { JWT_STATUS } from "../../../src/policy/jwt/jwt-status.js";
import { bearer, FakeIdp, harness, jwks, ra, rule, sign, testKeys, type Keys } from "./fixtures.js";

let K: Keys;
beforeAll(async () => {
  K = await testKeys();
});

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const TEXTS = new Set<string>(Object.values(JWT_STATUS));

describe("properties", () => {
  it("any header values and query: no throw, and every denial is Envoy-shaped", async () => {
    const h = harness([ra("authn", { jwtRules: [rule({ fromHeaders: [{ name: "x-jwt", prefix: "Bearer " }], fromParams: ["t"], fromCookies: ["c"] })] })], { idp: new FakeIdp(jwks(K.ec256)) });
    const headerValue = fc.string({ maxLength: 80 }).map((s) => s.replace(/[\0\r\n]/g, "").trim());
    await fc.assert(
      fc.asyncProperty(headerValue, headerValue, fc.string({ maxLength: 40 }), async (jwtHeader, cookie, param) => {
        const headers: Record<string, string> = {};
        if (jwtHeader) headers["x-jwt"] = jwtHeader;
        if (cookie) headers.cookie = cookie;
        const url = `https://h/p?t=${encodeURIComponent(param)}`;
        const out = await h.authenticate({ url, headers });
        expect(["none", "deny"]).toContain(out.kind);
        if (out.kind === "deny") {
          expect([401, 403]).toContain(out.reply.status);
          expect(TEXTS.has(out.reply.body)).toBe(true);
          expect(out.reply.headers?.["www-authenticate"]).toMatch(/^Bearer realm="https:\/\/h\/p\?t=[^"]*", error="invalid_token"$/);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("changing any one character of a signed token's header or payload is refused", async () => {
    const h = harness([ra("authn", { jwtRules: [rule()] })], { idp: new FakeIdp(jwks(K.ec256)) });
    const token = await sign(K.ec256, { role: "user" });
    const signedPart = token.lastIndexOf(".");
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: signedPart - 1 }), fc.constantFrom(...B64URL), async (at, c) => {
        fc.pre(token[at] !== "." && token[at] !== c);
        const mutated = token.slice(0, at) + c + token.slice(at + 1);
        const out = await h.authenticate(bearer(mutated));
        expect(out.kind).toBe("deny");
      }),
      { numRuns: 120 },
    );
  });

  it("claims of a verified token come back as signed", async () => {
    const h = harness([ra("authn", { jwtRules: [rule()] })], { idp: new FakeIdp(jwks(K.ec256)) });
    const claimName = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !["iss", "sub", "exp", "nbf", "iat", "aud", "jti", "scope", "permission", "__proto__"].includes(k));
    await fc.assert(
      fc.asyncProperty(fc.dictionary(claimName, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), async (claims) => {
        const out = await h.authenticate(bearer(await sign(K.ec256, claims)));
        expect(out.kind).toBe("ok");
        if (out.kind !== "ok") return;
        expect(JSON.parse(JSON.stringify(out.claims))).toMatchObject(JSON.parse(JSON.stringify(claims)) as Record<string, unknown>);
      }),
      { numRuns: 40 },
    );
  });
});
