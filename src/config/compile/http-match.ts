/**
 * Translates one `HTTPMatchRequest` into a RouteMatch for one listener (Istio TranslateRouteMatch plus
 * sourceMatchHTTP). What Envoy cannot see at request time is decided here, as Istio decides it when it
 * generates config for a proxy: on the gateway, `port` against the server port, `gateways`,
 * `sourceLabels` and `sourceNamespace` against the gateway workload. On the mesh listener the gateway
 * plays every caller's sidecar, so `port`, `sourceNamespace` and `sourceLabels` stay runtime matchers.
 */
import { resolveGatewayRef, selectorMatches } from "../hosts.js";
import type { HTTPMatchRequest, StringMatch } from "../schemas/virtual-service.js";
import type { ClaimMatcher, HeaderMatcher, QueryParamMatcher, RouteMatch } from "../snapshot.js";
import { routingClaimPath } from "../claim-path.js";

export interface ListenerContext {
  listener: "gateway" | "mesh";
  /** Gateway listener: `namespace/name` of the Gateway whose server is being built. */
  gatewayName?: string;
  /** Gateway listener: the server port (Istio's listenPort). */
  port?: number;
  gatewayLabels: Record<string, string>;
  gatewayNamespace: string;
}


/**
 * The RouteMatch for `m` on this listener, or null when the block does not apply to it (wrong port,
 * gateway, or source). `m` undefined (a rule without `match`) matches everything.
 */
export function translateMatch(m: HTTPMatchRequest | undefined, vsNamespace: string, ctx: ListenerContext): RouteMatch | null {
  if (!m) return {};
  if (!sourceMatches(m, vsNamespace, ctx)) return null;
  const out: RouteMatch = {};
  if (ctx.listener === "gateway") {
    if (m.port !== undefined && m.port !== 0 && m.port !== ctx.port) return null;
  } else {
    if (m.port !== undefined && m.port !== 0) out.port = m.port;
    if (!m.gateways?.length) {
      if (m.sourceNamespace) out.sourceNamespace = m.sourceNamespace;
      if (m.sourceLabels && Object.keys(m.sourceLabels).length > 0) out.sourceLabels = m.sourceLabels;
    }
  }

  const uri = m.uri ? stringMatchValue(m.uri) : undefined;
  if (uri) out.uri = uri;
  if (m.ignoreUriCase) out.ignoreUriCase = true;
  // `{}` (or regex "*") on a pseudo-header is a presence match, and pseudo-headers are always present.
  const scheme = m.scheme && stringMatchValue(m.scheme);
  if (scheme) out.scheme = scheme;
  const method = m.method && stringMatchValue(m.method);
  if (method) out.method = method;
  const authority = m.authority && stringMatchValue(m.authority);
  if (authority) out.authority = authority;

  const headers: HeaderMatcher[] = [];
  const claims: ClaimMatcher[] = [];
  for (const [invert, map] of [[false, m.headers], [true, m.withoutHeaders]] as const) {
    for (const [name, sm] of Object.entries(map ?? {})) {
      const claimPath = routingClaimPath(name);
      const value = stringMatchValue(sm);
      if (claimPath) {
        const c: ClaimMatcher = { path: claimPath };
        if (value) c.value = value;
        if (invert) c.invert = true;
        claims.push(c);
      } else {
        const h: HeaderMatcher = { name: name.toLowerCase() };
        if (value) h.value = value;
        if (invert) h.invert = true;
        headers.push(h);
      }
    }
  }
  if (headers.length > 0) out.headers = headers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (claims.length > 0) out.claims = claims;

  const params: QueryParamMatcher[] = [];
  for (const [name, sm] of Object.entries(m.queryParams ?? {})) {
    const value = stringMatchValue(sm);
    params.push(value ? { name, value } : { name });
  }
  if (params.length > 0) out.queryParams = params;
  return out;
}

/**
 * Istio sourceMatchHTTP: a block naming `gateways` applies only to those; otherwise its `sourceLabels`
 * / `sourceNamespace` must fit the proxy — on the gateway listener, the gateway workload itself.
 */
function sourceMatches(m: HTTPMatchRequest, vsNamespace: string, ctx: ListenerContext): boolean {
  if (m.gateways && m.gateways.length > 0) {
    const self = ctx.listener === "mesh" ? "mesh" : ctx.gatewayName;
    return m.gateways.some((g) => resolveGatewayRef(g, vsNamespace) === self);
  }
  if (ctx.listener === "mesh") return true;
  if (!selectorMatches(m.sourceLabels, ctx.gatewayLabels)) return false;
  return !m.sourceNamespace || m.sourceNamespace === ctx.gatewayNamespace;
}

/**
 * The one matcher a StringMatch sets, or undefined for a presence match (`{}` or `regex: "*"`, which
 * Istio turns into Envoy's present_match).
 */
export function stringMatchValue(sm: StringMatch | undefined): StringMatch | undefined {
  if (!sm) return undefined;
  if (sm.exact !== undefined) return { exact: sm.exact };
  if (sm.prefix !== undefined) return { prefix: sm.prefix };
  if (sm.regex !== undefined && sm.regex !== "*") return { regex: sm.regex };
  return undefined;
}

/**
 * Istio IsCatchAllRoute: the path matches everything (no uri, prefix `/`, or regex `.*`) and nothing
 * else is checked at request time. VirtualServices merged on one host get these moved last.
 */
export function isCatchAllMatch(m: RouteMatch): boolean {
  const uriAll = !m.uri || m.uri.prefix === "/" || m.uri.regex === ".*";
  return (
    uriAll &&
    !m.headers?.length &&
    !m.queryParams?.length &&
    !m.claims?.length &&
    !m.method &&
    !m.authority &&
    !m.scheme &&
    m.port === undefined &&
    m.sourceNamespace === undefined &&
    m.sourceLabels === undefined
  );
}
