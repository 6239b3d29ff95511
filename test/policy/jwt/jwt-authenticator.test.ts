/**
 * The authenticator end to end with real keys and tokens signed here: every algorithm the keys allow,
 * every JWT attack of issue 4 ("Attacks and bad input") as a row, issuer selection across rules, the
 * deny reply (status, Envoy's body, www-authenticate realm) and CORS preflights.
 */
import { CompactSign } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { JwtOutcome } from "../../../src/policy/jwt/jwt-authenticator.js";
import { JWT_STATUS, type JwtStatus } from "../../../src/policy/jwt/jwt-status.js";
import {
  bearer,
  b64url,
  FakeIdp,
  harness,
  hmacSign,
  ISSUER,
  JWKS_URI,
  jwks,
  NOW_S,
  ra,
  rawToken,
  rule,
  segments,
  sign,
  testKeys,
  withoutAlg,
  type Keys,
  type SigningKey,
} from "./fixtures.js";

let K: Keys;
beforeAll(async () => {
  K = await testKeys();
});

function expectDeny(outcome: JwtOutcome, status: JwtStatus): void {
  expect(outcome.kind).toBe("deny");
  if (outcome.kind !== "deny") return;
  expect(outcome.status).toBe(status);
  expect(outcome.reply.body).toBe(JWT_STATUS[status]);
  expect(outcome.reply.status).toBe(status === "JwtAudienceNotAllowed" ? 403 : 401);
}

/** A gateway with one rule whose remote JWKS holds `keys`. */
function remote(keysJson: string, r = rule()) {
  return harness([ra("authn", { jwtRules: [r] })], { idp: new FakeIdp(keysJson) });
}

describe("algorithms: valid tokens are accepted as the keys allow", () => {
  const rows: [string, (k: Keys) => { key: SigningKey; jwksText: string; inline?: boolean }][] = [
    ["RS256", (k) => ({ key: k.rsa, jwksText: jwks(k.rsa) })],
    ["PS256", (k) => ({ key: k.ps256, jwksText: jwks(k.ps256) })],
    ["PS256 with an RSA key that names no alg", (k) => ({ key: k.ps256, jwksText: jwks(withoutAlg(k.ps256)) })],
    ["ES256", (k) => ({ key: k.ec256, jwksText: jwks(k.ec256) })],
    ["ES384", (k) => ({ key: k.ec384, jwksText: jwks(k.ec384) })],
    ["ES512 (P-521)", (k) => ({ key: k.ec521, jwksText: jwks(k.ec521) })],
    ["EdDSA (Ed25519)", (k) => ({ key: k.ed25519, jwksText: jwks(k.ed25519) })],
    ["HS256 with an inline oct key", (k) => ({ key: k.hs256, jwksText: jwks(k.hs256), inline: true })],
    ["the right key among several", (k) => ({ key: k.ec256, jwksText: jwks(k.rsa, k.ed25519, k.ec256) })],
    ["no kid in the token: every key is tried", (k) => ({ key: k.ec256, jwksText: jwks(k.rsa, k.ec256) })],
  ];
  it.each(rows)("%s", async (name, setup) => {
    const { key, jwksText, inline } = setup(K);
    const h = inline ? harness([ra("authn", { jwtRules: [rule({ jwksUri: undefined, jwks: jwksText })] })]) : remote(jwksText);
    const token = await sign(key, {}, { noKid: name.startsWith("no kid") });
    const out = await h.authenticate(bearer(token));
    expect(out).toMatchObject({ kind: "ok", principal: `${ISSUER}/alice`, issuer: ISSUER, subject: "alice" });
  });
});

describe("attacks and bad input (issue 4)", () => {
  type Row = [string, (k: Keys) => Promise<{ token: string; jwksText?: string; inline?: string }>, JwtStatus];
  const rows: Row[] = [
    ["alg none, empty signature", async () => ({ token: rawToken({ alg: "none" }, { iss: ISSUER, sub: "mallory" }, "") }), "JwtBadFormat"],
    ["alg none with a signature", async () => ({ token: rawToken({ alg: "none" }, { iss: ISSUER, sub: "mallory" }, "eA") }), "JwtHeaderNotImplementedAlg"],
    [
      "HS256 signed with the RSA public key (JWK text) as HMAC secret, key names RS256",
      async (k) => {
        const input = `${b64url(JSON.stringify({ alg: "HS256", kid: k.rsa.kid }))}.${b64url(JSON.stringify({ iss: ISSUER, sub: "mallory", exp: NOW_S + 60 }))}`;
        return { token: `${input}.${await hmacSign(input, new TextEncoder().encode(jwks(k.rsa)))}` };
      },
      "JwksKidAlgMismatch",
    ],
    [
      "HS256 signed with the RSA modulus as HMAC secret, key names no alg",
      async (k) => {
        const input = `${b64url(JSON.stringify({ alg: "HS256", kid: k.rsa.kid }))}.${b64url(JSON.stringify({ iss: ISSUER, sub: "mallory" }))}`;
        return { token: `${input}.${await hmacSign(input, new TextEncoder().encode(k.rsa.jwk.n!))}`, jwksText: jwks(withoutAlg(k.rsa)) };
      },
      "JwtVerificationFail",
    ],
    [
      "HS256 against an inline JWKS holding only an RSA key",
      async (k) => {
        const input = `${b64url(JSON.stringify({ alg: "HS256" }))}.${b64url(JSON.stringify({ iss: ISSUER, sub: "mallory" }))}`;
        return { token: `${input}.${await hmacSign(input, new TextEncoder().encode(JSON.stringify(k.rsa.jwk)))}`, inline: jwks(withoutAlg(k.rsa)) };
      },
      "JwtVerificationFail",
    ],
    [
      "HS256 with an oct key published in a remote JWKS (symmetric keys are never taken from a URL)",
      async (k) => ({ token: await sign(k.hs256), jwksText: jwks(k.hs256, k.ec256) }),
      "JwksKidAlgMismatch",
    ],
    ["unknown kid", async (k) => ({ token: await sign({ ...k.ec256, kid: "rotated-away" }) }), "JwksKidAlgMismatch"],
    ["kid matches but alg differs from the key's", async (k) => ({ token: await sign(k.ec384, {}, { header: { kid: k.ec256.kid } }) }), "JwksKidAlgMismatch"],
    ["RS256 token verified against an EC key with that kid and no alg", async (k) => ({ token: await sign(k.rsa, {}, { header: { kid: "shared" } }), jwksText: jwks(withoutAlg(k.ec256, "shared")) }), "JwtVerificationFail"],
    ["signed by another key with the same kid", async (k) => ({ token: await sign(k.rsaOther) }), "JwtVerificationFail"],
    [
      "payload tampered after signing",
      async (k) => {
        const [h, , s] = segments(await sign(k.ec256));
        return { token: `${h}.${b64url(JSON.stringify({ iss: ISSUER, sub: "admin", exp: NOW_S + 60 }))}.${s}` };
      },
      "JwtVerificationFail",
    ],
    [
      "signature of another token",
      async (k) => {
        const [h, p] = segments(await sign(k.ec256, { sub: "admin" }));
        const [, , s] = segments(await sign(k.ec256));
        return { token: `${h}.${p}.${s}` };
      },
      "JwtVerificationFail",
    ],
    [
      "Ed25519 signature of the wrong length",
      async (k) => {
        const [h, p] = segments(await sign(k.ed25519));
        return { token: `${h}.${p}.${b64url(new Uint8Array(63))}` };
      },
      "JwtEd25519SignatureWrongLength",
    ],
    [
      "correctly signed but with an unknown crit header",
      async (k) =>
        ({
          token: await new CompactSign(new TextEncoder().encode(JSON.stringify({ iss: ISSUER, sub: "alice" })))
            .setProtectedHeader({ alg: "ES256", kid: k.ec256.kid, crit: ["x-custom"], "x-custom": 1 })
            .sign(k.ec256.privateKey, { crit: { "x-custom": true } }),
        }),
      "JwtVerificationFail",
    ],
    ["expired (exp + 61 s)", async (k) => ({ token: await sign(k.ec256, { exp: NOW_S - 61 }) }), "JwtExpired"],
    ["not yet valid (nbf - 61 s)", async (k) => ({ token: await sign(k.ec256, { nbf: NOW_S + 61 }) }), "JwtNotYetValid"],
    ["wrong issuer", async (k) => ({ token: await sign(k.ec256, { iss: "https://evil.example.com" }) }), "JwtUnknownIssuer"],
    ["no issuer", async (k) => ({ token: await sign(k.ec256, { iss: undefined }) }), "JwtUnknownIssuer"],
    ["wrong audience", async (k) => ({ token: await sign(k.ec256, { aud: "other-api" }) }), "JwtAudienceNotAllowed"],
    ["no audience where one is required", async (k) => ({ token: await sign(k.ec256) }), "JwtAudienceNotAllowed"],
    ["two segments", async (k) => ({ token: segments(await sign(k.ec256)).slice(0, 2).join(".") }), "JwtBadFormat"],
    ["four segments", async (k) => ({ token: `${await sign(k.ec256)}.extra` }), "JwtBadFormat"],
    ["not a JWT at all", async () => ({ token: "opaque-access-token" }), "JwtBadFormat"],
    ["header segment not base64url", async (k) => ({ token: `a.${segments(await sign(k.ec256)).slice(1).join(".")}` }), "JwtHeaderParseErrorBadBase64"],
    ["payload not JSON", async (k) => ({ token: `${segments(await sign(k.ec256))[0]}.${b64url("hello")}.c2ln` }), "JwtPayloadParseErrorBadJson"],
    ["token over 8 KiB", async (k) => ({ token: await sign(k.ec256, { pad: "x".repeat(9000) }) }), "JwtVerificationFail"],
    [
      "a good token alongside a bad one",
      async (k) => ({ token: await sign(k.ec256) }),
      "JwtBadFormat",
    ],
  ];

  it.each(rows)("%s", async (name, make, status) => {
    const made = await make(K);
    const jwtRule = made.inline
      ? rule({ jwksUri: undefined, jwks: made.inline })
      : rule(name.includes("audience") ? { audiences: ["my-api"] } : {});
    const h = harness([ra("authn", { jwtRules: [jwtRule] })], { idp: new FakeIdp(made.jwksText ?? jwks(K.rsa, K.ec256, K.ed25519)) });
    const url = name.startsWith("a good token alongside") ? "https://api.example.com/x?access_token=garbage" : undefined;
    const out = await h.authenticate({ ...bearer(made.token), ...(url ? { url } : {}) });
    expectDeny(out, status);
  });

  it("tokens over 8 KiB are refused before any decoding, fetch or crypto", async () => {
    const h = remote(jwks(K.ec256));
    const token = "a".repeat(4000) + "." + "b".repeat(4000) + "." + "c".repeat(200);
    expectDeny(await h.authenticate(bearer(token)), "JwtVerificationFail");
    expect(h.idp.calls).toEqual([]);
    expect(h.count("jwt_signature_check")).toBe(0);
  });

  it("a valid token of exactly 8192 bytes passes; one byte more does not", async () => {
    const h = remote(jwks(K.ec256));
    const base = (await sign(K.ec256, { pad: "" })).length;
    const padFor = Math.floor(((8192 - base) * 3) / 4);
    let exact: string | undefined;
    let over: string | undefined;
    // Base64 cannot make every length: vary the header a little as well as the padding claim.
    for (const extra of [{}, { typ: "JWT" }, { x: "1" }, { x: "12" }]) {
      for (let m = padFor - 6; m <= padFor + 6; m++) {
        const t = await sign(K.ec256, { pad: "x".repeat(m) }, { header: extra });
        if (t.length === 8192) exact ??= t;
        if (t.length > 8192) over ??= t;
      }
    }
    expect(exact, "could build an 8192-byte token").toBeDefined();
    expect((await h.authenticate(bearer(exact!))).kind).toBe("ok");
    expectDeny(await h.authenticate(bearer(over!)), "JwtVerificationFail");
  });

  describe("exp / nbf exactly at the skew edges", () => {
    const rows: [string, Record<string, number>, "ok" | JwtStatus][] = [
      ["exp = now", { exp: NOW_S }, "ok"],
      ["exp = now - 60 (still inside the skew)", { exp: NOW_S - 60 }, "ok"],
      ["exp = now - 61", { exp: NOW_S - 61 }, "JwtExpired"],
      ["nbf = now + 60 (still inside the skew)", { nbf: NOW_S + 60 }, "ok"],
      ["nbf = now + 61", { nbf: NOW_S + 61 }, "JwtNotYetValid"],
    ];
    it.each(rows)("%s", async (_n, claims, expected) => {
      const h = remote(jwks(K.ec256));
      const out = await h.authenticate(bearer(await sign(K.ec256, claims)));
      if (expected === "ok") expect(out.kind).toBe("ok");
      else expectDeny(out, expected);
    });

    it("the clock's sub-second part is ignored (Envoy uses whole seconds)", async () => {
      const h = remote(jwks(K.ec256));
      h.clock.advance(999);
      expect((await h.authenticate(bearer(await sign(K.ec256, { exp: NOW_S - 60 })))).kind).toBe("ok");
    });
  });

  it("an expired token never causes a JWKS fetch", async () => {
    const h = remote(jwks(K.ec256));
    expectDeny(await h.authenticate(bearer(await sign(K.ec256, { exp: NOW_S - 3600 }))), "JwtExpired");
    expect(h.idp.calls).toEqual([]);
  });
});

describe("rules and issuers", () => {
  const two = () =>
    harness(
      [
        ra("a", { jwtRules: [rule({ issuer: "https://a.example", jwksUri: "https://a.example/jwks" })] }),
        ra("b", { jwtRules: [rule({ issuer: "https://b.example", jwksUri: "https://b.example/jwks", audiences: ["b-api"] })] }),
      ],
      {
        idp: (() => {
          const idp = new FakeIdp();
          idp.docs.set("https://a.example/jwks", jwks(K.ec256));
          idp.docs.set("https://b.example/jwks", jwks(K.ed25519));
          return idp;
        })(),
      },
    );

  it("the token's issuer picks the rule (and its keys)", async () => {
    const h = two();
    expect(await h.authenticate(bearer(await sign(K.ec256, { iss: "https://a.example" })))).toMatchObject({ kind: "ok", rule: { name: "a" } });
    expect(await h.authenticate(bearer(await sign(K.ed25519, { iss: "https://b.example", aud: "b-api" })))).toMatchObject({ kind: "ok", rule: { name: "b" } });
    expect(h.idp.calls.sort()).toEqual(["https://a.example/jwks", "https://b.example/jwks"]);
  });

  it("each rule checks its own audiences", async () => {
    const h = two();
    expectDeny(await h.authenticate(bearer(await sign(K.ed25519, { iss: "https://b.example", aud: "a-api" }))), "JwtAudienceNotAllowed");
  });

  it("a token signed by the other issuer's key fails", async () => {
    const h = two();
    expectDeny(await h.authenticate(bearer(await sign(K.ed25519, { iss: "https://a.example" }))), "JwksKidAlgMismatch");
  });

  it("an issuer no rule names is refused", async () => {
    expectDeny(await two().authenticate(bearer(await sign(K.ec256, { iss: "https://c.example" }))), "JwtUnknownIssuer");
  });

  it("a rule without issuer (jwksUri only) takes any issuer", async () => {
    const h = harness([ra("any", { jwtRules: [{ jwksUri: JWKS_URI }] })], { idp: new FakeIdp(jwks(K.ec256)) });
    expect(await h.authenticate(bearer(await sign(K.ec256, { iss: "https://whoever" })))).toMatchObject({ kind: "ok", principal: "https://whoever/alice" });
  });

  it("a token is only matched against the rules that read its location", async () => {
    const h = harness(
      [
        ra("a", { jwtRules: [rule({ issuer: "https://a.example", fromHeaders: [{ name: "x-a-token" }] })] }),
        ra("b", { jwtRules: [rule({ issuer: "https://b.example", fromHeaders: [{ name: "x-b-token" }] })] }),
      ],
      { idp: new FakeIdp(jwks(K.ec256)) },
    );
    const aToken = await sign(K.ec256, { iss: "https://a.example" });
    expect((await h.authenticate({ headers: { "x-a-token": aToken } })).kind).toBe("ok");
    expectDeny(await h.authenticate({ headers: { "x-b-token": aToken } }), "JwtUnknownIssuer");
  });

  it("two rules for one issuer are alternatives (Istio ORs providers)", async () => {
    const h = harness(
      [ra("web", { jwtRules: [rule({ audiences: ["web"], outputClaimToHeaders: [{ header: "x-web", claim: "sub" }] })] }), ra("mobile", { jwtRules: [rule({ audiences: ["mobile"], jwksUri: "https://idp.example.com/mobile-keys" })] })],
      {
        idp: (() => {
          const idp = new FakeIdp(jwks(K.ec256));
          idp.docs.set("https://idp.example.com/mobile-keys", jwks(K.ed25519));
          return idp;
        })(),
      },
    );
    expect(await h.authenticate(bearer(await sign(K.ed25519, { aud: "mobile" })))).toMatchObject({ kind: "ok", rule: { name: "mobile" }, setHeaders: {} });
    expect(await h.authenticate(bearer(await sign(K.ec256, { aud: "web" })))).toMatchObject({ kind: "ok", rule: { name: "web" }, setHeaders: { "x-web": "alice" } });
    expectDeny(await h.authenticate(bearer(await sign(K.ec256, { aud: "tv" }))), "JwtAudienceNotAllowed");
    // right audience for "mobile", wrong key for it; "web" (first) refuses the audience: its reason is given
    expectDeny(await h.authenticate(bearer(await sign(K.ec256, { aud: "mobile" }))), "JwtAudienceNotAllowed");
  });

  it("no rules: everything passes untouched", async () => {
    const h = harness([]);
    expect(await h.authenticate(bearer("garbage"))).toEqual({ kind: "none", removeHeaders: [] });
  });
});

describe("missing tokens and CORS preflights", () => {
  it("no token: passes with no principal, and never fetches keys", async () => {
    const h = remote(jwks(K.ec256));
    expect(await h.authenticate({})).toEqual({ kind: "none", removeHeaders: [] });
    expect(h.idp.calls).toEqual([]);
  });

  it("a CORS preflight with a bad token bypasses authentication", async () => {
    const h = remote(jwks(K.ec256));
    const out = await h.authenticate({
      method: "OPTIONS",
      headers: { authorization: "Bearer garbage", origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(out.kind).toBe("none");
  });

  it("an OPTIONS request that is not a preflight is authenticated", async () => {
    const h = remote(jwks(K.ec256));
    expectDeny(await h.authenticate({ method: "OPTIONS", headers: { authorization: "Bearer garbage", origin: "https://app.example" } }), "JwtBadFormat");
  });
});

describe("the deny reply", () => {
  it("carries Envoy's body, www-authenticate realm with the query, and response-code details", async () => {
    const h = remote(jwks(K.ec256));
    const out = await h.authenticate({ url: "https://api.example.com:8443/orders/7?expand=1", headers: { authorization: "Bearer abc" } });
    expect(out).toMatchObject({
      kind: "deny",
      details: "jwt_authn_access_denied{Jwt_is_not_in_the_form_of_Header.Payload.Signature_with_two_dots_and_3_sections}",
      reply: {
        status: 401,
        body: "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections",
        flag: "-",
        headers: { "www-authenticate": 'Bearer realm="https://api.example.com:8443/orders/7?expand=1", error="invalid_token"' },
      },
    });
  });

  it("the realm's path is cut at 256 characters", async () => {
    const h = remote(jwks(K.ec256));
    const path = `/${"p".repeat(300)}`;
    const out = await h.authenticate({ url: `http://h.example${path}`, headers: { authorization: "Bearer abc" } });
    expect(out.kind === "deny" && out.reply.headers?.["www-authenticate"]).toBe(`Bearer realm="http://h.example${path.slice(0, 256)}", error="invalid_token"`);
  });

  it("an audience mismatch is 403, as Envoy answers it", async () => {
    const h = remote(jwks(K.ec256), rule({ audiences: ["mine"] }));
    const out = await h.authenticate(bearer(await sign(K.ec256, { aud: "theirs" })));
    expect(out).toMatchObject({ kind: "deny", reply: { status: 403, body: "Audiences in Jwt are not allowed" } });
    expect(out.kind === "deny" && out.details).toBe("jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed}");
  });
});

describe("identity", () => {
  it("principal, audiences, presenter and claims", async () => {
    const h = remote(jwks(K.ec256), rule({ audiences: ["https://api.example.com/"] }));
    const out = await h.authenticate(bearer(await sign(K.ec256, { aud: ["api.example.com", "other"], azp: "web-app", groups: ["a", "b"] })));
    expect(out).toMatchObject({
      kind: "ok",
      principal: `${ISSUER}/alice`,
      audiences: ["api.example.com", "other"],
      presenter: "web-app",
      claims: { iss: ISSUER, sub: "alice", groups: ["a", "b"] },
      rule: { namespace: "istio-system", name: "authn", index: 0 },
      cached: false,
    });
  });

  it("no sub: no principal", async () => {
    const out = await remote(jwks(K.ec256)).authenticate(bearer(await sign(K.ec256, { sub: undefined })));
    expect(out.kind).toBe("ok");
    expect(out.kind === "ok" && out.principal).toBeUndefined();
  });
});

describe("a token seen again", () => {
  it("reuses the verified token's outcome at the same location, and computes its own at another", async () => {
    const h = remote(jwks(K.ec256), rule({ outputClaimToHeaders: [{ header: "x-sub", claim: "sub" }] }));
    const token = await sign(K.ec256, { groups: "a b" });
    const first = await h.authenticate(bearer(token));
    const again = await h.authenticate(bearer(token));
    expect(first).toMatchObject({ kind: "ok", cached: false, setHeaders: { "x-sub": "alice" }, removeHeaders: ["x-sub", "authorization"] });
    expect(again).toEqual({ ...first, cached: true });
    expect(h.count("jwt_signature_check")).toBe(1);
    // The same token in Istio's default query location: its own removals (the parameter, not the header).
    const inQuery = await h.authenticate({ url: `https://api.example.com/things?access_token=${token}`, headers: {} });
    expect(inQuery).toMatchObject({ kind: "ok", cached: true, removeHeaders: ["x-sub"], removeParams: ["access_token"] });
    expect((await h.authenticate(bearer(token)))).toEqual({ ...first, cached: true });
  });
});
