/**
 * The whole compile step of a config version: the traffic snapshot (src/config/compile) plus the
 * policy tables each policy stage compiles from its resources, in `snapshot.policies`.
 * The ConfigStore runs it once per version; the result is plain JSON.
 */
import { compileSnapshot, type CompileOptions } from "../config/compile/index.js";
import type { MeshOptions } from "../config/mesh-options.js";
import type { Resource } from "../config/resource.js";
import type { Snapshot } from "../config/snapshot.js";
import { AUTHZ_TABLE, compileAuthorization } from "./authz/index.js";
import { compileRequestAuthn, JWT_TABLE } from "./jwt/index.js";
import { compilePeerAuthn, PEER_AUTHN_TABLE } from "./peer-authn/peer-authentication.js";
import { compileRateLimits, RATE_LIMITS_TABLE } from "./ratelimit/index.js";
import { compileTelemetry, TELEMETRY_TABLE } from "./telemetry.js";

export function compileMeshSnapshot(resources: readonly Resource[], opts: CompileOptions & MeshOptions): Snapshot {
  const snapshot = compileSnapshot(resources, opts);
  snapshot.policies = {
    [PEER_AUTHN_TABLE]: compilePeerAuthn(resources, opts),
    [JWT_TABLE]: compileRequestAuthn(resources, opts),
    [AUTHZ_TABLE]: compileAuthorization(resources, opts),
    [RATE_LIMITS_TABLE]: compileRateLimits(resources, opts),
    [TELEMETRY_TABLE]: compileTelemetry(resources, opts),
  };
  return snapshot;
}
