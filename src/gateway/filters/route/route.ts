/**
 * Stage 7: the first route of the virtual host that matches (404 `NR` when none does).
 *
 * Like Envoy's route cache, the route may be looked up earlier by a stage that needs it (rate limits
 * attached to a named route); it is computed once per request, after JWT claims are known.
 */
import type { MatchedRoute } from "../../../router/index.js";
import { localReply } from "../../../policy/local-reply.js";
import { record, type RequestContext } from "../../chain/request-context.js";
import type { RouteRuntime } from "../../runtime/hydrate.js";
import { routeInput } from "../../chain/route-input.js";
import type { RequestFilter } from "../../chain/filter.js";

/** The matched route of this request, or undefined; looked up at most once. */
export function ensureRoute(rc: RequestContext): MatchedRoute<RouteRuntime> | undefined {
  if (!rc.routeLooked) {
    rc.routeLooked = true;
    const decision = rc.vhost ? rc.live.router.match(rc.vhost, routeInput(rc)) : undefined;
    if (decision?.outcome === "matched") rc.decision = decision;
  }
  return rc.decision;
}

export const routeMatchFilter: RequestFilter = {
  name: "route",
  onRequest(rc) {
    const d = ensureRoute(rc);
    record(rc, "route", d
      ? { name: d.routeName, source: d.route.source, index: d.routeIndex, match: d.match, action: d.route.action.kind }
      : { matched: false });
    return d ? undefined : localReply(404, "", "NR", "route_not_found");
  },
};
