/**
 * The per-snapshot "hydrate" of the policy stages: their tables from `snapshot.policies` turned into
 * runtime objects (compiled matchers, key extractors, verifiers) once per config version, with the
 * Workers bindings they need. Per-isolate state that must outlive a config change (rate-limit
 * counters) lives at module level, and so does the parsed MESH_CONFIG var.
 */
import { parseMeshConfig, type MeshConfig } from "../../config/mesh-config.js";
import type { Snapshot } from "../../config/snapshot.js";
import { rateLimiterStore } from "../../durable/rate-limiter.js";
import { buildJwtAuthenticator, JWT_TABLE, type JwtAuthnTable } from "../../policy/jwt/index.js";
import { AUTHZ_TABLE, buildAuthorizer, type Authorizer, type AuthzTable } from "../../policy/authz/index.js";
import { PEER_AUTHN_TABLE, type PeerAuthnTable } from "../../policy/peer-authn/peer-authentication.js";
import { TELEMETRY_TABLE, type TelemetryTable } from "../../policy/telemetry.js";
import { buildRateLimiter, LocalCounters, RATE_LIMITS_TABLE, type RateLimiter, type RateLimitTable } from "../../policy/ratelimit/index.js";

export interface RuntimePolicies {
  mesh: MeshConfig;
  peerAuthn: PeerAuthnTable | undefined;
  jwt: ReturnType<typeof buildJwtAuthenticator>;
  authorizer: Authorizer;
  /** Which authorization stages have work (skipped entirely otherwise). */
  authz: { custom: boolean; rbac: boolean };
  rateLimiter: RateLimiter;
  telemetry: TelemetryTable;
}


const localCounters = new LocalCounters();
let meshConfig: { text: string | undefined; config: MeshConfig } | undefined;

/** Istio's MeshConfig subset from the MESH_CONFIG var (YAML or JSON), parsed once per isolate. */
export function meshConfigOf(env: Env): MeshConfig {
  const text = env.MESH_CONFIG;
  if (!meshConfig || meshConfig.text !== text) {
    const parsed = parseMeshConfig(text);
    for (const e of parsed.errors) console.error(`MESH_CONFIG: ${typeof e === "string" ? e : JSON.stringify(e)}`);
    for (const w of parsed.warnings) console.warn(`MESH_CONFIG: ${typeof w === "string" ? w : JSON.stringify(w)}`);
    meshConfig = { text, config: parsed.config };
  }
  return meshConfig.config;
}

export function buildRuntimePolicies(snapshot: Snapshot, env: Env): RuntimePolicies {
  const mesh = meshConfigOf(env);
  const authzTable = snapshot.policies[AUTHZ_TABLE] as AuthzTable | undefined;
  const authorizer = buildAuthorizer(authzTable, { providers: mesh.extensionProviders });
  for (const w of authorizer.warnings) console.warn(`AuthorizationPolicy: ${w}`);
  return {
    mesh,
    jwt: buildJwtAuthenticator(snapshot.policies[JWT_TABLE] as JwtAuthnTable | undefined, {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
      now: () => Date.now(),
    }),
    peerAuthn: snapshot.policies[PEER_AUTHN_TABLE] as PeerAuthnTable | undefined,
    authorizer,
    authz: {
      custom: (authzTable?.custom.length ?? 0) > 0,
      rbac: (authzTable?.deny.length ?? 0) + (authzTable?.allow.length ?? 0) + (authzTable?.audit.length ?? 0) > 0,
    },
    rateLimiter: buildRateLimiter(snapshot.policies[RATE_LIMITS_TABLE] as RateLimitTable | undefined, {
      local: localCounters,
      global: env.RATE_LIMITER ? rateLimiterStore(env.RATE_LIMITER) : undefined,
    }),
    telemetry: (snapshot.policies[TELEMETRY_TABLE] as TelemetryTable | undefined) ?? { accessLog: false },
  };
}
