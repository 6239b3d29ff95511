import type { RouteInput } from "../../router/index.js";
import type { RequestContext } from "./request-context.js";

/** What the router reads from the request context. */
export function routeInput(rc: RequestContext): RouteInput {
  return {
    listener: rc.listener,
    authority: rc.authority,
    path: rc.path,
    method: rc.method,
    scheme: rc.scheme,
    port: rc.port,
    headers: rc.headers,
    sourceNamespace: rc.caller.namespace,
    claims: rc.claims,
  };
}
