/**
 * CorsPolicy translated as Istio's TranslateCORSPolicy fills Envoy's CorsPolicy (per route); the
 * per-request half (preflights, response headers) is src/policy/cors.ts.
 */
import { parseDuration } from "../duration.js";
import type { CorsPolicy, StringMatch } from "../schemas/virtual-service.js";

/** Envoy's CorsPolicy fields as Istio fills them. */
export interface CorsTranslation {
  allowOrigins: StringMatch[];
  allowMethods: string;
  allowHeaders: string;
  exposeHeaders: string;
  /** Seconds as a string, empty when unset. */
  maxAge: string;
  allowCredentials: boolean;
  forwardNotMatchingPreflights: boolean;
}

export function translateCors(policy: CorsPolicy): CorsTranslation {
  const allowOrigins = policy.allowOrigins?.length
    ? policy.allowOrigins
    : (policy.allowOrigin ?? []).map((exact) => ({ exact }));
  let maxAge = "";
  if (policy.maxAge !== undefined) {
    const ms = parseDuration(policy.maxAge);
    // Istio writes Duration.GetSeconds(): whole seconds, fraction dropped.
    if (ms !== undefined) maxAge = String(Math.trunc(ms / 1000 + 1e-9));
  }
  return {
    allowOrigins,
    allowMethods: (policy.allowMethods ?? []).join(","),
    allowHeaders: (policy.allowHeaders ?? []).join(","),
    exposeHeaders: (policy.exposeHeaders ?? []).join(","),
    maxAge,
    allowCredentials: policy.allowCredentials === true,
    forwardNotMatchingPreflights: policy.unmatchedPreflights !== "IGNORE",
  };
}

