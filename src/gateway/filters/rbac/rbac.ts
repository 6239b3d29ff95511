/**
 * Gateway stage, 6: AuthorizationPolicy AUDIT, DENY, then ALLOW (no ALLOW policy → allow; ALLOW
 * policies and none matched → 403 `RBAC: access denied`). Dry-run policies are evaluated and logged
 * only.
 */
import { authzView, gatewaySecurity } from "../../chain/authz-view.js";
import type { RequestFilter } from "../../chain/filter.js";
import { record } from "../../chain/request-context.js";

export const rbacFilter: RequestFilter = {
  name: "rbac",
  onRequest(rc) {
    if (rc.listener === "mesh") return undefined;
    const security = gatewaySecurity(rc);
    if (!security.hasRbac) return undefined;
    const decision = security.authorizer.authorize(authzView(rc));
    record(rc, "rbac", { allowed: decision.allowed, reason: decision.reason, policy: decision.policy, audit: decision.audit, dryRun: decision.dryRun });
    if (decision.dryRun && !rc.dryRun) console.log(JSON.stringify({ authz_dry_run: decision.dryRun, request_id: rc.requestId }));
    return decision.allowed ? undefined : decision.reply;
  },
};
