/**
 * Admin API authentication (DESIGN §4): `Authorization: Bearer <ADMIN_TOKEN>` compared in constant
 * time, or a Cloudflare Access JWT (`Cf-Access-Jwt-Assertion`) verified with jose against the team's
 * JWKS when ACCESS_TEAM_DOMAIN and ACCESS_AUD are set. A gateway with neither refuses every admin call.
 */
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";

export interface AdminAuthConfig {
  adminToken?: string;
  accessTeamDomain?: string;
  accessAud?: string;
}

export type AuthResult = { ok: true; subject: string } | { ok: false; reason: string };

const encoder = new TextEncoder();

/** Constant-time string equality: compares SHA-256 digests, so lengths leak nothing either. */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}

// One JWKS per team domain per isolate: jose caches keys and rate-limits refetches.
const jwksByTeam = new Map<string, JWTVerifyGetKey>();

function teamJwks(team: string): JWTVerifyGetKey {
  let jwks = jwksByTeam.get(team);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(`${team}/cdn-cgi/access/certs`), { cacheMaxAge: 600_000, cooldownDuration: 30_000, timeoutDuration: 5_000 });
    jwksByTeam.set(team, jwks);
  }
  return jwks;
}

export async function authenticate(headers: Headers, cfg: AdminAuthConfig): Promise<AuthResult> {
  const team = cfg.accessTeamDomain?.replace(/\/+$/, "");
  if (!cfg.adminToken && !(team && cfg.accessAud)) {
    return { ok: false, reason: "admin API disabled: set the ADMIN_TOKEN secret or ACCESS_TEAM_DOMAIN and ACCESS_AUD" };
  }
  const authz = headers.get("authorization");
  if (cfg.adminToken && authz) {
    const m = /^Bearer\s+(.+)$/i.exec(authz.trim());
    if (m && (await safeEqual(m[1]!, cfg.adminToken))) return { ok: true, subject: "admin-token" };
  }
  const assertion = headers.get("cf-access-jwt-assertion");
  if (team && cfg.accessAud && assertion) {
    try {
      const { payload } = await jwtVerify(assertion, teamJwks(team), { issuer: team, audience: cfg.accessAud, clockTolerance: 60 });
      return { ok: true, subject: String(payload.email ?? payload.sub ?? "access") };
    } catch {
      return { ok: false, reason: "invalid Cloudflare Access token" };
    }
  }
  return { ok: false, reason: authz || assertion ? "invalid credentials" : "missing credentials: send Authorization: Bearer <ADMIN_TOKEN>" };
}
