/** Stage 7: the first route of the virtual host that matches (404 `NR` when none does). */
import { localReply } from "../local-reply.js";
import { routeInput } from "../route-input.js";
import type { RequestFilter } from "./filter.js";

export const routeMatchFilter: RequestFilter = {
  name: "route",
  onRequest(rc) {
    if (!rc.vhost) return localReply(404, "", "NR");
    const decision = rc.live.router.match(rc.vhost, routeInput(rc));
    if (decision.outcome !== "matched") return localReply(404, "", "NR");
    rc.decision = decision;
    return undefined;
  },
};
