/**
 * Stage 8b: VirtualService `corsPolicy` — a matching preflight is answered here; other requests get
 * the CORS response headers when their origin is allowed.
 */
import type { RequestFilter } from "../../chain/filter.js";
import { record } from "../../chain/request-context.js";

export const corsFilter: RequestFilter = {
  name: "cors",
  onRequest(rc) {
    const cors = rc.decision?.runtime.cors;
    if (!cors) return undefined;
    const decision = cors.preflight({ method: rc.method, headers: rc.request.headers });
    record(rc, "cors", decision.action === "reply" ? { preflight: "answered", originAllowed: decision.originAllowed } : { preflight: decision.reason });
    if (decision.action === "reply") return decision.reply;
    const requestHeaders = rc.request.headers;
    rc.responseEditors.push((headers) => { cors.decorate(requestHeaders, headers); });
    return undefined;
  },
};
