// Types for security-config.mjs, so bench/micro-worker.ts (type-checked with the project) can import it.
import type { BenchResource } from "./mesh-config.mjs";

export const BENCH_ISSUER: string;
export const BENCH_AUDIENCE: string;
export const BENCH_SUBJECT: string;
export const BENCH_CLIENT_IP: string;

export interface BenchSigner {
  /** JWKS text with the public key, for the RequestAuthentication's inline `jwks`. */
  jwks: string;
  /** A compact ES256 JWS the bench config accepts, distinct per `jti`. */
  sign(jti: string | number): Promise<string>;
}

export function benchSigner(): Promise<BenchSigner>;
export function authorizationPolicies(): BenchResource[];
export function requestAuthentication(jwks: string): BenchResource;
export function rateLimitPolicy(mode: "local" | "global"): BenchResource;
export function fullChainResources(jwks: string): BenchResource[];
export const GATEWAY_PRINCIPAL: string;
export function destinationPolicies(): BenchResource[];
