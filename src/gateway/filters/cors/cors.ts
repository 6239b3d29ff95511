/**
 * Stage 8b: VirtualService `corsPolicy` — a matching preflight is answered here; other requests get
 * the CORS response headers when their origin is allowed.
 */
import { corsFor } from "../../../policy/cors.js";
import type { RequestFilter } from "../../chain/filter.js";

export const corsFilter: RequestFilter = {
  name: "cors",
  onRequest(rc) {
    const cors = rc.decision && corsFor(rc.decision.route);
    if (!cors) return undefined;
    const decision = cors.preflight({ method: rc.method, headers: rc.request.headers });
    if (decision.action === "reply") return decision.reply;
    const requestHeaders = rc.request.headers;
    rc.responseEditors.push((headers) => { cors.decorate(requestHeaders, headers); });
    return undefined;
  },
};
