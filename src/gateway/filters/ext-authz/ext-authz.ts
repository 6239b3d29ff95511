/**
 * Gateway stage, 5: AuthorizationPolicy CUSTOM — the external authorization service of a mesh-config
 * extension provider decides; a denial is its status, body and headers (flag UAEX). A dry run
 * (explain) names the provider that would be asked and asks it only when told to.
 */
import { applyUpstreamHeaders, checkExternalAuthz, deniedReply, type CustomCheck } from "../../../policy/authz/index.js";
import type { LocalReply } from "../../../policy/local-reply.js";
import { authzView, gatewaySecurity } from "../../chain/authz-view.js";
import type { RequestFilter } from "../../chain/filter.js";
import { addFlag, mutableHeaders, record, type RequestContext } from "../../chain/request-context.js";
import type { SecurityRuntime } from "../../runtime/hydrate.js";
import type { AuthzRequestView } from "../../../policy/authz/index.js";
import { startClientSpan } from "../../tracing/request-trace.js";

export const extAuthzFilter: RequestFilter = {
  name: "ext_authz",
  onRequest(rc) {
    if (rc.listener === "mesh") return undefined;
    const security = gatewaySecurity(rc);
    if (!security.hasCustom) return undefined;
    return customCheck(rc, security, authzView(rc), { url: rc.request.url, headers: () => mutableHeaders(rc) }, "ext_authz");
  },
};

/**
 * CUSTOM at an enforcement point (the gateway, or a destination): none matched → continue; a bad
 * provider → 403; otherwise the provider decides. On allow its headers go upstream (`headers()`) and to
 * the client.
 */
export async function customCheck(
  rc: RequestContext,
  security: SecurityRuntime,
  view: AuthzRequestView,
  request: { url: string; headers(): Headers },
  stage: string,
): Promise<LocalReply | undefined> {
  const check: CustomCheck = security.authorizer.custom(view);
  if (check.kind === "none") return undefined;
  if (check.kind === "deny") {
    record(rc, stage, { policy: check.policy, denied: check.reason });
    return check.reply;
  }
  if (rc.dryRun && !rc.dryRun.callExtAuthz) {
    record(rc, stage, { policy: check.policy, provider: check.provider.name, call: "not made in a dry run (assumed to allow)" });
    return undefined;
  }
  const headers = request.headers();
  // Envoy's ext_authz filter: the check is an upstream call of its own, a client span in the trace.
  const span = startClientSpan(rc.trace, `async ${check.provider.name} egress`);
  const result = await checkExternalAuthz(view, { url: request.url, headers }, check.provider, {
    fetch: (r) => fetch(r),
    bindings: rc.env as unknown as Record<string, unknown>,
  });
  span?.end({ upstream_cluster: check.provider.name, "upstream_cluster.name": check.provider.name, "ext_authz.stage": stage, "ext_authz.allowed": result.allowed, "http.status_code": String(result.allowed ? 200 : result.reply.status) });
  record(rc, stage, { policy: check.policy, provider: check.provider.name, allowed: result.allowed, ...(result.allowed ? {} : { status: result.reply.status }) });
  if (!result.allowed) {
    addFlag(rc, "UAEX");
    return deniedReply(result);
  }
  applyUpstreamHeaders(headers, result);
  if (result.downstreamHeaders.length) {
    const extra = result.downstreamHeaders;
    rc.responseEditors.push((h) => { for (const [k, v] of extra) h.append(k, v); });
  }
  return undefined;
}
