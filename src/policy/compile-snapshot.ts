/**
 * The whole compile step of a config version: the traffic snapshot (src/config/compile) plus the
 * policy tables each policy stage compiles from its resources, in `snapshot.policies`.
 * The ConfigStore runs it once per version; the result is plain JSON.
 */
import { compileSnapshot, type CompileOptions } from "../config/compile/index.js";
import type { MeshOptions } from "../config/mesh-options.js";
import type { Resource } from "../config/resource.js";
import type { Snapshot } from "../config/snapshot.js";
import { compileRateLimits, RATE_LIMITS_TABLE } from "./ratelimit/index.js";

export function compileMeshSnapshot(resources: readonly Resource[], opts: CompileOptions & Partial<MeshOptions>): Snapshot {
  const snapshot = compileSnapshot(resources, opts);
  snapshot.policies = {
    [RATE_LIMITS_TABLE]: compileRateLimits(resources, opts),
  };
  return snapshot;
}
