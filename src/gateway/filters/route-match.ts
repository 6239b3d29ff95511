/**
 * Stage 7: the first route of the virtual host that matches (404 `NR` when none does).
 *
 * Like Envoy's route cache, the route may be looked up earlier by a stage that needs it (rate limits
 * attached to a named route); it is computed once per request, after JWT claims are known.
 */
import type { MatchedRoute } from "../../router/index.js";
import { localReply } from "../../policy/local-reply.js";
import type { RequestContext } from "../request-context.js";
import { routeInput } from "../route-input.js";
import type { RequestFilter } from "./filter.js";

const NO_ROUTE = Symbol("no route");
const looked = new WeakMap<RequestContext, MatchedRoute | typeof NO_ROUTE>();

/** The matched route of this request, or undefined; looked up at most once. */
export function ensureRoute(rc: RequestContext): MatchedRoute | undefined {
  let found = looked.get(rc);
  if (found === undefined) {
    const decision = rc.vhost ? rc.live.router.match(rc.vhost, routeInput(rc)) : undefined;
    found = decision?.outcome === "matched" ? decision : NO_ROUTE;
    looked.set(rc, found);
  }
  return found === NO_ROUTE ? undefined : found;
}

export const routeMatchFilter: RequestFilter = {
  name: "route",
  onRequest(rc) {
    const decision = ensureRoute(rc);
    if (!decision) return localReply(404, "", "NR");
    rc.decision = decision;
    return undefined;
  },
};
