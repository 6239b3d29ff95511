/**
 * Redirect responses (Istio HTTPRedirect → Envoy RedirectAction, and a Gateway's `httpsRedirect`),
 * computed as Envoy builds the Location: scheme, host and port from the rule or the request, the path
 * replaced (`uri`) or its matched prefix swapped (`prefixRewrite`), the query string kept.
 */
import type { RedirectAction, RouteMatch } from "../config/snapshot.js";
import { prefixRewrite } from "./rewrite.js";

export interface RedirectRequest {
  scheme: "http" | "https";
  /** `Host` as sent (may include a port). */
  authority: string;
  /** Path with query. */
  path: string;
  /** Listener port, for `derivePort: FROM_REQUEST_PORT`. */
  port: number;
}

export interface RedirectResult {
  status: number;
  location: string;
}

/**
 * @param match the matched route's match, needed by `prefixRewrite`
 * @example redirect({ kind: "redirect", uri: "/v2", redirectCode: 301 }, req)  // { status: 301, location: "http://host/v2?q" }
 */
export function redirect(action: RedirectAction, request: RedirectRequest, match: RouteMatch = {}): RedirectResult {
  const scheme = action.scheme || request.scheme;

  // Port, as Istio's ApplyRedirect sets Envoy's port_redirect: an explicit port or the request port,
  // omitted when it is the scheme's default. FROM_PROTOCOL_DEFAULT sets none.
  let port: number | undefined;
  if (action.port) port = action.port;
  else if (action.derivePort === "FROM_REQUEST_PORT") port = request.port;
  if ((port === 80 && scheme === "http") || (port === 443 && scheme === "https")) port = undefined;

  const host = action.authority || requestHost(request, scheme, port !== undefined);

  let path: string;
  if (action.uri !== undefined) {
    const q = request.path.indexOf("?");
    path = action.uri.includes("?") || q < 0 ? action.uri : action.uri + request.path.slice(q);
  } else if (action.prefixRewrite !== undefined) {
    path = prefixRewrite(request.path, match, action.prefixRewrite);
  } else path = request.path;
  if (!path.startsWith("/")) path = `/${path}`;

  return { status: action.redirectCode || 301, location: `${scheme}://${host}${port !== undefined ? `:${port}` : ""}${path}` };
}

/** A Gateway server's `tls.httpsRedirect`: 301 to the same URL over https. */
export function httpsRedirect(request: RedirectRequest): RedirectResult {
  return redirect({ kind: "redirect", scheme: "https", redirectCode: 301 }, request);
}

/**
 * Envoy processRequestHost: the request's Host, with its port dropped when a new port is set, or when
 * the scheme changes away from one whose default port the Host names (`http://a:80` → `https://a`).
 */
function requestHost(request: RedirectRequest, newScheme: string, newPort: boolean): string {
  const host = request.authority;
  let end: number;
  if (host.startsWith("[")) {
    const i = host.lastIndexOf("]:");
    end = i < 0 ? -1 : i + 1;
  } else end = host.lastIndexOf(":");
  if (end < 0) return host;
  const reqPort = host.slice(end);
  let remove = newPort;
  if (newScheme !== request.scheme) {
    remove ||= (request.scheme === "https" && reqPort === ":443") || (request.scheme === "http" && reqPort === ":80");
  }
  return remove ? host.slice(0, end) : host;
}
