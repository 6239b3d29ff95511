/**
 * Stage 4: RequestAuthentication. No token passes with no principal; a bad one gets 401 (403 for an
 * audience mismatch, as Envoy) with Envoy's reason text. A good one yields claims for claim-based
 * routes and AuthorizationPolicy; the token is stripped unless `forwardOriginalToken`.
 */
import { applyJwtOutcome } from "../../policy/jwt/index.js";
import { backgroundWork } from "../runtime-policies.js";
import type { RequestFilter } from "./filter.js";

export const jwtAuthnFilter: RequestFilter = {
  name: "jwt_authn",
  async onRequest(rc) {
    const authn = rc.live.policies.jwt;
    if (!authn.enabled) return undefined;
    const url = new URL(rc.path, `${rc.scheme}://${rc.authority}`);
    backgroundWork.waitUntil = rc.waitUntil;
    const outcome = await authn.authenticate({ headers: rc.headers, url, method: rc.method });
    if (outcome.kind === "deny") return outcome.reply;
    applyJwtOutcome(outcome, rc.headers, url);
    rc.path = url.pathname + url.search;
    if (outcome.kind === "ok") {
      rc.jwt = outcome;
      rc.claims = outcome.claims;
    }
    return undefined;
  },
};
