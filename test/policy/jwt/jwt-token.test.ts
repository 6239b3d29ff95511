/**
 * Token parsing with jwt_verify_lib's statuses (one row per malformation), the exp/nbf skew edges, and
 * Envoy's audience comparison. Pure: no keys involved.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JWT_STATUS, type JwtStatus } from "../../../src/policy/jwt/jwt-status.js";
import { audiencesAllowed, checkTime, decodeBase64url, parseJwt } from "../../../src/policy/jwt/jwt-token.js";
import { b64url, rawToken } from "./fixtures.js";

const H = { alg: "RS256", kid: "k1" };
const P = { iss: "https://idp", sub: "alice", exp: 2_000_000_000 };

describe("parseJwt: malformed tokens get jwt_verify_lib's status", () => {
  const rows: [string, string, JwtStatus][] = [
    ["empty", "", "JwtBadFormat"],
    ["one segment", "abc", "JwtBadFormat"],
    ["two segments", "a.b", "JwtBadFormat"],
    ["four segments", "a.b.c.d", "JwtBadFormat"],
    ["alg none with empty signature", rawToken({ alg: "none" }, P, ""), "JwtBadFormat"],
    ["empty middle segment", "a..b.c", "JwtBadFormat"],
    ["header not base64url", `!!!.${b64url("{}")}.c2ln`, "JwtHeaderParseErrorBadBase64"],
    ["header standard base64 chars", `ab+/.${b64url("{}")}.c2ln`, "JwtHeaderParseErrorBadBase64"],
    ["header not JSON", rawToken(b64url("not json"), P), "JwtHeaderParseErrorBadJson"],
    ["header a JSON array", rawToken(b64url("[1]"), P), "JwtHeaderParseErrorBadJson"],
    ["header invalid UTF-8", rawToken(b64url(new Uint8Array([0x7b, 0xff, 0x7d])), P), "JwtHeaderParseErrorBadJson"],
    ["no alg", rawToken({ typ: "JWT" }, P), "JwtHeaderBadAlg"],
    ["alg not a string", rawToken({ alg: 256 }, P), "JwtHeaderBadAlg"],
    ["alg none", rawToken({ alg: "none" }, P), "JwtHeaderNotImplementedAlg"],
    ["alg None", rawToken({ alg: "None" }, P), "JwtHeaderNotImplementedAlg"],
    ["alg HS1", rawToken({ alg: "HS1" }, P), "JwtHeaderNotImplementedAlg"],
    ["alg Ed25519 (not EdDSA)", rawToken({ alg: "Ed25519" }, P), "JwtHeaderNotImplementedAlg"],
    ["kid not a string", rawToken({ alg: "RS256", kid: 7 }, P), "JwtHeaderBadKid"],
    ["payload not base64url", `${b64url(JSON.stringify(H))}.***.c2ln`, "JwtPayloadParseErrorBadBase64"],
    ["payload not JSON", rawToken(H, b64url("nope")), "JwtPayloadParseErrorBadJson"],
    ["payload a JSON string", rawToken(H, b64url('"x"')), "JwtPayloadParseErrorBadJson"],
    ["iss a number", rawToken(H, { iss: 1 }), "JwtPayloadParseErrorIssNotString"],
    ["iss null", rawToken(H, { iss: null }), "JwtPayloadParseErrorIssNotString"],
    ["sub a list", rawToken(H, { sub: ["a"] }), "JwtPayloadParseErrorSubNotString"],
    ["iat a string", rawToken(H, { iat: "1" }), "JwtPayloadParseErrorIatNotInteger"],
    ["iat negative", rawToken(H, { iat: -1 }), "JwtPayloadParseErrorIatOutOfRange"],
    ["nbf a string", rawToken(H, { nbf: "soon" }), "JwtPayloadParseErrorNbfNotInteger"],
    ["nbf too large", rawToken(H, { nbf: 1e30 }), "JwtPayloadParseErrorNbfOutOfRange"],
    ["exp a bool", rawToken(H, { exp: true }), "JwtPayloadParseErrorExpNotInteger"],
    ["exp negative", rawToken(H, { exp: -5 }), "JwtPayloadParseErrorExpOutOfRange"],
    ["jti a number", rawToken(H, { jti: 5 }), "JwtPayloadParseErrorJtiNotString"],
    ["aud a number", rawToken(H, { aud: 5 }), "JwtPayloadParseErrorAudNotString"],
    ["aud a mixed list", rawToken(H, { aud: ["a", 1] }), "JwtPayloadParseErrorAudNotString"],
    ["signature not base64url", rawToken(H, P, "sig+nature/"), "JwtSignatureParseErrorBadBase64"],
    ["signature of impossible length", rawToken(H, P, "abcde"), "JwtSignatureParseErrorBadBase64"],
  ];
  it.each(rows)("%s → %s", (_name, token, status) => {
    expect(parseJwt(token)).toEqual({ ok: false, status });
  });

  it("every status has Envoy's exact text", () => {
    expect(JWT_STATUS.JwtBadFormat).toBe("Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections");
    expect(JWT_STATUS.JwtHeaderNotImplementedAlg).toBe("Jwt header [alg] is not supported");
    expect(JWT_STATUS.JwksFetchFail).toBe("Jwks remote fetch is failed");
    expect(JWT_STATUS.JwksKidAlgMismatch).toBe("Jwks doesn't have key to match kid or alg from Jwt");
  });
});

describe("parseJwt: well-formed tokens", () => {
  it("reads the registered claims", () => {
    const r = parseJwt(rawToken(H, { ...P, aud: "api", nbf: 10.9, azp: "web" }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.jwt).toMatchObject({ alg: "RS256", kid: "k1", iss: "https://idp", sub: "alice", exp: 2_000_000_000, nbf: 10, audiences: ["api"] });
  });

  it("aud may be a list; absent claims read as empty", () => {
    const r = parseJwt(rawToken({ alg: "ES256" }, { aud: ["a", "b"] }));
    expect(r.ok && r.jwt).toMatchObject({ kid: "", iss: "", sub: "", exp: 0, nbf: 0, audiences: ["a", "b"] });
  });

  it("payload objects have no prototype (claims cannot reach Object.prototype)", () => {
    const r = parseJwt(rawToken(H, { nested: { a: 1 } }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.getPrototypeOf(r.jwt.payload)).toBe(null);
    expect((r.jwt.payload as Record<string, unknown>).constructor).toBeUndefined();
    expect(Object.getPrototypeOf(r.jwt.payload.nested)).toBe(null);
  });

  it("keeps the payload segment verbatim", () => {
    const token = rawToken(H, P);
    const r = parseJwt(token);
    expect(r.ok && r.jwt.payloadSegment).toBe(token.split(".")[1]);
  });
});

describe("checkTime: exp and nbf with Envoy's 60 s skew", () => {
  const exp = 1000;
  const nbf = 5000;
  const rows: [string, { exp: number; nbf: number }, number, JwtStatus | undefined][] = [
    ["exp: at exp", { exp, nbf: 0 }, exp, undefined],
    ["exp: exp + 60 s (last good second)", { exp, nbf: 0 }, exp + 60, undefined],
    ["exp: exp + 61 s", { exp, nbf: 0 }, exp + 61, "JwtExpired"],
    ["exp 0 means no expiry", { exp: 0, nbf: 0 }, 9e9, undefined],
    ["nbf: at nbf", { exp: 0, nbf }, nbf, undefined],
    ["nbf: nbf - 60 s (first good second)", { exp: 0, nbf }, nbf - 60, undefined],
    ["nbf: nbf - 61 s", { exp: 0, nbf }, nbf - 61, "JwtNotYetValid"],
    ["nbf is checked before exp", { exp: 10, nbf: 1000 }, 500, "JwtNotYetValid"],
  ];
  it.each(rows)("%s", (_n, times, now, status) => {
    expect(checkTime(times, now)).toBe(status);
  });
});

describe("audiencesAllowed: jwt_verify_lib CheckAudience", () => {
  const rows: [string, string[], string[], boolean][] = [
    ["no audiences configured: anything goes", [], ["x"], true],
    ["no audiences configured: token without aud", [], [], true],
    ["exact", ["api"], ["api"], true],
    ["one of several", ["a", "b"], ["c", "b"], true],
    ["none matches", ["a"], ["b"], false],
    ["token without aud", ["a"], [], false],
    ["scheme ignored", ["https://api.example.com"], ["api.example.com"], true],
    ["http vs https", ["http://api.example.com"], ["https://api.example.com/"], true],
    ["trailing slash ignored", ["api.example.com/"], ["api.example.com"], true],
    ["case matters", ["API"], ["api"], false],
  ];
  it.each(rows)("%s", (_n, configured, token, allowed) => {
    expect(audiencesAllowed(configured, token)).toBe(allowed);
  });
});

describe("properties", () => {
  it("parseJwt never throws, on any string", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = parseJwt(s);
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });

  it("parseJwt never throws on dot-joined base64url-ish pieces", () => {
    const piece = fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue().map((v) => b64url(JSON.stringify(v))));
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 4 }), (parts) => {
        const r = parseJwt(parts.join("."));
        if (r.ok) expect(r.jwt.alg.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it("decodeBase64url inverts encoding, with or without padding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(decodeBase64url(b64url(bytes))).toEqual(bytes);
        const padded = b64url(bytes) + "=".repeat((4 - (b64url(bytes).length % 4)) % 4);
        expect(decodeBase64url(padded)).toEqual(bytes);
      }),
    );
  });

  it("decodeBase64url agrees with the platform's base64 decoder on any string", () => {
    // The reference: the alphabet and padding rule checked by a regex, then atob.
    const reference = (segment: string): number[] | undefined => {
      if (!/^[A-Za-z0-9_-]*={0,2}$/.test(segment)) return undefined;
      const s = segment.replace(/=+$/, "");
      if (s.length % 4 === 1) return undefined;
      return [...atob(s.replace(/-/g, "+").replace(/_/g, "/"))].map((c) => c.charCodeAt(0));
    };
    const chars = fc.constantFrom(..."AZaz09-_=+/. é\u0000".split(""), "Q", "w", "8");
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }).map((a) => a.join("")), (segment) => {
        const got = decodeBase64url(segment);
        expect(got === undefined ? undefined : [...got]).toEqual(reference(segment));
      }),
      { numRuns: 2000 },
    );
  });
});
