/**
 * The north-south listener (Istio buildGatewayHTTPRouteConfig): Gateways whose `selector` matches the
 * gateway workload contribute their HTTP(S) servers, merged by port into one route config each. A
 * VirtualService binds to a server when its `gateways` names that Gateway and one of its hosts
 * intersects a server host the VirtualService's namespace may use; the virtual host's domain is the
 * narrower of the two hosts. VirtualServices on one domain merge in creation order, catch-alls last.
 */
import { hostMatches, selectorMatches, splitServerHost } from "../hosts.js";
import type { Resource } from "../resource.js";
import type { GatewaySpec, Server } from "../schemas/gateway.js";
import type { Cluster, GatewayListener, Route, RouteConfig, VirtualHost } from "../snapshot.js";
import { namespacedName, sortByCreation } from "./creation-order.js";
import { sortCatchAllLast, translateVirtualService } from "./http-route.js";
import type { ServiceRegistry } from "./service-registry.js";
import { exportedTo, type PreparedVirtualService } from "./virtual-services.js";

export interface GatewayWorkload {
  labels: Record<string, string>;
  namespace: string;
}

interface BoundServer {
  gatewayName: string;
  /** Server hosts with `.` replaced by the Gateway's namespace. */
  hosts: Array<{ namespace: string; host: string }>;
  httpsRedirect: boolean;
  /** `tls.mode` (MUTUAL requires a verified client certificate). */
  tlsMode?: string;
}

export function buildGatewayListener(
  gateways: readonly Resource<GatewaySpec>[],
  virtualServices: readonly PreparedVirtualService[],
  registry: ServiceRegistry,
  clusters: Readonly<Record<string, Cluster>>,
  workload: GatewayWorkload,
): GatewayListener {
  const byPort = new Map<number, { protocols: Set<string>; servers: BoundServer[] }>();
  for (const gw of sortByCreation(gateways)) {
    if (!selectorMatches(gw.spec.selector, workload.labels)) continue;
    for (const server of gw.spec.servers ?? []) {
      const protocol = httpServerProtocol(server);
      if (!protocol) continue;
      const entry = byPort.get(server.port.number) ?? { protocols: new Set<string>(), servers: [] };
      entry.protocols.add(protocol);
      entry.servers.push({
        gatewayName: namespacedName(gw),
        hosts: server.hosts.map((h) => {
          const s = splitServerHost(h);
          return { namespace: s.namespace === "." ? gw.metadata.namespace : s.namespace, host: s.host };
        }),
        httpsRedirect: server.tls?.httpsRedirect === true,
        ...(server.tls?.mode ? { tlsMode: server.tls.mode } : {}),
      });
      byPort.set(server.port.number, entry);
    }
  }

  const routeConfigs: RouteConfig[] = [];
  for (const port of [...byPort.keys()].sort((a, b) => a - b)) {
    const { protocols, servers } = byPort.get(port)!;
    routeConfigs.push({
      name: `http.${port}`,
      port,
      protocols: [...protocols].sort(),
      virtualHosts: buildVirtualHosts(port, servers, virtualServices, registry, clusters, workload),
    });
  }
  return { routeConfigs };
}

/** HTTP-ish servers route; HTTPS too unless TLS passes through; TCP/TLS servers are not HTTP. */
function httpServerProtocol(server: Server): string | undefined {
  const p = server.port.protocol.toUpperCase();
  if (p === "HTTP" || p === "HTTP2" || p === "GRPC" || p === "GRPC-WEB" || p === "HTTP_PROXY") return p;
  if (p === "HTTPS") {
    const mode = server.tls?.mode;
    return mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH" ? undefined : p;
  }
  return undefined;
}

function buildVirtualHosts(
  port: number,
  servers: readonly BoundServer[],
  virtualServices: readonly PreparedVirtualService[],
  registry: ServiceRegistry,
  clusters: Readonly<Record<string, Cluster>>,
  workload: GatewayWorkload,
): VirtualHost[] {
  /** Routes one VirtualService brings to a domain through one Gateway, with the VS's creation rank. */
  interface Contribution { rank: number; key: string; routes: Route[] }
  interface Building { vhost: VirtualHost; contributions: Contribution[]; keys: Set<string> }
  const vhosts = new Map<string, Building>();
  const routeCache = new Map<string, Route[]>();
  const vhostFor = (domain: string): Building => {
    let b = vhosts.get(domain);
    if (!b) {
      b = { vhost: { name: `${domain}:${port}`, domains: [domain], routes: [] }, contributions: [], keys: new Set() };
      vhosts.set(domain, b);
    }
    return b;
  };

  for (const server of servers) {
    virtualServices.forEach((vs, rank) => {
      if (!vs.gateways.includes(server.gatewayName)) return;
      if (!exportedTo(vs.exportTo, vs.namespace, workload.namespace)) return;
      const serverHosts = server.hosts.filter((h) => h.namespace === "*" || h.namespace === vs.namespace).map((h) => h.host);
      const domains = intersectHosts(serverHosts, vs.hosts);
      if (domains.length === 0) return;
      const key = `${server.gatewayName}|${vs.namespace}/${vs.name}`;
      let routes = routeCache.get(key);
      if (!routes) {
        routes = translateVirtualService(vs, {
          listener: "gateway",
          gatewayName: server.gatewayName,
          port,
          gatewayLabels: workload.labels,
          gatewayNamespace: workload.namespace,
          registry,
          clusters,
          defaultPort: port,
        });
        routeCache.set(key, routes);
      }
      // A VirtualService with no routes for this gateway binds no host (Istio skips it).
      if (routes.length === 0) return;
      for (const domain of domains) {
        const b = vhostFor(domain);
        if (!b.keys.has(key)) {
          b.keys.add(key);
          b.contributions.push({ rank, key, routes });
        }
        if (server.httpsRedirect) b.vhost.httpsRedirect = true;
        if (server.tlsMode) b.vhost.tlsMode = server.tlsMode;
      }
    });
    if (server.httpsRedirect) for (const h of server.hosts) vhostFor(h.host).vhost.httpsRedirect = true;
  }

  if (vhosts.size === 0) {
    // Istio's blackhole: every request on this port gets 404 NR.
    return [{ name: `blackhole:${port}`, domains: ["*"], routes: [] }];
  }
  return [...vhosts.values()]
    .map(({ vhost, contributions }) => {
      // Merge in VirtualService creation order (stable: one VS through several Gateways keeps server order).
      const merged: Route[] = [];
      for (const c of [...contributions].sort((a, b) => a.rank - b.rank)) for (const r of c.routes) merged.push(r);
      return { ...vhost, routes: sortCatchAllLast(merged) };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Istio host.Names.Intersection: for each pair, the narrower host when one contains the other
 * (server `*.example.com` + VS `dev.example.com` ⇒ `dev.example.com`; VS `*` + server `a.com` ⇒ `a.com`).
 */
export function intersectHosts(serverHosts: readonly string[], vsHosts: readonly string[]): string[] {
  const out: string[] = [];
  const add = (h: string) => {
    const l = h.toLowerCase();
    if (!out.includes(l)) out.push(l);
  };
  for (const s of serverHosts) {
    for (const v of vsHosts) {
      if (hostMatches(v, s)) add(s);
      else if (hostMatches(s, v)) add(v);
    }
  }
  return out;
}
