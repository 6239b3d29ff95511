/**
 * VirtualServices prepared for translation, as pilot prepares them in its push context:
 * short names resolved in the VirtualService's own namespace (`hosts`, destination and mirror hosts,
 * `gateways` at top level and per match), then delegate rules replaced by the delegate's routes
 * (one level, Istio mergeVirtualServicesIfNeeded).
 */
import { resolveGatewayRef, resolveHost } from "../hosts.js";
import type { Resource } from "../resource.js";
import type {
  Destination,
  HTTPMatchRequest,
  HTTPRoute,
  VirtualServiceSpec,
} from "../schemas/virtual-service.js";
import type { RouteSource } from "../snapshot.js";
import { namespacedName, sortByCreation } from "./creation-order.js";

/** One HTTPRoute ready to translate, with where it came from. */
export interface SourcedHTTPRoute {
  route: HTTPRoute;
  source: RouteSource;
}

export interface PreparedVirtualService {
  resource: Resource<VirtualServiceSpec>;
  namespace: string;
  name: string;
  /** Resolved hosts (FQDN, `*.suffix` or `*`). */
  hosts: string[];
  /** Resolved gateway names (`ns/name` or `mesh`); `["mesh"]` when the spec lists none. */
  gateways: string[];
  exportTo?: string[];
  http: SourcedHTTPRoute[];
}

/**
 * Prepares every VirtualService with hosts, in creation order; VirtualServices without hosts are
 * delegates, only reachable through a root's `delegate`.
 */
export function prepareVirtualServices(all: readonly Resource<VirtualServiceSpec>[]): PreparedVirtualService[] {
  const sorted = sortByCreation(all);
  const delegates = new Map<string, Resource<VirtualServiceSpec>>();
  for (const vs of sorted) if (!vs.spec.hosts?.length) delegates.set(namespacedName(vs), vs);

  const out: PreparedVirtualService[] = [];
  for (const vs of sorted) {
    if (!vs.spec.hosts?.length) continue;
    const ns = vs.metadata.namespace;
    const http: SourcedHTTPRoute[] = [];
    (vs.spec.http ?? []).forEach((raw, i) => {
      const root = resolveRouteNames(raw, ns);
      const source: RouteSource = { kind: "VirtualService", namespace: ns, name: vs.metadata.name, http: i };
      if (!root.delegate) {
        http.push({ route: root, source });
        return;
      }
      const ref = `${root.delegate.namespace || ns}/${root.delegate.name ?? ""}`;
      const delegate = delegates.get(ref);
      // A missing or invisible delegate drops only this rule, as in Istio.
      if (!delegate || !exportedTo(delegate.spec.exportTo, delegate.metadata.namespace, ns)) return;
      const dns = delegate.metadata.namespace;
      (delegate.spec.http ?? []).forEach((rawLeaf, j) => {
        const leaf = resolveRouteNames(rawLeaf, dns);
        if (leaf.delegate) return; // only one level of delegation
        const merged = mergeHTTPRoute(root, leaf);
        if (merged) {
          http.push({
            route: merged,
            source: { ...source, delegate: { namespace: dns, name: delegate.metadata.name, http: j } },
          });
        }
      });
    });
    const prepared: PreparedVirtualService = {
      resource: vs,
      namespace: ns,
      name: vs.metadata.name,
      hosts: vs.spec.hosts.map((h) => resolveHost(h, ns)),
      gateways: vs.spec.gateways?.length ? vs.spec.gateways.map((g) => resolveGatewayRef(g, ns)) : ["mesh"],
      http,
    };
    if (vs.spec.exportTo) prepared.exportTo = vs.spec.exportTo;
    out.push(prepared);
  }
  return out;
}

/** Is a resource of `namespace` with `exportTo` visible from `to`? (Unset or `*` ⇒ everywhere.) */
export function exportedTo(exportTo: readonly string[] | undefined, namespace: string, to: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some((e) => e === "*" || e === to || (e === "." && namespace === to));
}

function resolveDestination(d: Destination, ns: string): Destination {
  return { ...d, host: resolveHost(d.host, ns) };
}

function resolveRouteNames(r: HTTPRoute, ns: string): HTTPRoute {
  const out: HTTPRoute = { ...r };
  if (r.route) out.route = r.route.map((d) => ({ ...d, destination: resolveDestination(d.destination, ns) }));
  if (r.mirror) out.mirror = resolveDestination(r.mirror, ns);
  if (r.mirrors) out.mirrors = r.mirrors.map((m) => ({ ...m, destination: resolveDestination(m.destination, ns) }));
  if (r.match) out.match = r.match.map((m) => (m.gateways ? { ...m, gateways: m.gateways.map((g) => resolveGatewayRef(g, ns)) } : m));
  if (r.delegate) out.delegate = { ...r.delegate, namespace: r.delegate.namespace || ns };
  return out;
}

// ---- delegate merge (Istio pilot/pkg/model/virtualservice.go) ----

/** The delegate's rule under the root's: matches merged, unset fields inherited; null on conflict. */
export function mergeHTTPRoute(root: HTTPRoute, leaf: HTTPRoute): HTTPRoute | null {
  const match = mergeHTTPMatchRequests(root.match, leaf.match);
  if (match === null) return null;
  const out: HTTPRoute = { ...leaf };
  delete out.match;
  if (match) out.match = match;
  if (!leaf.name) {
    if (root.name) out.name = root.name;
  } else if (root.name) out.name = `${root.name}-${leaf.name}`;
  const inherited = [
    "rewrite", "directResponse", "timeout", "retries", "fault", "mirror", "mirrors", "mirrorPercent",
    "mirror_percent", "mirrorPercentage", "corsPolicy", "headers",
  ] as const;
  for (const k of inherited) {
    if (out[k] === undefined && root[k] !== undefined) (out as Record<string, unknown>)[k] = root[k];
  }
  return out;
}

/**
 * Each delegate match must fit under at least one root match; every compatible pair yields a merged
 * match. Undefined when neither side has matches; null when some delegate match fits nowhere.
 */
export function mergeHTTPMatchRequests(
  root: readonly HTTPMatchRequest[] | undefined,
  leaf: readonly HTTPMatchRequest[] | undefined,
): HTTPMatchRequest[] | undefined | null {
  if (!root?.length) return leaf?.length ? [...leaf] : undefined;
  if (!leaf?.length) return [...root];
  const out: HTTPMatchRequest[] = [];
  for (const sub of leaf) {
    let found = false;
    for (const r of root) {
      if (hasConflict(r, sub)) continue;
      out.push(mergeHTTPMatchRequest(r, sub));
      found = true;
    }
    if (!found) return null;
  }
  return out.length > 0 ? out : null;
}

function mergeHTTPMatchRequest(root: HTTPMatchRequest, leaf: HTTPMatchRequest): HTTPMatchRequest {
  const out: HTTPMatchRequest = { ...leaf };
  if (!leaf.name) {
    if (root.name) out.name = root.name;
  } else if (root.name) out.name = `${root.name}-${leaf.name}`;
  if (!out.uri && root.uri) out.uri = root.uri;
  if (!out.scheme && root.scheme) out.scheme = root.scheme;
  if (!out.method && root.method) out.method = root.method;
  if (!out.authority && root.authority) out.authority = root.authority;
  for (const k of ["headers", "withoutHeaders", "queryParams"] as const) {
    if (root[k] || leaf[k]) out[k] = { ...(root[k] ?? {}), ...(leaf[k] ?? {}) };
  }
  if (!out.port && root.port) out.port = root.port;
  return out;
}

function hasConflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest): boolean {
  for (const k of ["uri", "scheme", "method", "authority"] as const) {
    if (stringMatchConflict(root[k], leaf[k])) return true;
  }
  for (const [key, v] of Object.entries(leaf.headers ?? {})) if (stringMatchConflict(root.headers?.[key], v)) return true;
  // Istio compares withoutHeaders against the root's headers (sic); kept for fidelity.
  for (const [key, v] of Object.entries(leaf.withoutHeaders ?? {})) if (stringMatchConflict(root.headers?.[key], v)) return true;
  for (const [key, v] of Object.entries(leaf.queryParams ?? {})) if (stringMatchConflict(root.queryParams?.[key], v)) return true;
  if (Boolean(root.ignoreUriCase) !== Boolean(leaf.ignoreUriCase)) return true;
  if (root.port && leaf.port && root.port !== leaf.port) return true;
  return false;
}

type SM = { exact?: string; prefix?: string; regex?: string } | undefined;

function stringMatchConflict(root: SM, leaf: SM): boolean {
  if (!root || !leaf) return false;
  if (root.regex || leaf.regex) return true;
  if (root.exact) {
    if (leaf.prefix) return true;
    return leaf.exact !== root.exact;
  }
  if (root.prefix) {
    if (leaf.prefix) return !leaf.prefix.startsWith(root.prefix);
    if (leaf.exact) return !leaf.exact.startsWith(root.prefix);
  }
  return true;
}
