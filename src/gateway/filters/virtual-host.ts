/**
 * Stage 2: the virtual host for the request's Host (port ignored; exact > `*.suffix` > `*`), and the
 * Gateway server's `tls.httpsRedirect` (301 to https).
 */
import { httpsRedirect } from "../../policy/redirect.js";
import { localReply } from "../local-reply.js";
import { routeInput } from "../route-input.js";
import type { RequestFilter } from "./filter.js";

export const virtualHostFilter: RequestFilter = {
  name: "virtual_host",
  onRequest(rc) {
    const vhost = rc.live.router.virtualHost(routeInput(rc));
    if (!vhost) return localReply(404, "", "NR");
    rc.vhost = vhost;
    if (vhost.httpsRedirect && rc.scheme === "http") {
      const r = httpsRedirect({ scheme: rc.scheme, authority: rc.authority, path: rc.path, port: rc.port });
      return localReply(r.status, "", "-", { location: r.location });
    }
    return undefined;
  },
};
