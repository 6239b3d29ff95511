/**
 * A JSON Web Key Set as the gateway uses it: parsed once, each key told which algorithms it may verify,
 * imported lazily into WebCrypto (jose `importJWK`) once per algorithm and kept. Signatures are checked
 * with WebCrypto directly over the token's own `header.payload` bytes: the token was already parsed
 * (jwt-token.ts), and a second parse by a JWS library would double the non-crypto cost of a cache miss.
 *
 * Algorithm confusion is impossible by construction: a key verifies only the algorithms of its own
 * type (RSA → RS*, PS*; EC → the ES* of its curve; OKP Ed25519 → EdDSA; oct → HS*), narrowed to its
 * `alg` when it has one, and symmetric (`oct`) keys are accepted only where the caller says so (inline
 * `jwks`, never a published JWKS). So an HS256 token "signed" with an RSA public key as the HMAC secret
 * finds no key that may verify HS256. Key choice follows jwt_verify_lib `verifyJwtWithoutTimeChecking`:
 * keys whose `kid` differs from the token's (when both have one) or whose `alg` differs are skipped; if
 * none is left the status is `JwksKidAlgMismatch`, otherwise every remaining key is tried and failure is
 * `JwtVerificationFail`.
 */
import { importJWK, type JWK } from "jose";
import type { JwtStatus } from "./jwt-status.js";
import type { ParsedJwt } from "./jwt-token.js";

export interface JsonWebKeyEntry {
  kty: string;
  /** "" when absent. */
  kid: string;
  /** "" when absent. */
  alg: string;
  /** What this key may verify. */
  algs: ReadonlySet<string>;
  /** Public members only (private parts of a published key are dropped). */
  jwk: JWK;
}

const RSA_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
const HMAC_ALGS = ["HS256", "HS384", "HS512"];
const EC_CURVE_ALG: Record<string, string> = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" };
const ED25519_SIGNATURE_BYTES = 64;

export interface KeySetOptions {
  /** Accept `oct` (HMAC) keys: only for inline `jwks` written in the config. */
  allowSymmetric: boolean;
}

export class KeySet {
  private readonly imported = new Map<JsonWebKeyEntry, Map<string, Promise<CryptoKey | undefined>>>();

  private constructor(readonly keys: readonly JsonWebKeyEntry[]) {}

  /**
   * A key set from JWKS text (`{"keys": [...]}`, or one bare JWK). Undefined when the text is not a JSON
   * object; keys that are unusable are skipped, so the set may be empty.
   */
  static parse(text: string, options: KeySetOptions): KeySet | undefined {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!isObject(doc)) return undefined;
    const list = "keys" in doc ? doc.keys : [doc];
    if (!Array.isArray(list)) return undefined;
    const keys: JsonWebKeyEntry[] = [];
    for (const k of list) {
      const entry = isObject(k) ? toEntry(k, options) : undefined;
      if (entry) keys.push(entry);
    }
    return new KeySet(keys);
  }

  get size(): number {
    return this.keys.length;
  }

  /** Is there a key with exactly this `kid`? */
  hasKid(kid: string): boolean {
    return this.keys.some((k) => k.kid === kid);
  }

  /**
   * Checks the token's signature. Undefined when a key verified it, else the jwt_verify_lib status.
   * `onCrypto` is told about every signature check actually performed (tests count them).
   */
  async verify(jwt: ParsedJwt, onCrypto?: () => void): Promise<JwtStatus | undefined> {
    let matched = false;
    let signingInput: Uint8Array | undefined;
    for (const key of this.keys) {
      if (jwt.kid !== "" && key.kid !== "" && key.kid !== jwt.kid) continue;
      if (key.alg !== "" && key.alg !== jwt.alg) continue;
      matched = true;
      if (!key.algs.has(jwt.alg)) continue;
      if (key.kty === "OKP" && jwt.signature.length !== ED25519_SIGNATURE_BYTES) return "JwtEd25519SignatureWrongLength";
      // RFC 7515: a header naming extensions we do not understand (`crit`) must not be accepted.
      if (jwt.crit) continue;
      const cryptoKey = await this.importKey(key, jwt.alg);
      if (!cryptoKey) continue;
      signingInput ??= ASCII.encode(jwt.token.slice(0, jwt.token.lastIndexOf(".")));
      onCrypto?.();
      try {
        if (await crypto.subtle.verify(SIGNATURE_PARAMS[jwt.alg]!, cryptoKey, jwt.signature, signingInput)) return undefined;
      } catch {
        // A signature WebCrypto cannot even parse: try the next key, as jwt_verify_lib does.
      }
    }
    return matched ? "JwtVerificationFail" : "JwksKidAlgMismatch";
  }

  /**
   * The key as a WebCrypto key for `alg`, imported once (jose `importJWK`; HMAC secrets then as raw
   * HMAC keys). Undefined when WebCrypto refuses the key, or for RSA keys under 2048 bits.
   */
  private importKey(key: JsonWebKeyEntry, alg: string): Promise<CryptoKey | undefined> {
    let byAlg = this.imported.get(key);
    if (!byAlg) this.imported.set(key, (byAlg = new Map()));
    let p = byAlg.get(alg);
    if (!p) {
      p = importJWK(key.jwk, alg).then(
        async (k) => {
          if (k instanceof Uint8Array) {
            return crypto.subtle.importKey("raw", k, { name: "HMAC", hash: `SHA-${alg.slice(2)}` }, false, ["verify"]);
          }
          const bits = (k.algorithm as Partial<CryptoKeyRsaKeyAlgorithm>).modulusLength;
          return bits !== undefined && bits < MIN_RSA_BITS ? undefined : k;
        },
        () => undefined,
      ).catch(() => undefined);
      byAlg.set(alg, p);
    }
    return p;
  }
}

const ASCII = new TextEncoder();
const MIN_RSA_BITS = 2048;

/** WebCrypto parameters for each JWS algorithm (the key, imported for that algorithm, carries the hash). */
const SIGNATURE_PARAMS: Record<string, SubtleCryptoSignAlgorithm> = {
  RS256: { name: "RSASSA-PKCS1-v1_5" },
  RS384: { name: "RSASSA-PKCS1-v1_5" },
  RS512: { name: "RSASSA-PKCS1-v1_5" },
  PS256: { name: "RSA-PSS", saltLength: 32 },
  PS384: { name: "RSA-PSS", saltLength: 48 },
  PS512: { name: "RSA-PSS", saltLength: 64 },
  ES256: { name: "ECDSA", hash: "SHA-256" },
  ES384: { name: "ECDSA", hash: "SHA-384" },
  ES512: { name: "ECDSA", hash: "SHA-512" },
  EdDSA: { name: "Ed25519" },
  HS256: { name: "HMAC" },
  HS384: { name: "HMAC" },
  HS512: { name: "HMAC" },
};

/** jwt_verify_lib's per-key checks (`extractJwk`), plus: no `use: enc` keys, `oct` only when allowed. */
function toEntry(k: Record<string, unknown>, options: KeySetOptions): JsonWebKeyEntry | undefined {
  const kty = k.kty;
  if (typeof kty !== "string") return undefined;
  const kid = typeof k.kid === "string" ? k.kid : "";
  const alg = typeof k.alg === "string" ? k.alg : "";
  if (k.use !== undefined && k.use !== "sig") return undefined;
  const str = (name: string) => (typeof k[name] === "string" && k[name] !== "" ? (k[name] as string) : undefined);

  let algs: string[];
  let jwk: JWK;
  switch (kty) {
    case "RSA": {
      const n = str("n");
      const e = str("e");
      if (!n || !e) return undefined;
      if (alg !== "" && !alg.startsWith("RS") && !alg.startsWith("PS")) return undefined;
      algs = alg !== "" ? [alg] : RSA_ALGS;
      jwk = { kty, n, e };
      break;
    }
    case "EC": {
      const crv = str("crv") ?? Object.keys(EC_CURVE_ALG).find((c) => EC_CURVE_ALG[c] === alg);
      const x = str("x");
      const y = str("y");
      const curveAlg = crv !== undefined ? EC_CURVE_ALG[crv] : undefined;
      if (!curveAlg || !x || !y) return undefined;
      if (alg !== "" && alg !== curveAlg) return undefined;
      algs = [curveAlg];
      jwk = { kty, crv, x, y };
      break;
    }
    case "OKP": {
      const x = str("x");
      if (k.crv !== "Ed25519" || !x) return undefined;
      if (alg !== "" && alg !== "EdDSA") return undefined;
      algs = ["EdDSA"];
      jwk = { kty, crv: "Ed25519", x };
      break;
    }
    case "oct": {
      const secret = str("k");
      if (!options.allowSymmetric || !secret) return undefined;
      if (alg !== "" && !HMAC_ALGS.includes(alg)) return undefined;
      algs = alg !== "" ? [alg] : HMAC_ALGS;
      jwk = { kty, k: secret };
      break;
    }
    default:
      return undefined;
  }
  return { kty, kid, alg, algs: new Set(algs), jwk };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
