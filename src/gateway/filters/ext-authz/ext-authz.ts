/**
 * Stage 3: AuthorizationPolicy CUSTOM — the external authorization service of a mesh-config
 * extension provider decides; a denial is its status, body and headers (flag UAEX).
 */
import { applyUpstreamHeaders, checkExternalAuthz, deniedResponse } from "../../../policy/authz/index.js";
import { authzView } from "../../chain/authz-view.js";
import { addFlag, mutableHeaders } from "../../chain/request-context.js";
import type { RequestFilter } from "../../chain/filter.js";

export const extAuthzFilter: RequestFilter = {
  name: "ext_authz",
  async onRequest(rc) {
    if (!rc.live.policies.authz.custom) return undefined;
    const check = rc.live.policies.authorizer.custom(authzView(rc));
    if (check.kind === "none") return undefined;
    if (check.kind === "deny") return check.reply;
    const result = await checkExternalAuthz(authzView(rc), { url: rc.request.url, headers: rc.headers }, check.provider, {
      fetch: (r) => fetch(r),
      bindings: rc.env as unknown as Record<string, unknown>,
    });
    if (!result.allowed) {
      addFlag(rc, "UAEX");
      return deniedResponse(result);
    }
    applyUpstreamHeaders(mutableHeaders(rc), result);
    if (result.downstreamHeaders.length) {
      const extra = result.downstreamHeaders;
      rc.responseEditors.push((h) => { for (const [k, v] of extra) h.append(k, v); });
    }
    return undefined;
  },
};
