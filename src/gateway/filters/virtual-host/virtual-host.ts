/**
 * Stage 2: the virtual host for the request's Host (port ignored; exact > `*.suffix` > `*`), and the
 * Gateway server's `tls.httpsRedirect` (301 to https).
 *
 * Local dev only (ISTHMUS_DEV=true, set by `npm start` and the tests): a request whose Host is the
 * loopback address itself and names no virtual host is matched against every gateway virtual host in
 * order, and the first with a matching route serves it. Clients that cannot set Host (Node's fetch
 * drops it) can then still reach their routes on 127.0.0.1:8787. From then on the request carries
 * that virtual host's name as its authority, so every later stage (authorization `hosts`, JWT,
 * rate limits, the upstream Host) sees the host that was chosen, never the loopback address.
 * A deployed gateway never does this.
 */
import { stripPort } from "../../../config/hosts.js";
import { httpsRedirect } from "../../../policy/redirect.js";
import type { SelectedVirtualHost } from "../../../router/index.js";
import { localReply } from "../../../policy/local-reply.js";
import { record, type RequestContext } from "../../chain/request-context.js";
import { routeInput } from "../../chain/route-input.js";
import type { RequestFilter } from "../../chain/filter.js";
import type { RouteRuntime } from "../../runtime/hydrate.js";
import { unregisteredHost } from "../../upstream/passthrough.js";

export const virtualHostFilter: RequestFilter = {
  name: "virtual_host",
  onRequest(rc) {
    let vhost = rc.live.router.virtualHost(routeInput(rc));
    if (!vhost) {
      const dev = devLoopbackHost(rc);
      if (dev) {
        vhost = dev.vhost;
        rc.authority = dev.authority;
      }
    }
    if (!vhost) {
      // East-west to a host the registry does not know: the mesh's outbound traffic policy decides.
      if (rc.listener === "mesh") return unregisteredHost(rc);
      record(rc, "virtual_host", { host: rc.authority, found: false });
      return localReply(404, "", "NR", "route_not_found");
    }
    rc.vhost = vhost;
    record(rc, "virtual_host", { ...vhost.ref, httpsRedirect: vhost.httpsRedirect, tlsMode: vhost.virtualHost.tlsMode });
    if (vhost.httpsRedirect && rc.scheme === "http") {
      const r = httpsRedirect({ scheme: rc.scheme, authority: rc.authority, path: rc.path, port: rc.port });
      return localReply(r.status, "", "-", "direct_response", { location: r.location });
    }
    return undefined;
  },
};

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

function devLoopbackHost(rc: RequestContext): { vhost: SelectedVirtualHost<RouteRuntime>; authority: string } | undefined {
  if (rc.listener !== "gateway" || rc.env.ISTHMUS_DEV !== "true" || !LOOPBACK.has(stripPort(rc.authority))) return undefined;
  // One concrete name per virtual host (`*.example.com` → `x.example.com`), in route-config order.
  // Local dev only, so computed per request rather than kept.
  const domains = rc.live.snapshot.listeners.gateway.routeConfigs.flatMap((c) => c.virtualHosts.map((v) => (v.domains[0] ?? "*").replace(/^\*/, "x")));
  for (const domain of domains) {
    const input = { ...routeInput(rc), authority: domain };
    const vhost = rc.live.router.virtualHost(input);
    if (vhost && rc.live.router.match(vhost, input).outcome === "matched") return { vhost, authority: domain };
  }
  return undefined;
}
