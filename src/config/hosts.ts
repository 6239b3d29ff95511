/**
 * Host names as Istio resolves them: short names are qualified with the namespace of the resource that
 * wrote them (`reviews` in `default` → `reviews.default.svc.cluster.local`), wildcards are left-most
 * only (`*.example.com`, `*`), and comparisons are case-insensitive.
 */

export const CLUSTER_DOMAIN = "svc.cluster.local";

/**
 * Qualifies a host written in a resource of `namespace`, as Istio's ResolveShortnameToFQDN does:
 * a name without dots (and not `*`) gets `.<namespace>.svc.cluster.local`; anything else is kept.
 */
export function resolveHost(host: string, namespace: string): string {
  const h = host.toLowerCase();
  if (h === "*" || h.includes(".") || h.includes(":") || h === "") return h;
  return `${h}.${namespace}.${CLUSTER_DOMAIN}`;
}

/**
 * The FQDN a mesh caller in `namespace` means by a short or partial name, as Kubernetes DNS search
 * paths expand it: `reviews` → `reviews.<ns>.svc.cluster.local`, `reviews.default` and
 * `reviews.default.svc` → `reviews.default.svc.cluster.local`; undefined when the name is already whole.
 */
export function expandMeshHost(host: string, namespace: string): string | undefined {
  let dots = 0;
  for (let i = 0; i < host.length; i++) if (host.charCodeAt(i) === 46) dots++;
  if (dots === 0) return resolveHost(host, namespace);
  if (host.endsWith(".svc")) return `${host}.${CLUSTER_DOMAIN.slice("svc.".length)}`;
  if (dots === 1) return `${host}.${CLUSTER_DOMAIN}`;
  return undefined;
}

/** The names a host can be reached by: `reviews.default.svc.cluster.local` ↔ `reviews`, `reviews.default`, ... */
export function hostAliases(fqdn: string, callerNamespace?: string): string[] {
  const suffix = `.${CLUSTER_DOMAIN}`;
  if (!fqdn.endsWith(suffix)) return [fqdn];
  const base = fqdn.slice(0, -suffix.length); // name.namespace
  const [name, ns] = base.split(".");
  const out = [fqdn, base, `${base}.svc`];
  if (name && ns && callerNamespace === ns) out.push(name);
  return out;
}

export function isWildcard(host: string): boolean {
  return host.startsWith("*");
}

/**
 * Does pattern `a` match concrete-or-wildcard host `b`? (Istio host.Name.Matches: `*.example.com`
 * matches `foo.example.com` and `*.bar.example.com` but not `example.com`; `*` matches all.)
 */
export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === "*") return true;
  if (p === h) return true;
  if (p.startsWith("*")) {
    const suffix = p.slice(1); // ".example.com"
    if (h.startsWith("*")) return h.slice(1).endsWith(suffix);
    return h.endsWith(suffix) && h.length > suffix.length;
  }
  return false;
}

/** Do two host patterns overlap in either direction (Istio host.Name.SubsetOf / Matches both ways)? */
export function hostsOverlap(a: string, b: string): boolean {
  return hostMatches(a, b) || hostMatches(b, a);
}

/**
 * Splits a Gateway server host `ns/dnsName` into namespace and name (`*` or `.` namespaces allowed;
 * no slash means `*`).
 */
export function splitServerHost(host: string): { namespace: string; host: string } {
  const i = host.indexOf("/");
  if (i < 0) return { namespace: "*", host: host.toLowerCase() };
  return { namespace: host.slice(0, i), host: host.slice(i + 1).toLowerCase() };
}

/** Strips the port from a `Host`/`:authority` value (IPv6 literals keep their brackets). */
export function stripPort(authority: string): string {
  const a = authority.toLowerCase();
  if (a.startsWith("[")) {
    const end = a.indexOf("]");
    return end < 0 ? a : a.slice(0, end + 1);
  }
  const i = a.lastIndexOf(":");
  return i < 0 ? a : a.slice(0, i);
}

/**
 * Parses a gateway reference as pilot's resolveGatewayName does: `ns/name`, `name` (resolved in
 * `namespace`), or the legacy FQDN form `name.ns[.svc.cluster.local]` (→ `ns/name`). `mesh` stays `mesh`.
 */
export function resolveGatewayRef(ref: string, namespace: string): string {
  if (ref === "mesh") return "mesh";
  if (ref.includes("/")) return ref;
  const legacy = legacyGatewayRef(ref);
  return legacy ?? `${namespace}/${ref}`;
}

/** `name.ns[.anything]` → `ns/name` (Istio's backward-compatible reading of a dotted gateway name), else undefined. */
export function legacyGatewayRef(ref: string): string | undefined {
  if (ref.includes("/")) return undefined;
  const dot = ref.indexOf(".");
  if (dot < 0) return undefined;
  const rest = ref.slice(dot + 1);
  const end = rest.indexOf(".");
  return `${end < 0 ? rest : rest.slice(0, end)}/${ref.slice(0, dot)}`;
}

/** Parses a label selector string like `istio=ingressgateway,app=gw` into a map. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    const [k, v] = part.split("=");
    if (k && k.trim()) out[k.trim()] = (v ?? "").trim();
  }
  return out;
}

/** Does `selector` (matchLabels) select a workload with `labels`? An empty selector selects all. */
export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
