/**
 * The east-west listener: what a sidecar does for a mesh member calling another through the gateway
 * (DESIGN §3). Every registry host gets a virtual host; without a VirtualService its routes send
 * everything to the host's cluster (Istio's "default" route). A VirtualService bound to `mesh`
 * (listed, or no `gateways` at all) replaces those routes for its hosts: exact hosts first, else the
 * most specific wildcard host, as Istio's mostSpecificWildcardVsIndex. Unlike on a gateway, mesh
 * VirtualServices for one host do not merge: the oldest wins (IST0109 flags the others).
 */
import { hostAliases, hostMatches } from "../hosts.js";
import type { Cluster, MeshListener, Route, VirtualHost } from "../snapshot.js";
import { clusterName } from "./clusters.js";
import { translateVirtualService } from "./http-route.js";
import type { GatewayWorkload } from "./gateway-listener.js";
import type { RegistryService, ServiceRegistry } from "./service-registry.js";
import type { PreparedVirtualService } from "./virtual-services.js";

const HTTP_PORT_PROTOCOLS = new Set(["", "HTTP", "HTTP2", "HTTPS", "GRPC", "GRPC-WEB", "HTTP_PROXY", "TLS"]);

export function buildMeshListener(
  virtualServices: readonly PreparedVirtualService[],
  registry: ServiceRegistry,
  clusters: Readonly<Record<string, Cluster>>,
  workload: GatewayWorkload,
): MeshListener {
  const meshVs = virtualServices.filter((vs) => vs.gateways.includes("mesh"));
  const exact = new Map<string, PreparedVirtualService>();
  const wildcardOwner = new Map<string, PreparedVirtualService>();
  const wildcard: Array<{ host: string; vs: PreparedVirtualService }> = [];
  for (const vs of meshVs) {
    for (const h of vs.hosts) {
      if (h.startsWith("*")) {
        if (!wildcardOwner.has(h)) {
          wildcardOwner.set(h, vs);
          wildcard.push({ host: h, vs });
        }
      } else if (!exact.has(h)) exact.set(h, vs);
    }
  }
  wildcard.sort((a, b) => b.host.length - a.host.length); // most specific first, stable

  const routeCache = new Map<PreparedVirtualService, Route[]>();
  const routesOf = (vs: PreparedVirtualService): Route[] => {
    let routes = routeCache.get(vs);
    if (!routes) {
      routes = translateVirtualService(vs, {
        listener: "mesh",
        gatewayLabels: workload.labels,
        gatewayNamespace: workload.namespace,
        registry,
        clusters,
        defaultPort: defaultPortOf(vs, registry),
      });
      routeCache.set(vs, routes);
    }
    return routes;
  };

  const vhosts: VirtualHost[] = [];
  const covered = new Set<string>();
  for (const service of [...registry.values()].sort((a, b) => (a.host < b.host ? -1 : 1))) {
    const vs = exact.get(service.host) ?? wildcard.find((w) => hostMatches(w.host, service.host))?.vs;
    const vsRoutes = vs ? routesOf(vs) : [];
    vhosts.push({
      name: service.host,
      domains: meshDomains(service.host),
      routes: vsRoutes.length > 0 ? vsRoutes : defaultRoutes(service),
    });
    covered.add(service.host);
  }
  // VirtualService hosts outside the registry still route (e.g. a mesh VS for an external name);
  // a wildcard host that covers registry hosts is served through their vhosts instead.
  const registryHosts = [...registry.keys()];
  for (const vs of meshVs) {
    for (const h of vs.hosts) {
      if (covered.has(h)) continue;
      const owner = h.startsWith("*") ? wildcardOwner.get(h) : exact.get(h);
      if (owner !== vs) continue;
      if (h.startsWith("*") && registryHosts.some((s) => hostMatches(h, s))) continue;
      covered.add(h);
      const routes = routesOf(vs);
      if (routes.length > 0) vhosts.push({ name: h, domains: meshDomains(h), routes });
    }
  }
  return { virtualHosts: vhosts };
}

/** Canonical FQDN first, then the forms a caller may use (`name.ns.svc`, `name.ns`). */
function meshDomains(host: string): string[] {
  return hostAliases(host);
}

function httpPorts(service: RegistryService) {
  return service.ports.filter((p) => HTTP_PORT_PROTOCOLS.has((p.protocol ?? "").toUpperCase()));
}

/**
 * What a sidecar does without a VirtualService: send the request to the host's cluster on the port
 * called. With several ports, one route per port (matching the request port) and the first port for
 * callers that name none (`http://reviews/` means port 80, which the service may not have).
 */
function defaultRoutes(service: RegistryService): Route[] {
  const ports = httpPorts(service);
  const mk = (port: number, matchPort?: number): Route => {
    const r: Route = {
      name: "default",
      source: { kind: "default" },
      match: matchPort === undefined ? {} : { port: matchPort },
      action: {
        kind: "forward",
        destinations: [{ host: service.host, port, cluster: clusterName(service.host, port), weight: 0 }],
        totalWeight: 0,
      },
    };
    return r;
  };
  if (ports.length === 0) return [mk(80)];
  if (ports.length === 1) return [mk(ports[0]!.number)];
  return [...ports.map((p) => mk(p.number, p.number)), mk(ports[0]!.number)];
}

/** Istio uses the listener port for destinations without one; here: the first port of the VS's first registry host. */
function defaultPortOf(vs: PreparedVirtualService, registry: ServiceRegistry): number {
  for (const h of vs.hosts) {
    const svc = registry.get(h);
    const p = svc && httpPorts(svc)[0];
    if (p) return p.number;
  }
  return 80;
}
