/**
 * JWT test kit: real keys generated here with jose, tokens signed with them, RequestAuthentication
 * resources, a JWKS endpoint whose behaviour a test controls (good / down / slow / garbage), a clock.
 */
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";
import type { MeshOptions } from "../../../src/config/mesh-options.js";
import type { Resource } from "../../../src/config/resource.js";
import type { JWTRule, RequestAuthenticationSpec } from "../../../src/config/schemas/request-authentication.js";
import { buildJwtAuthenticator, type JwtAuthenticatorDeps, type JwtEvent, type JwtOutcome } from "../../../src/policy/jwt/jwt-authenticator.js";
import { compileRequestAuthn } from "../../../src/config/compile/request-authentication.js";
import { JwksStore, type JwksStoreOptions } from "../../../src/policy/jwt/jwks-store.js";

export const MESH: MeshOptions = { gatewayLabels: { istio: "ingressgateway" }, gatewayNamespace: "istio-system", trustDomain: "cluster.local" };
export const ISSUER = "https://idp.example.com";
export const JWKS_URI = "https://idp.example.com/.well-known/jwks.json";
/** 2024-01-01T00:00:00Z, a whole second. */
export const NOW_S = 1_704_067_200;

export interface SigningKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey | Uint8Array;
  /** The public JWK as an IdP publishes it (with kid, alg and use). */
  jwk: JWK;
}

export async function asymmetricKey(alg: string, kid = `${alg.toLowerCase()}-1`, opts: { crv?: string } = {}): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(opts.crv ? { crv: opts.crv } : {}) });
  const jwk = await exportJWK(publicKey);
  return { alg, kid, privateKey, jwk: { ...jwk, kid, alg, use: "sig" } };
}

export function hmacKey(alg: "HS256" | "HS384" | "HS512", secret: Uint8Array, kid = `${alg.toLowerCase()}-1`): SigningKey {
  return { alg, kid, privateKey: secret, jwk: { kty: "oct", k: b64url(secret), kid, alg } };
}

export function jwks(...keys: (SigningKey | JWK)[]): string {
  return JSON.stringify({ keys: keys.map((k) => ("jwk" in k ? k.jwk : k)) });
}

export interface SignOptions {
  header?: Record<string, unknown>;
  /** Omit the `kid` header. */
  noKid?: boolean;
}

/** A token with `iss`, `sub`, `iat`, `exp` (+1 h) defaults; pass `undefined` values to drop claims. */
export async function sign(key: SigningKey, claims: JWTPayload = {}, opts: SignOptions = {}): Promise<string> {
  const payload: JWTPayload = { iss: ISSUER, sub: "alice", iat: NOW_S, exp: NOW_S + 3600, ...claims };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  const header = { alg: key.alg, ...(opts.noKid ? {} : { kid: key.kid }), ...opts.header } as { alg: string };
  return new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
}

// ---- raw token surgery ----

export function b64url(bytes: Uint8Array | string): string {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  let bin = "";
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function segments(token: string): [string, string, string] {
  return token.split(".") as [string, string, string];
}

/** A token assembled from parts (no real signature unless given). */
export function rawToken(header: unknown, payload: unknown, signature = "c2ln"): string {
  const enc = (v: unknown) => (typeof v === "string" ? v : b64url(JSON.stringify(v)));
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

/** HMAC-SHA256 over `header.payload` with raw key bytes (to forge tokens the way an attacker would). */
export async function hmacSign(signingInput: string, secret: Uint8Array, hash = "SHA-256"): Promise<string> {
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash }, false, ["sign"]);
  return b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(signingInput))));
}

// ---- resources ----

let created = Date.parse("2024-01-01T00:00:00Z");

export function ra(
  name: string,
  spec: RequestAuthenticationSpec,
  meta: { namespace?: string; created?: string } = {},
): Resource {
  created += 1000;
  return {
    apiVersion: "security.istio.io/v1",
    kind: "RequestAuthentication",
    metadata: { name, namespace: meta.namespace ?? "istio-system", creationTimestamp: meta.created ?? new Date(created).toISOString() },
    spec: spec as unknown as Record<string, unknown>,
  };
}

export const rule = (r: Partial<JWTRule> = {}): JWTRule => ({ issuer: ISSUER, jwksUri: JWKS_URI, ...r });

// ---- a controllable JWKS endpoint ----

export type EndpointMode = "good" | "down" | "slow" | "garbage" | "status500" | "empty-keys";

export class FakeIdp {
  mode: EndpointMode = "good";
  /** Documents served by URL (JWKS text, discovery JSON). */
  readonly docs = new Map<string, string>();
  readonly calls: string[] = [];

  constructor(jwksText?: string, uri = JWKS_URI) {
    if (jwksText !== undefined) this.docs.set(uri, jwksText);
  }

  readonly fetch = ((input: RequestInfo | URL): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    this.calls.push(url);
    switch (this.mode) {
      case "down":
        return Promise.reject(new TypeError("Network connection lost."));
      case "slow":
        return new Promise<Response>(() => {});
      case "garbage":
        return Promise.resolve(new Response("<html>gateway error</html>", { status: 200 }));
      case "status500":
        return Promise.resolve(new Response("oops", { status: 500 }));
      case "empty-keys":
        return Promise.resolve(Response.json({ keys: [] }));
      case "good": {
        const doc = this.docs.get(url);
        return Promise.resolve(doc === undefined ? new Response("not found", { status: 404 }) : new Response(doc, { headers: { "content-type": "application/json" } }));
      }
    }
  }) as typeof fetch;
}

export class Clock {
  constructor(public ms = NOW_S * 1000) {}
  readonly now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface Harness {
  authenticate(req: RequestInit & { url?: string }): Promise<JwtOutcome>;
  events: JwtEvent[];
  count(type: JwtEvent["type"]): number;
  idp: FakeIdp;
  clock: Clock;
  store: JwksStore;
  pending: Promise<unknown>[];
}

/**
 * An authenticator over RequestAuthentications, with its own JWKS store, fake IdP and clock.
 */
export function harness(
  resources: Resource[],
  opts: { idp?: FakeIdp; clock?: Clock; store?: Partial<JwksStoreOptions>; deps?: Partial<JwtAuthenticatorDeps> } = {},
): Harness {
  const idp = opts.idp ?? new FakeIdp();
  const clock = opts.clock ?? new Clock();
  const store = new JwksStore(opts.store);
  const events: JwtEvent[] = [];
  const pending: Promise<unknown>[] = [];
  const table = compileRequestAuthn(resources, MESH);
  const authn = buildJwtAuthenticator(JSON.parse(JSON.stringify(table)), {
    fetch: idp.fetch,
    now: clock.now,
    waitUntil: (p) => pending.push(p),
    jwksStore: store,
    onEvent: (e) => events.push(e),
    ...opts.deps,
  });
  return {
    authenticate: ({ url = "https://api.example.com/things?x=1", method = "GET", headers }) =>
      authn.authenticate({ url: new URL(url), method, headers: new Headers(headers) }),
    events,
    count: (type) => events.filter((e) => e.type === type).length,
    idp,
    clock,
    store,
    pending,
  };
}

export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

// ---- one set of keys per test file ----

export interface Keys {
  rsa: SigningKey;
  /** A second RSA key with the same kid as `rsa` (an impostor). */
  rsaOther: SigningKey;
  ps256: SigningKey;
  ec256: SigningKey;
  ec384: SigningKey;
  ec521: SigningKey;
  ed25519: SigningKey;
  hs256: SigningKey;
}

let keysPromise: Promise<Keys> | undefined;

export function testKeys(): Promise<Keys> {
  keysPromise ??= (async () => {
    const [rsa, rsaOther, ps256, ec256, ec384, ec521, ed25519] = await Promise.all([
      asymmetricKey("RS256", "rsa-1"),
      asymmetricKey("RS256", "rsa-1"),
      asymmetricKey("PS256", "ps-1"),
      asymmetricKey("ES256", "ec256-1"),
      asymmetricKey("ES384", "ec384-1"),
      asymmetricKey("ES512", "ec521-1"),
      asymmetricKey("EdDSA", "ed-1", { crv: "Ed25519" }),
    ]);
    const hs256 = hmacKey("HS256", new TextEncoder().encode("a shared secret of at least 32 bytes!!"), "hs-1");
    return { rsa, rsaOther, ps256, ec256, ec384, ec521, ed25519, hs256 };
  })();
  return keysPromise;
}

/** The key's public JWK without `alg` (and optionally another kid): it then verifies every algorithm of its type. */
export function withoutAlg(key: SigningKey, kid = key.kid): JWK {
  const { alg: _alg, ...rest } = key.jwk;
  return { ...rest, kid };
}
