/**
 * The verified-token cache: a second request with the same token does no signature check (counted
 * through the authenticator's events, and with the JWKS endpoint gone), entries end with their token,
 * the cache is bounded, and the LRU itself.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { VerifiedTokenCache } from "../../../src/policy/jwt/verified-token-cache.js";
import { bearer, FakeIdp, harness, jwks, NOW_S, ra, rule, sign, testKeys, type Keys } from "./fixtures.js";

let K: Keys;
beforeAll(async () => {
  K = await testKeys();
});

const gateway = (opts: Parameters<typeof harness>[1] = {}) =>
  harness([ra("authn", { jwtRules: [rule({ outputClaimToHeaders: [{ header: "x-sub", claim: "sub" }] })] })], { idp: new FakeIdp(jwks(K.ec256, K.rsa)), ...opts });

describe("verified-token cache", () => {
  it("the second verification of a token does no crypto and needs no JWKS", async () => {
    const h = gateway();
    const token = await sign(K.ec256);
    const first = await h.authenticate(bearer(token));
    expect(first).toMatchObject({ kind: "ok", cached: false });
    expect(h.count("jwt_signature_check")).toBe(1);

    h.idp.mode = "down";
    h.store.clear();
    const second = await h.authenticate(bearer(token));
    expect(second).toMatchObject({ kind: "ok", cached: true, principal: "https://idp.example.com/alice", setHeaders: { "x-sub": "alice" }, removeHeaders: expect.arrayContaining(["authorization"]) as unknown });
    expect(h.count("jwt_signature_check")).toBe(1);
    expect(h.count("jwt_cache_hit")).toBe(1);
    expect(h.idp.calls).toHaveLength(1);
  });

  it("a cached token still expires (exp + 60 s skew)", async () => {
    const h = gateway();
    const token = await sign(K.ec256, { exp: NOW_S + 10 });
    expect((await h.authenticate(bearer(token))).kind).toBe("ok");
    h.clock.advance(70_000);
    expect((await h.authenticate(bearer(token))).kind).toBe("ok");
    h.clock.advance(1000);
    expect(await h.authenticate(bearer(token))).toMatchObject({ kind: "deny", status: "JwtExpired" });
  });

  it("entries end after the cache TTL even for long-lived tokens", async () => {
    const h = gateway({ deps: { tokenCache: { ttlMs: 60_000 } } });
    const token = await sign(K.ec256, { exp: NOW_S + 86_400 });
    await h.authenticate(bearer(token));
    h.clock.advance(59_000);
    await h.authenticate(bearer(token));
    expect(h.count("jwt_signature_check")).toBe(1);
    h.clock.advance(2000);
    await h.authenticate(bearer(token));
    expect(h.count("jwt_signature_check")).toBe(2);
  });

  it("is bounded: the least recently used token is evicted", async () => {
    const h = gateway({ deps: { tokenCache: { maxEntries: 2 } } });
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((sub) => sign(K.ec256, { sub })));
    for (const t of [a!, b!, a!, c!]) await h.authenticate(bearer(t)); // c evicts b (a was used again)
    expect(h.count("jwt_signature_check")).toBe(3);
    await h.authenticate(bearer(a!));
    expect(h.count("jwt_signature_check")).toBe(3);
    await h.authenticate(bearer(b!));
    expect(h.count("jwt_signature_check")).toBe(4);
  });

  it("bad tokens are not cached as good, and a good token is re-checked only on a miss", async () => {
    const h = gateway();
    const good = await sign(K.ec256);
    const forged = await sign(K.rsaOther);
    expect((await h.authenticate(bearer(forged))).kind).toBe("deny");
    expect((await h.authenticate(bearer(forged))).kind).toBe("deny");
    expect((await h.authenticate(bearer(good))).kind).toBe("ok");
    expect(h.count("jwt_cache_hit")).toBe(0);
  });

  it("a new snapshot (new authenticator) starts with an empty cache", async () => {
    const token = await sign(K.ec256);
    const h1 = gateway();
    await h1.authenticate(bearer(token));
    const h2 = gateway();
    await h2.authenticate(bearer(token));
    expect(h2.count("jwt_signature_check")).toBe(1);
  });
});

describe("VerifiedTokenCache", () => {
  it("get refreshes recency; set evicts the oldest at the bound", () => {
    const c = new VerifiedTokenCache<number>({ maxEntries: 2, ttlMs: 1000 });
    c.set("a", 1, 0);
    c.set("b", 2, 0);
    expect(c.get("a", 0)).toBe(1);
    c.set("c", 3, 0);
    expect(c.get("b", 0)).toBeUndefined();
    expect(c.get("a", 0)).toBe(1);
    expect(c.size).toBe(2);
  });

  it("entries end at min(ttl, expiresAt)", () => {
    const c = new VerifiedTokenCache<number>({ maxEntries: 10, ttlMs: 1000 });
    c.set("a", 1, 0, 500);
    c.set("b", 2, 0);
    expect(c.get("a", 499)).toBe(1);
    expect(c.get("a", 500)).toBeUndefined();
    expect(c.get("b", 999)).toBe(2);
    expect(c.get("b", 1000)).toBeUndefined();
  });

  it("maxEntries 0 disables caching", () => {
    const c = new VerifiedTokenCache<number>({ maxEntries: 0 });
    c.set("a", 1, 0);
    expect(c.get("a", 0)).toBeUndefined();
  });
});
