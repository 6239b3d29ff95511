/**
 * The router: a Snapshot hydrated once per version (regexes compiled, host and path indexes built)
 * and asked, per request, which virtual host and route decide it. Pure: no I/O, no Workers APIs.
 *
 * @example
 *   const router = buildRouter(snapshot);             // once per snapshot version
 *   const d = router.route({ listener: "gateway", authority: "bookinfo.local", path: "/productpage",
 *     method: "GET", scheme: "http", port: 80, headers: request.headers });
 *   if (d.outcome === "matched") ... d.route.action ...
 */
import { expandMeshHost, stripPort } from "../config/hosts.js";
import type { Cluster, Route, RouteConfig, Snapshot, VirtualHost } from "../config/snapshot.js";
import { RequestView, type RouteInput } from "./request-view.js";
import { RouteIndex } from "./route-index.js";
import { RegexCache } from "./route-matcher.js";
import { VirtualHostIndex } from "./virtual-host-index.js";

export type { RouteInput } from "./request-view.js";

/** The virtual host chosen for a request (pipeline step 2), to be matched later (step 7). */
export class SelectedVirtualHost<R = unknown> {
  constructor(
    readonly listener: "gateway" | "mesh",
    readonly virtualHost: VirtualHost,
    /** Gateway listener: the route config (`http.<port>`) the host was found in. */
    readonly routeConfig: string | undefined,
    /** @internal */
    readonly index: RouteIndex<R>,
  ) {}

  /** Gateway `tls.httpsRedirect` on this host. */
  get httpsRedirect(): boolean {
    return this.virtualHost.httpsRedirect === true;
  }

  get ref(): VirtualHostRef {
    const ref: VirtualHostRef = { name: this.virtualHost.name, domains: this.virtualHost.domains };
    if (this.routeConfig) ref.routeConfig = this.routeConfig;
    return ref;
  }
}

export interface VirtualHostRef {
  name: string;
  domains: string[];
  routeConfig?: string;
}

export type RouteDecision<R = unknown> = NoVirtualHost | HttpsRedirectDecision | NoRoute | MatchedRoute<R>;

/** No virtual host for the Host ⇒ 404 `NR`. */
export interface NoVirtualHost {
  outcome: "no_virtual_host";
  listener: "gateway" | "mesh";
  /** The host looked up (lower case, no port). */
  host: string;
  routeConfig?: string;
}

/** The virtual host requires TLS and the request is plain HTTP ⇒ 301 to https (Envoy `require_tls`). */
export interface HttpsRedirectDecision {
  outcome: "https_redirect";
  listener: "gateway" | "mesh";
  virtualHost: VirtualHostRef;
}

/** A virtual host but no route matched ⇒ 404 `NR`. */
export interface NoRoute {
  outcome: "no_route";
  listener: "gateway" | "mesh";
  virtualHost: VirtualHostRef;
}

export interface MatchedRoute<R = unknown> {
  outcome: "matched";
  listener: "gateway" | "mesh";
  virtualHost: VirtualHostRef;
  /** The compiled route (plain snapshot data: action, rewrite, policies...). */
  route: Route;
  /** What the router's owner hydrated for the route (fault, CORS matchers, ...), once per snapshot. */
  runtime: R;
  /** Envoy route name (`http[].name[.match.name]`; `default` for the mesh default route). */
  routeName: string;
  /** Position of the route in the virtual host's merged, ordered routes. */
  routeIndex: number;
  /** The match block that won: its index in the HTTPRoute's `match` (absent for a rule without matches). */
  match: { index?: number; description: string };
  /** The uri prefix the route matched (`/` when the match has no uri), for prefix rewrites. */
  matchedPrefix?: string;
}

export interface Router<R = undefined> {
  readonly version: number;
  readonly snapshot: Snapshot;
  /** Step 2: the virtual host for the request's Host, or undefined (⇒ 404 NR). */
  virtualHost(input: RouteInput): SelectedVirtualHost<R> | undefined;
  /** Step 7: the first route of `vhost` that matches (claims must be in `input` by now). */
  match(vhost: SelectedVirtualHost<R>, input: RouteInput): NoRoute | MatchedRoute<R>;
  /** Both steps, with `httpsRedirect` checked in between (for explain and simple callers). */
  route(input: RouteInput): RouteDecision<R>;
  cluster(name: string): Cluster | undefined;
}

interface CompiledHost<R> {
  vhost: VirtualHost;
  index: RouteIndex<R>;
}

interface CompiledRouteConfig<R> {
  config: RouteConfig;
  hosts: VirtualHostIndex<CompiledHost<R>>;
}

/**
 * Hydrates a snapshot. Run once per snapshot version, never per request. `hydrateRoute` builds what
 * the caller needs per route (its runtime half), returned with every match.
 */
export function buildRouter(snapshot: Snapshot): Router<undefined>;
export function buildRouter<R>(snapshot: Snapshot, hydrateRoute: (route: Route) => R): Router<R>;
export function buildRouter<R>(snapshot: Snapshot, hydrateRoute: (route: Route) => R = () => undefined as R): Router<R> {
  type Host = CompiledHost<R>;
  const regexes = new RegexCache();
  const compileHost = (vhost: VirtualHost): Host => ({ vhost, index: new RouteIndex(vhost.routes, regexes, hydrateRoute) });

  const routeConfigs: CompiledRouteConfig<R>[] = snapshot.listeners.gateway.routeConfigs.map((config) => {
    const hosts = new VirtualHostIndex<Host>();
    for (const vh of config.virtualHosts) {
      const compiled = compileHost(vh);
      for (const d of vh.domains) hosts.add(d, compiled);
    }
    return { config, hosts };
  });
  const byPort = new Map(routeConfigs.map((rc) => [rc.config.port, rc]));

  // Mesh hosts are indexed by canonical name only; short forms are expanded per request below.
  const meshHosts = new VirtualHostIndex<Host>();
  for (const vh of snapshot.listeners.mesh.virtualHosts) meshHosts.add(vh.domains[0] ?? vh.name, compileHost(vh));

  /**
   * Which route config serves a request: the one for its port; else (Workers listen where they are
   * deployed, e.g. 8787 locally) the config whose protocol fits the scheme, preferring 443/80; else the
   * first.
   */
  const routeConfigFor = (port: number, scheme: string): CompiledRouteConfig<R> | undefined => {
    const exact = byPort.get(port);
    if (exact) return exact;
    const wantTLS = scheme === "https";
    const fits = routeConfigs.filter((rc) => rc.config.protocols.includes("HTTPS") === wantTLS);
    const preferred = wantTLS ? 443 : 80;
    return fits.find((rc) => rc.config.port === preferred) ?? fits[0] ?? routeConfigs[0];
  };

  const meshLookup = (host: string, namespace: string | undefined): Host | undefined => {
    const direct = meshHosts.exactOnly(host);
    if (direct) return direct;
    const expanded = expandMeshHost(host, namespace ?? "default");
    const viaShortName = expanded ? meshHosts.exactOnly(expanded) : undefined;
    return viaShortName ?? meshHosts.wildcard(host);
  };

  const virtualHost = (input: RouteInput): SelectedVirtualHost<R> | undefined => {
    const host = stripPort(input.authority);
    if (input.listener === "mesh") {
      const c = meshLookup(host, input.sourceNamespace);
      return c && new SelectedVirtualHost("mesh", c.vhost, undefined, c.index);
    }
    const rc = routeConfigFor(input.port, input.scheme);
    const c = rc?.hosts.lookup(host);
    return c && new SelectedVirtualHost("gateway", c.vhost, rc!.config.name, c.index);
  };

  const match = (vhost: SelectedVirtualHost<R>, input: RouteInput): NoRoute | MatchedRoute<R> => {
    const view = new RequestView(input);
    const i = vhost.index.find(view);
    if (i < 0) return { outcome: "no_route", listener: vhost.listener, virtualHost: vhost.ref };
    const compiled = vhost.index.routes[i]!;
    const route = compiled.route;
    const decision: MatchedRoute<R> = {
      outcome: "matched",
      listener: vhost.listener,
      virtualHost: vhost.ref,
      route,
      runtime: compiled.runtime,
      routeName: route.name,
      routeIndex: i,
      match: route.matchIndex === undefined
        ? { description: compiled.description }
        : { index: route.matchIndex, description: compiled.description },
    };
    const uri = route.match.uri;
    if (!uri) decision.matchedPrefix = "/";
    else if (uri.prefix !== undefined) decision.matchedPrefix = uri.prefix;
    return decision;
  };

  return {
    version: snapshot.version,
    snapshot,
    virtualHost,
    match,
    route(input) {
      const vhost = virtualHost(input);
      if (!vhost) {
        const out: NoVirtualHost = { outcome: "no_virtual_host", listener: input.listener, host: stripPort(input.authority) };
        if (input.listener === "gateway") {
          const rc = routeConfigFor(input.port, input.scheme);
          if (rc) out.routeConfig = rc.config.name;
        }
        return out;
      }
      if (vhost.httpsRedirect && input.scheme === "http") {
        return { outcome: "https_redirect", listener: vhost.listener, virtualHost: vhost.ref };
      }
      return match(vhost, input);
    },
    cluster(name) {
      return Object.hasOwn(snapshot.clusters, name) ? snapshot.clusters[name] : undefined;
    },
  };
}
