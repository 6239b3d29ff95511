/**
 * What a verified token hands on: `outputPayloadToHeader`, `outputClaimToHeaders` (nested claims,
 * string/int/bool only), forged output headers removed, and claims for authorization and routing with
 * space-delimited claims split.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { JWTRule } from "../../../src/config/schemas/request-authentication.js";
import { claimByName as claimAt, claimHeaderValue, normalizeClaims } from "../../../src/policy/jwt/claims.js";
import type { JwtOk } from "../../../src/policy/jwt/jwt-authenticator.js";
import { bearer, FakeIdp, harness, jwks, ra, rule, segments, sign, testKeys, type Keys } from "./fixtures.js";

let K: Keys;
beforeAll(async () => {
  K = await testKeys();
});

async function verified(jwtRule: Partial<JWTRule>, claims: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ out: JwtOk; token: string }> {
  const h = harness([ra("authn", { jwtRules: [rule(jwtRule)] })], { idp: new FakeIdp(jwks(K.ec256)) });
  const token = await sign(K.ec256, claims);
  const out = await h.authenticate({ headers: { ...headers, authorization: `Bearer ${token}` } });
  if (out.kind !== "ok") throw new Error(`expected ok, got ${JSON.stringify(out)}`);
  return { out, token };
}

const CLAIMS = {
  email: "alice@example.com",
  level: 3,
  big: 12345678901,
  ratio: 1.5,
  negative: -2,
  admin: true,
  off: false,
  empty: "",
  groups: ["a", "b"],
  org: { team: { name: "core", size: 7 }, flat: "x" },
  nothing: null,
  "dotted.name": "top-level key with a dot",
  name: "José",
};

describe("outputClaimToHeaders", () => {
  const rows: [string, string, string | undefined][] = [
    ["string", "email", "alice@example.com"],
    ["integer", "level", "3"],
    ["large integer", "big", "12345678901"],
    ["non-integer number, as C's %f", "ratio", "1.500000"],
    ["negative number, as C's %f", "negative", "-2.000000"],
    ["true", "admin", "true"],
    ["false", "off", "false"],
    ["nested a.b.c", "org.team.name", "core"],
    ["nested integer", "org.team.size", "7"],
    ["registered claim", "sub", "alice"],
    ["non-ASCII kept as text (the runtime encodes it as UTF-8 once)", "name", "José"],
    ["empty string: no header", "empty", undefined],
    ["list: no header", "groups", undefined],
    ["object: no header", "org.team", undefined],
    ["null: no header", "nothing", undefined],
    ["missing: no header", "absent", undefined],
    ["missing nested: no header", "org.nope.name", undefined],
    ["through a non-object: no header", "email.x", undefined],
    ["a dotted name is a path, not a key", "dotted.name", undefined],
    ["prototype names are not claims", "constructor", undefined],
    ["prototype names are not claims (nested)", "org.toString", undefined],
  ];
  it.each(rows)("%s", async (_n, claim, expected) => {
    const { out } = await verified({ outputClaimToHeaders: [{ header: "X-Claim", claim }] }, CLAIMS);
    expect(out.setHeaders["x-claim"]).toBe(expected);
  });

  it("header names that are Object.prototype members work like any other", async () => {
    const { out } = await verified({ outputClaimToHeaders: [{ header: "constructor", claim: "email" }, { header: "__proto__", claim: "sub" }] }, CLAIMS);
    expect(Object.entries(out.setHeaders)).toEqual([
      ["constructor", "alice@example.com"],
      ["__proto__", "alice"],
    ]);
  });

  it("overwrites a header the client sent (it is removed, then set)", async () => {
    const { out } = await verified({ outputClaimToHeaders: [{ header: "x-email", claim: "email" }] }, CLAIMS, { "x-email": "forged@evil" });
    expect(out.removeHeaders).toContain("x-email");
    expect(out.setHeaders["x-email"]).toBe("alice@example.com");
  });
});

describe("outputPayloadToHeader", () => {
  it("carries the token's payload segment (base64url, unpadded)", async () => {
    const { out, token } = await verified({ outputPayloadToHeader: "X-Jwt-Payload" }, { email: "a@b" });
    const value = out.setHeaders["x-jwt-payload"]!;
    expect(value).toBe(segments(token)[1]);
    const json = JSON.parse(atob(value.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    expect(json).toMatchObject({ email: "a@b", sub: "alice" });
  });
});

describe("forged output headers", () => {
  it("are removed when the request carries no token at all", async () => {
    const h = harness([ra("authn", { jwtRules: [rule({ outputPayloadToHeader: "x-jwt-payload", outputClaimToHeaders: [{ header: "x-user", claim: "sub" }] })] })]);
    expect(await h.authenticate({ headers: { "x-user": "admin", "x-jwt-payload": "e30" } })).toEqual({ kind: "none", removeHeaders: ["x-jwt-payload", "x-user"] });
  });

  it("are removed for every rule's headers, whichever rule verified", async () => {
    const h = harness(
      [
        ra("a", { jwtRules: [rule({ outputClaimToHeaders: [{ header: "x-a", claim: "sub" }] })] }),
        ra("b", { jwtRules: [rule({ issuer: "https://other", outputClaimToHeaders: [{ header: "x-b", claim: "sub" }] })] }),
      ],
      { idp: new FakeIdp(jwks(K.ec256)) },
    );
    const out = await h.authenticate(bearer(await sign(K.ec256)));
    expect(out.kind === "ok" && out.removeHeaders.sort()).toEqual(["authorization", "x-a", "x-b"]);
    expect(out.kind === "ok" && out.setHeaders).toEqual({ "x-a": "alice" });
  });
});

describe("claims for authorization and routing", () => {
  const rows: [string, Partial<JWTRule>, Record<string, unknown>, Record<string, unknown>][] = [
    ["scope is split on spaces", {}, { scope: "read  write admin" }, { scope: ["read", "write", "admin"] }],
    ["permission is split on spaces", {}, { permission: "a b" }, { permission: ["a", "b"] }],
    ["a scope list stays a list", {}, { scope: ["x y"] }, { scope: ["x y"] }],
    ["a one-word scope becomes a one-element list", {}, { scope: "read" }, { scope: ["read"] }],
    ["a blank scope stays as it is", {}, { scope: "  " }, { scope: "  " }],
    ["other claims are not split", {}, { roles: "a b" }, { roles: "a b" }],
    ["spaceDelimitedClaims adds claims to split", { spaceDelimitedClaims: ["roles"] }, { roles: "a b", scope: "c d" }, { roles: ["a", "b"], scope: ["c", "d"] }],
    ["nested claims kept as objects", {}, { org: { team: "core" } }, { org: { team: "core" } }],
  ];
  it.each(rows)("%s", async (_n, jwtRule, claims, expected) => {
    const { out } = await verified(jwtRule, claims);
    expect(out.claims).toMatchObject(expected);
  });

  it("header outputs use the raw (unsplit) claim", async () => {
    const { out } = await verified({ outputClaimToHeaders: [{ header: "x-scope", claim: "scope" }] }, { scope: "read write" });
    expect(out.setHeaders["x-scope"]).toBe("read write");
    expect(out.claims.scope).toEqual(["read", "write"]);
  });
});

describe("claim helpers", () => {
  it("a claim by dotted name walks own properties only", () => {
    const payload = Object.assign(Object.create(null) as Record<string, unknown>, { a: { b: { c: 1 } } });
    expect(claimAt(payload, "a.b.c")).toBe(1);
    expect(claimAt(payload, "a.b")).toEqual({ c: 1 });
    expect(claimAt({ a: 1 }, "hasOwnProperty")).toBeUndefined();
    expect(claimAt({ a: [1] }, "a.0")).toBeUndefined();
  });

  it("claimHeaderValue never yields a value that could split a header", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null)), (v) => {
        const h = claimHeaderValue(v);
        if (h !== undefined) {
          expect(h).not.toMatch(/[\r\n\0]/);
          expect(() => new Headers({ x: h })).not.toThrow();
        }
      }),
      { numRuns: 500 },
    );
  });

  it("normalizeClaims does not change the payload it was given", () => {
    const payload = { scope: "a b" };
    const out = normalizeClaims(payload, ["scope"]);
    expect(out.scope).toEqual(["a", "b"]);
    expect(payload.scope).toBe("a b");
  });
});
