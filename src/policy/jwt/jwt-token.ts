/**
 * Parsing a compact JWT without verifying it, step for step as jwt_verify_lib's `Jwt::parseFromString`
 * does, so that a malformed token is refused with the same status text Envoy gives: three non-empty
 * dot-separated segments, a JSON-object header with a string `alg` Envoy implements (never `none`), a
 * string `kid` if any, a JSON-object payload whose registered claims have the right types, and a
 * base64url signature. Also the time check (`exp`/`nbf` with clock skew) and Envoy's audience
 * comparison. Pure and synchronous; the signature is checked later (key-set.ts).
 */
import type { JwtStatus } from "./jwt-status.js";

/** Algorithms Envoy implements (jwt_verify_lib `isImplemented`); anything else, `none` included, is refused. */
export const IMPLEMENTED_ALGS: ReadonlySet<string> = new Set([
  "ES256", "ES384", "ES512",
  "HS256", "HS384", "HS512",
  "RS256", "RS384", "RS512",
  "PS256", "PS384", "PS512",
  "EdDSA",
]);

/** Envoy's default clock skew for `exp` and `nbf`, in seconds. */
export const CLOCK_SKEW_SECONDS = 60;

export interface ParsedJwt {
  /** The compact token as received. */
  token: string;
  alg: string;
  /** `kid` header ("" when absent, as jwt_verify_lib keeps it). */
  kid: string;
  /** The payload segment exactly as in the token (what `outputPayloadToHeader` forwards). */
  payloadSegment: string;
  /** Decoded signature bytes. */
  signature: Uint8Array;
  /** The header lists critical extensions (`crit`); we implement none, so such a token never verifies. */
  crit: boolean;
  /** The payload, parsed (objects without prototype, so claim lookups never reach Object.prototype). */
  payload: Record<string, unknown>;
  /** "" when absent. */
  iss: string;
  /** "" when absent. */
  sub: string;
  /** Seconds since the epoch; 0 when absent. */
  exp: number;
  nbf: number;
  /** `aud` as a list (a single string becomes one element). */
  audiences: string[];
}

export type ParseResult = { ok: true; jwt: ParsedJwt } | { ok: false; status: JwtStatus };

/**
 * @example parseJwt("eyJhbGciOiJub25lIn0.e30.")  // { ok: false, status: "JwtBadFormat" }
 */
export function parseJwt(token: string): ParseResult {
  const fail = (status: JwtStatus): ParseResult => ({ ok: false, status });

  // jwt_verify_lib splits on '.' skipping empty pieces and wants exactly 3; we also refuse empty pieces
  // between dots (`a..b.c`) which it would have glued together — same status text.
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => p === "")) return fail("JwtBadFormat");
  const [headerSeg, payloadSeg, signatureSeg] = parts as [string, string, string];

  const headerBytes = decodeBase64url(headerSeg);
  if (!headerBytes) return fail("JwtHeaderParseErrorBadBase64");
  const header = parseJsonObject(headerBytes);
  if (!header) return fail("JwtHeaderParseErrorBadJson");
  const alg = own(header, "alg");
  if (typeof alg !== "string") return fail("JwtHeaderBadAlg");
  if (!IMPLEMENTED_ALGS.has(alg)) return fail("JwtHeaderNotImplementedAlg");
  const kid = own(header, "kid");
  if (kid !== undefined && typeof kid !== "string") return fail("JwtHeaderBadKid");

  const payloadBytes = decodeBase64url(payloadSeg);
  if (!payloadBytes) return fail("JwtPayloadParseErrorBadBase64");
  const payload = parseJsonObject(payloadBytes);
  if (!payload) return fail("JwtPayloadParseErrorBadJson");

  const iss = own(payload, "iss");
  if (iss !== undefined && typeof iss !== "string") return fail("JwtPayloadParseErrorIssNotString");
  const sub = own(payload, "sub");
  if (sub !== undefined && typeof sub !== "string") return fail("JwtPayloadParseErrorSubNotString");
  const times: Record<"iat" | "nbf" | "exp", number> = { iat: 0, nbf: 0, exp: 0 };
  for (const name of ["iat", "nbf", "exp"] as const) {
    const v = own(payload, name);
    if (v === undefined) continue;
    if (typeof v !== "number") return fail(TIME_NOT_INTEGER[name]);
    if (v < 0 || v >= 2 ** 64) return fail(TIME_OUT_OF_RANGE[name]);
    times[name] = Math.trunc(v);
  }
  const jti = own(payload, "jti");
  if (jti !== undefined && typeof jti !== "string") return fail("JwtPayloadParseErrorJtiNotString");
  const aud = own(payload, "aud");
  let audiences: string[] = [];
  if (typeof aud === "string") audiences = [aud];
  else if (Array.isArray(aud)) {
    if (!aud.every((a) => typeof a === "string")) return fail("JwtPayloadParseErrorAudNotString");
    audiences = aud as string[];
  } else if (aud !== undefined) return fail("JwtPayloadParseErrorAudNotString");

  const signature = decodeBase64url(signatureSeg);
  if (!signature) return fail("JwtSignatureParseErrorBadBase64");

  return {
    ok: true,
    jwt: {
      token,
      alg,
      kid: kid ?? "",
      payloadSegment: payloadSeg,
      signature,
      crit: own(header, "crit") !== undefined,
      payload,
      iss: iss ?? "",
      sub: sub ?? "",
      exp: times.exp,
      nbf: times.nbf,
      audiences,
    },
  };
}

const TIME_NOT_INTEGER = {
  iat: "JwtPayloadParseErrorIatNotInteger",
  nbf: "JwtPayloadParseErrorNbfNotInteger",
  exp: "JwtPayloadParseErrorExpNotInteger",
} as const satisfies Record<string, JwtStatus>;
const TIME_OUT_OF_RANGE = {
  iat: "JwtPayloadParseErrorIatOutOfRange",
  nbf: "JwtPayloadParseErrorNbfOutOfRange",
  exp: "JwtPayloadParseErrorExpOutOfRange",
} as const satisfies Record<string, JwtStatus>;

/**
 * jwt_verify_lib `verifyTimeConstraint`: not yet valid when `now + skew < nbf`, expired when `exp` is
 * set and `now > exp + skew`. `nowSeconds` is whole seconds (Envoy truncates).
 */
export function checkTime(jwt: Pick<ParsedJwt, "exp" | "nbf">, nowSeconds: number, skew = CLOCK_SKEW_SECONDS): JwtStatus | undefined {
  if (nowSeconds + skew < jwt.nbf) return "JwtNotYetValid";
  if (jwt.exp && nowSeconds > jwt.exp + skew) return "JwtExpired";
  return undefined;
}

/**
 * jwt_verify_lib `CheckAudience`: true when no audiences are configured, or one of the token's matches
 * one configured, after removing an `http://`/`https://` scheme and one trailing slash on both sides.
 */
export function audiencesAllowed(configured: readonly string[], tokenAudiences: readonly string[]): boolean {
  if (configured.length === 0) return true;
  const allowed = new Set(configured.map(sanitizeAudience));
  return tokenAudiences.some((a) => allowed.has(sanitizeAudience(a)));
}

function sanitizeAudience(aud: string): string {
  if (aud === "") return aud;
  let start = 0;
  if (aud.startsWith("http://")) start = 7;
  else if (aud.startsWith("https://")) start = 8;
  const end = aud.endsWith("/") ? aud.length - 1 : aud.length;
  return start === 0 && end === aud.length ? aud : aud.slice(start, end);
}

/** Base64url alphabet → 6-bit value; -1 for anything else. */
const BASE64URL_VALUE = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/**
 * Base64url (up to two `=` of padding tolerated, as absl's WebSafeBase64Unescape does); undefined when
 * invalid. One pass into the output bytes: it runs three times per token never seen before.
 */
export function decodeBase64url(segment: string): Uint8Array | undefined {
  let end = segment.length;
  if (end > 0 && segment.charCodeAt(end - 1) === 61) end--;
  if (end > 0 && segment.charCodeAt(end - 1) === 61) end--;
  if (end % 4 === 1) return undefined;
  const out = new Uint8Array((end * 3) >> 2);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = segment.charCodeAt(i);
    const v = c < 128 ? BASE64URL_VALUE[c]! : -1;
    if (v < 0) return undefined;
    acc = ((acc & 0xffff) << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** A JSON object (protobuf Struct's rule: nothing else is accepted), with prototype-free objects. */
function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  return detachPrototypes(value) as Record<string, unknown>;
}

/** Copies JSON objects into `Object.create(null)` objects, so `claims.constructor` is just absent. */
function detachPrototypes(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = detachPrototypes(value[i]);
    return value;
  }
  const out = Object.create(null) as Record<string, unknown>;
  const source = value as Record<string, unknown>;
  for (const k of Object.keys(source)) out[k] = detachPrototypes(source[k]);
  return out;
}

function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}
