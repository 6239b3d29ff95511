/**
 * Stage 5: AuthorizationPolicy AUDIT, DENY, then ALLOW (no ALLOW policy → allow; ALLOW policies and
 * none matched → 403 `RBAC: access denied`). Dry-run policies are evaluated and logged only.
 */
import { authzView } from "../../chain/authz-view.js";
import type { RequestFilter } from "../../chain/filter.js";

export const authorizationFilter: RequestFilter = {
  name: "rbac",
  onRequest(rc) {
    if (!rc.live.policies.authz.rbac) return undefined;
    const decision = rc.live.policies.authorizer.authorize(authzView(rc));
    if (decision.dryRun) console.log(JSON.stringify({ authz_dry_run: decision.dryRun, request_id: rc.requestId }));
    return decision.allowed ? undefined : decision.reply;
  },
};
