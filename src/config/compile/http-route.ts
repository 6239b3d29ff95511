/**
 * VirtualService HTTP rules → routes for one listener (Istio BuildHTTPRoutesForVirtualService and
 * translateRoute): one route per match block, blocks that do not apply to the listener dropped, and
 * nothing after the first catch-all of a VirtualService (it could never be reached).
 */
import { parseDuration } from "../duration.js";
import type {
  Destination,
  HTTPDirectResponse,
  HTTPRedirect,
  HTTPRoute,
  Headers as HeadersSpec,
} from "../schemas/virtual-service.js";
import type {
  DirectResponseAction,
  ForwardAction,
  Mirror,
  RedirectAction,
  Route,
  RouteRewrite,
  WeightedDestination,
} from "../snapshot.js";
import type { Cluster } from "../snapshot.js";
import { clusterName } from "./clusters.js";
import { translateCors } from "./cors.js";
import { translateFault } from "./fault.js";
import { combineHeaderOps, compileHeaderOps, hasHeaderOps } from "./header-ops.js";
import { compileRetryPolicy } from "./retry-policy.js";
import { isCatchAllMatch, translateMatch, type ListenerContext } from "./http-match.js";
import type { ServiceRegistry } from "./service-registry.js";
import type { PreparedVirtualService, SourcedHTTPRoute } from "./virtual-services.js";

export interface TranslateContext extends ListenerContext {
  registry: ServiceRegistry;
  /** Clusters by name: a destination's load balancer changes Istio's default retry host predicate. */
  clusters: Readonly<Record<string, Cluster>>;
  /** Port for a destination that names none on a service without exactly one port (Istio: the listener port). */
  defaultPort: number;
}

/** The routes of one VirtualService on one listener; empty means it contributes nothing there. */
export function translateVirtualService(vs: PreparedVirtualService, ctx: TranslateContext): Route[] {
  const out: Route[] = [];
  for (const http of vs.http) {
    const matches = http.route.match;
    if (!matches?.length) {
      const r = translateRoute(http, undefined, undefined, vs.namespace, ctx);
      if (r) out.push(r);
      break; // a rule without matches catches everything: later rules are unreachable
    }
    let catchAll = false;
    for (let i = 0; i < matches.length; i++) {
      const r = translateRoute(http, matches[i], i, vs.namespace, ctx);
      if (!r) continue;
      out.push(r);
      if (isCatchAllMatch(r.match)) {
        catchAll = true;
        break;
      }
    }
    if (catchAll) break;
  }
  return out;
}

/** SortVHostRoutes: catch-all routes moved last, relative order otherwise kept. */
export function sortCatchAllLast(routes: readonly Route[]): Route[] {
  const rest: Route[] = [];
  const catchAll: Route[] = [];
  for (const r of routes) (isCatchAllMatch(r.match) ? catchAll : rest).push(r);
  return rest.concat(catchAll);
}

function translateRoute(
  http: SourcedHTTPRoute,
  match: NonNullable<HTTPRoute["match"]>[number] | undefined,
  matchIndex: number | undefined,
  namespace: string,
  ctx: TranslateContext,
): Route | null {
  const rm = translateMatch(match, namespace, ctx);
  if (!rm) return null;
  const spec = http.route;
  let action: Route["action"];
  if (spec.redirect) action = translateRedirect(spec.redirect);
  else if (spec.directResponse) action = translateDirectResponse(spec.directResponse);
  else if (spec.route?.length) action = translateDestinations(spec.route, ctx);
  else return null; // no action (e.g. an unresolved delegate): Istio generates nothing usable

  if (http.source.kind === "HTTPRoute") {
    // Gateway API semantics (Istio's gateway conversion): segment-aware prefixes, 500 for a missing backend.
    if (rm.uri?.prefix !== undefined) rm.pathSeparatedPrefix = true;
    if (action.kind === "forward") action.clusterNotFoundStatus = 500;
  }
  const route: Route = {
    name: (spec.name ?? "") + (match?.name ? `.${match.name}` : ""),
    source: http.source,
    ...(matchIndex === undefined ? {} : { matchIndex }),
    match: rm,
    action,
  };
  const routeOps = compileHeaderOps(spec.headers);
  if (hasHeaderOps(routeOps)) route.headerOps = routeOps;
  if (action.kind === "forward") {
    const rewrite = translateRewrite(spec);
    if (rewrite) route.rewrite = rewrite;
    const mirrors = translateMirrors(spec, ctx);
    if (mirrors.length > 0) route.mirrors = mirrors;
    const timeout = spec.timeout === undefined ? undefined : parseDuration(spec.timeout);
    if (timeout) route.timeoutMs = timeout;
    translateRetries(route, action, spec, ctx);
    const weightedClusters = action.totalWeight > 0;
    action.destinations.forEach((d, i) => {
      const written = action.destinations.length === 1 ? spec.route?.[0]?.headers : destinationHeaders(spec, d, i);
      if (written) d.headerOps = combineHeaderOps(routeOps, compileHeaderOps(written), weightedClusters);
    });
  }
  if (spec.fault) {
    const fault = translateFault(spec.fault);
    if (fault) route.fault = fault;
  }
  if (spec.corsPolicy) route.cors = translateCors(spec.corsPolicy);
  return route;
}

/** The `headers` of the weighted destination `d` (destinations with weight 0 were dropped). */
function destinationHeaders(spec: HTTPRoute, d: WeightedDestination, index: number): HeadersSpec | undefined {
  const kept = (spec.route ?? []).filter((r) => (r.weight ?? 0) > 0);
  return kept[index]?.headers;
}

/**
 * Istio's ConvertPolicy: `retries` unset ⇒ the default policy (the snapshot's `defaultRetryPolicy`),
 * `attempts: 0` ⇒ none. Under consistent hashing Istio drops the previous-hosts predicate unless
 * `retryIgnorePreviousHosts` says otherwise, so such a destination carries its own policy.
 */
function translateRetries(route: Route, action: ForwardAction, spec: HTTPRoute, ctx: TranslateContext): void {
  const policy = compileRetryPolicy(spec.retries, route.timeoutMs);
  if (spec.retries !== undefined) route.retryPolicy = policy ?? null;
  if (!policy || spec.retries?.retryIgnorePreviousHosts !== undefined) return;
  for (const d of action.destinations) {
    if (!isHashing(ctx.clusters[d.cluster])) continue;
    d.retryPolicy = compileRetryPolicy(spec.retries, route.timeoutMs, { consistentHash: true }) ?? null;
  }
}

function isHashing(cluster: Cluster | undefined): boolean {
  const a = cluster?.loadBalancer.algorithm;
  return a === "RING_HASH" || a === "MAGLEV";
}

function translateRedirect(r: HTTPRedirect): RedirectAction {
  const out: RedirectAction = { kind: "redirect", redirectCode: r.redirectCode || 301 };
  if (r.uri !== undefined && r.uri !== "") out.uri = r.uri;
  if (r.prefixRewrite !== undefined) out.prefixRewrite = r.prefixRewrite;
  if (r.authority) out.authority = r.authority;
  if (r.scheme) out.scheme = r.scheme;
  if (r.port) out.port = r.port;
  if (r.derivePort) out.derivePort = r.derivePort;
  return out;
}

function translateDirectResponse(d: HTTPDirectResponse): DirectResponseAction {
  const out: DirectResponseAction = { kind: "directResponse", status: d.status };
  if (d.body?.string !== undefined) out.body = { string: d.body.string };
  else if (d.body?.bytes !== undefined) out.body = { bytes: d.body.bytes };
  return out;
}

/**
 * Weights are relative: with one destination it gets everything whatever its weight; with several,
 * weight-0 (or unset) destinations are dropped (Istio applyHTTPRouteDestination).
 */
function translateDestinations(route: NonNullable<HTTPRoute["route"]>, ctx: TranslateContext): ForwardAction {
  if (route.length === 1) {
    const only = route[0]!;
    // A single destination keeps its header ops; its host rewrite is folded into the route's
    // (translateRewrite), where Istio puts it.
    const single = weighted(only.destination, only.weight ?? 0, undefined, ctx);
    return { kind: "forward", destinations: [single], totalWeight: 0 };
  }
  const destinations: WeightedDestination[] = [];
  let total = 0;
  for (const d of route) {
    const w = d.weight ?? 0;
    if (w <= 0) continue;
    destinations.push(weighted(d.destination, w, d.headers, ctx));
    total += w;
  }
  return { kind: "forward", destinations, totalWeight: total };
}

function weighted(d: Destination, weight: number, headers: HeadersSpec | undefined, ctx: TranslateContext): WeightedDestination {
  const port = destinationPort(d, ctx);
  const out: WeightedDestination = { host: d.host, port, cluster: clusterName(d.host, port, d.subset || undefined), weight };
  if (d.subset) out.subset = d.subset;
  const authority = headerAuthority(headers);
  if (authority) out.authority = authority;
  return out;
}

/** Istio GetDestinationCluster: the destination's port, else the service's only port, else the listener's. */
function destinationPort(d: Destination, ctx: TranslateContext): number {
  if (d.port?.number) return d.port.number;
  const svc = ctx.registry.get(d.host);
  if (svc && svc.ports.length === 1) return svc.ports[0]!.number;
  return ctx.defaultPort;
}

/**
 * The upstream authority: `rewrite.authority`, else a `host`/`:authority` request header op on the
 * rule, else (single destination only) one on the destination. Weighted destinations keep their own,
 * which Envoy applies after the route's.
 */
function translateRewrite(spec: HTTPRoute): RouteRewrite | undefined {
  const out: RouteRewrite = {};
  const rw = spec.rewrite;
  if (rw?.uriRegexRewrite?.match !== undefined) {
    out.uriRegexRewrite = { match: rw.uriRegexRewrite.match, rewrite: rw.uriRegexRewrite.rewrite ?? "" };
  } else if (rw?.uri) out.uri = rw.uri;
  let authority = rw?.authority || headerAuthority(spec.headers);
  if (!authority && spec.route?.length === 1) authority = headerAuthority(spec.route[0]!.headers);
  if (authority) out.authority = authority;
  return Object.keys(out).length > 0 ? out : undefined;
}

function headerAuthority(h: HeadersSpec | undefined): string | undefined {
  const find = (ops: Record<string, string> | undefined): string | undefined => {
    let found: string | undefined;
    for (const [k, v] of Object.entries(ops ?? {})) {
      const key = k.toLowerCase();
      if (key === "host" || key === ":authority") found = v;
    }
    return found;
  };
  return find(h?.request?.set) ?? find(h?.request?.add);
}

/** `mirror` + `mirrorPercentage` (default 100 %, explicit 0 ⇒ none) or `mirrors[]` each with its own. */
function translateMirrors(spec: HTTPRoute, ctx: TranslateContext): Mirror[] {
  const out: Mirror[] = [];
  const push = (d: Destination, percentage: number) => {
    if (!(percentage > 0)) return;
    const port = destinationPort(d, ctx);
    const m: Mirror = { host: d.host, port, cluster: clusterName(d.host, port, d.subset || undefined), percentage: Math.min(percentage, 100) };
    if (d.subset) m.subset = d.subset;
    out.push(m);
  };
  if (spec.mirror) {
    const legacy = spec.mirrorPercent ?? spec.mirror_percent;
    const pct = spec.mirrorPercentage ? (spec.mirrorPercentage.value ?? 0) : legacy !== undefined ? legacy : 100;
    push(spec.mirror, pct);
  }
  for (const m of spec.mirrors ?? []) push(m.destination, m.percentage ? (m.percentage.value ?? 0) : 100);
  return out;
}
