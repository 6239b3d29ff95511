/**
 * Remote JWKS through an injected fetch that can be good, down (throws), slow (never answers), or
 * serve garbage: tokens needing the keys get 401 `Jwks remote fetch is failed`, requests without tokens
 * are unaffected and fetch nothing; keys are cached, refreshed every 20 minutes and on unknown kids (with
 * a cooldown), the last good keys survive a failed refresh; OIDC discovery.
 */
import { exportJWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { EndpointMode } from "./fixtures.js";
import { b64url, bearer, FakeIdp, harness, ISSUER, JWKS_URI, jwks, ra, rule, sign, testKeys, type Keys } from "./fixtures.js";

let K: Keys;
beforeAll(async () => {
  K = await testKeys();
});

const gateway = (idp: FakeIdp, r = rule(), opts: Parameters<typeof harness>[1] = {}) => harness([ra("authn", { jwtRules: [r] })], { idp, ...opts });

describe("JWKS endpoint failures", () => {
  const rows: [EndpointMode][] = [["down"], ["slow"], ["garbage"], ["status500"], ["empty-keys"]];
  it.each(rows)("%s: tokens get 401 Jwks remote fetch is failed; requests without tokens pass", async (mode) => {
    const idp = new FakeIdp(jwks(K.ec256));
    idp.mode = mode;
    const h = gateway(idp, rule({ timeout: "30ms" }));
    const started = Date.now();
    const out = await h.authenticate(bearer(await sign(K.ec256)));
    expect(out).toMatchObject({ kind: "deny", status: "JwksFetchFail", reply: { status: 401, body: "Jwks remote fetch is failed" } });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await h.authenticate({})).toEqual({ kind: "none", removeHeaders: [] });
    expect(h.events.filter((e) => e.type === "jwks_fetch")).toEqual([expect.objectContaining({ ok: false, uri: JWKS_URI })]);
  });

  it("slow: the rule's timeout bounds the wait and the fetch gets an abort signal", async () => {
    let signal: AbortSignal | undefined;
    const idp = new FakeIdp(jwks(K.ec256));
    const h = gateway(idp, rule({ timeout: "40ms" }), {
      deps: {
        fetch: ((_url: string, init?: RequestInit) => {
          signal = init?.signal ?? undefined;
          return new Promise<Response>(() => {});
        }) as typeof fetch,
      },
    });
    expect(await h.authenticate(bearer(await sign(K.ec256)))).toMatchObject({ status: "JwksFetchFail" });
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(h.events).toContainEqual(expect.objectContaining({ type: "jwks_fetch", ok: false, error: "timeout" }));
  });

  it("no token: never fetches, even with the endpoint down", async () => {
    const idp = new FakeIdp();
    idp.mode = "down";
    const h = gateway(idp);
    for (let i = 0; i < 3; i++) expect((await h.authenticate({ headers: { authorization: "Basic x" } })).kind).toBe("none");
    expect(idp.calls).toEqual([]);
  });

  it("after a failure, a burst of tokens does not refetch for 1 s; then the endpoint is tried again", async () => {
    const idp = new FakeIdp(jwks(K.ec256));
    idp.mode = "down";
    const h = gateway(idp);
    const token = await sign(K.ec256);
    for (let i = 0; i < 5; i++) expect(await h.authenticate(bearer(token))).toMatchObject({ status: "JwksFetchFail" });
    expect(idp.calls).toHaveLength(1);
    idp.mode = "good";
    h.clock.advance(1000);
    expect((await h.authenticate(bearer(token))).kind).toBe("ok");
    expect(idp.calls).toHaveLength(2);
  });

  it("a hung endpoint is negative-cached too", async () => {
    const idp = new FakeIdp(jwks(K.ec256));
    idp.mode = "slow";
    const h = gateway(idp, rule({ timeout: "20ms" }));
    const token = await sign(K.ec256);
    await h.authenticate(bearer(token));
    await h.authenticate(bearer(token));
    expect(idp.calls).toHaveLength(1);
  });

  it("concurrent tokens share one fetch", async () => {
    const idp = new FakeIdp(jwks(K.ec256));
    const h = gateway(idp);
    const tokens = await Promise.all(["a", "b", "c", "d"].map((sub) => sign(K.ec256, { sub })));
    const outs = await Promise.all(tokens.map((t) => h.authenticate(bearer(t))));
    expect(outs.map((o) => o.kind)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(idp.calls).toHaveLength(1);
  });
});

describe("caching and refresh", () => {
  it("keys are fetched once and reused", async () => {
    const idp = new FakeIdp(jwks(K.ec256));
    const h = gateway(idp);
    for (const sub of ["a", "b", "c"]) expect((await h.authenticate(bearer(await sign(K.ec256, { sub })))).kind).toBe("ok");
    expect(idp.calls).toEqual([JWKS_URI]);
  });

  it("the isolate's store outlives an authenticator (a new snapshot does not refetch)", async () => {
    const idp = new FakeIdp(jwks(K.ec256));
    const first = gateway(idp);
    await first.authenticate(bearer(await sign(K.ec256)));
    const next = gateway(idp, rule(), { clock: first.clock, deps: { jwksStore: first.store } });
    expect((await next.authenticate(bearer(await sign(K.ec256, { sub: "z" })))).kind).toBe("ok");
    expect(idp.calls).toHaveLength(1);
  });

  it("refreshes in the background after 20 minutes, serving the old keys meanwhile", async () => {
    const idp = new FakeIdp(jwks(K.ec256));
    const h = gateway(idp);
    await h.authenticate(bearer(await sign(K.ec256)));
    h.clock.advance(20 * 60_000);
    idp.docs.set(JWKS_URI, jwks(K.ed25519)); // rotation: EC key retired
    expect((await h.authenticate(bearer(await sign(K.ec256, { sub: "during" })))).kind).toBe("ok");
    expect(h.pending).toHaveLength(1);
    await Promise.all(h.pending);
    expect(idp.calls).toHaveLength(2);
    expect((await h.authenticate(bearer(await sign(K.ed25519)))).kind).toBe("ok");
    expect(await h.authenticate(bearer(await sign(K.ec256, { sub: "after" })))).toMatchObject({ kind: "deny", status: "JwksKidAlgMismatch" });
  });

  it("a failed refresh keeps the last good keys, and is retried after the cooldown, not on every request", async () => {
    const idp = new FakeIdp(jwks(K.ec256));
    const h = gateway(idp);
    await h.authenticate(bearer(await sign(K.ec256)));
    h.clock.advance(21 * 60_000);
    idp.mode = "down";
    expect((await h.authenticate(bearer(await sign(K.ec256, { sub: "b" })))).kind).toBe("ok");
    await Promise.all(h.pending);
    expect((await h.authenticate(bearer(await sign(K.ec256, { sub: "c" })))).kind).toBe("ok");
    await Promise.all(h.pending);
    expect(idp.calls).toHaveLength(2);
    h.clock.advance(30_000);
    expect((await h.authenticate(bearer(await sign(K.ec256, { sub: "d" })))).kind).toBe("ok");
    await Promise.all(h.pending);
    expect(idp.calls).toHaveLength(3);
  });

  it("an unknown kid refetches at once (key rotation), then not again within the cooldown", async () => {
    const idp = new FakeIdp(jwks(K.ec256));
    const h = gateway(idp);
    await h.authenticate(bearer(await sign(K.ec256)));
    h.clock.advance(30_000);
    idp.docs.set(JWKS_URI, jwks(K.ec256, K.ed25519)); // new key published
    expect((await h.authenticate(bearer(await sign(K.ed25519)))).kind).toBe("ok");
    expect(idp.calls).toHaveLength(2);
    for (let i = 0; i < 3; i++) {
      expect(await h.authenticate(bearer(await sign({ ...K.ec384, kid: `made-up-${i}` })))).toMatchObject({ status: "JwksKidAlgMismatch" });
    }
    expect(idp.calls).toHaveLength(2);
  });

  it("an unknown kid while the endpoint is down keeps the old keys", async () => {
    const idp = new FakeIdp(jwks(K.ec256));
    const h = gateway(idp);
    await h.authenticate(bearer(await sign(K.ec256)));
    h.clock.advance(60_000);
    idp.mode = "down";
    expect(await h.authenticate(bearer(await sign(K.ed25519)))).toMatchObject({ status: "JwksKidAlgMismatch" });
    expect((await h.authenticate(bearer(await sign(K.ec256, { sub: "still" })))).kind).toBe("ok");
  });
});

describe("OIDC discovery (no jwksUri, no jwks)", () => {
  const discovery = `${ISSUER}/.well-known/openid-configuration`;

  it("finds jwks_uri in the issuer's configuration", async () => {
    const idp = new FakeIdp(jwks(K.ec256), "https://keys.example.com/certs");
    idp.docs.set(discovery, JSON.stringify({ issuer: ISSUER, jwks_uri: "https://keys.example.com/certs" }));
    const h = gateway(idp, { issuer: ISSUER });
    expect((await h.authenticate(bearer(await sign(K.ec256)))).kind).toBe("ok");
    expect(idp.calls).toEqual([discovery, "https://keys.example.com/certs"]);
  });

  it("an issuer with a trailing slash", async () => {
    const idp = new FakeIdp(jwks(K.ec256), "https://keys.example.com/certs");
    idp.docs.set(discovery, JSON.stringify({ jwks_uri: "https://keys.example.com/certs" }));
    const h = gateway(idp, { issuer: `${ISSUER}/` });
    expect((await h.authenticate(bearer(await sign(K.ec256, { iss: `${ISSUER}/` })))).kind).toBe("ok");
  });

  const failing: [string, (idp: FakeIdp) => void][] = [
    ["no discovery document", () => {}],
    ["discovery document without jwks_uri", (idp) => idp.docs.set(discovery, JSON.stringify({ issuer: ISSUER }))],
    ["jwks_uri not http(s)", (idp) => idp.docs.set(discovery, JSON.stringify({ jwks_uri: "file:///etc/keys" }))],
    ["discovery not JSON", (idp) => idp.docs.set(discovery, "<html>")],
  ];
  it.each(failing)("%s → Jwks remote fetch is failed", async (_n, setup) => {
    const idp = new FakeIdp();
    setup(idp);
    const h = gateway(idp, { issuer: ISSUER });
    expect(await h.authenticate(bearer(await sign(K.ec256)))).toMatchObject({ kind: "deny", status: "JwksFetchFail" });
  });

  it("an issuer that is not a URL cannot be discovered", async () => {
    const idp = new FakeIdp();
    const h = gateway(idp, { issuer: "not-a-url" });
    expect(await h.authenticate(bearer(await sign(K.ec256, { iss: "not-a-url" })))).toMatchObject({ status: "JwksFetchFail" });
    expect(idp.calls).toEqual([]);
  });
});

describe("inline jwks", () => {
  it("never fetches", async () => {
    const idp = new FakeIdp();
    const h = gateway(idp, { issuer: ISSUER, jwks: jwks(K.ec256) });
    expect((await h.authenticate(bearer(await sign(K.ec256)))).kind).toBe("ok");
    expect(idp.calls).toEqual([]);
  });

  it("without a usable key: Jwks doesn't have any valid public key", async () => {
    const h = gateway(new FakeIdp(), { issuer: ISSUER, jwks: JSON.stringify({ keys: [{ kty: "RSA" }] }) });
    expect(await h.authenticate(bearer(await sign(K.ec256)))).toMatchObject({ status: "JwksNoValidKeys", reply: { body: "Jwks doesn't have any valid public key" } });
  });

  it("a bare JWK (no keys list) is accepted", async () => {
    const h = gateway(new FakeIdp(), { issuer: ISSUER, jwks: JSON.stringify(K.ed25519.jwk) });
    expect((await h.authenticate(bearer(await sign(K.ed25519)))).kind).toBe("ok");
  });

  it("RSA keys under 2048 bits are not used", async () => {
    const pair = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "weak" };
    const input = `${b64url(JSON.stringify({ alg: "RS256", kid: "weak" }))}.${b64url(JSON.stringify({ iss: ISSUER, sub: "alice" }))}`;
    const sig = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", pair.privateKey, new TextEncoder().encode(input)));
    const h = gateway(new FakeIdp(), { issuer: ISSUER, jwks: jwks(jwk) });
    expect(await h.authenticate(bearer(`${input}.${b64url(sig)}`))).toMatchObject({ status: "JwtVerificationFail" });
  });

  it("private key members are never imported", async () => {
    const h = gateway(new FakeIdp(), { issuer: ISSUER, jwks: jwks({ ...K.ec256.jwk, d: "AAAA" }) });
    expect((await h.authenticate(bearer(await sign(K.ec256)))).kind).toBe("ok");
  });
});
