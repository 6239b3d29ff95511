/**
 * What the rate-limit stage reads from a request: web-standard headers plus what earlier stages
 * decided (client IP, JWT claims, the route). Built by the filter chain, never by a Workers API.
 */

export interface RateLimitRequest {
  /** `Host` / `:authority` as sent (a port is ignored). */
  host: string;
  /** Normalized path, optionally with `?query` (ignored). */
  path: string;
  method: string;
  headers: { get(name: string): string | null };
  /** The client address (`remote.ip`: CF-Connecting-IP, or X-Forwarded-For with trusted hops). */
  remoteIp?: string;
  /** Validated JWT claims (RequestAuthentication), when a token was presented and verified. */
  claims?: Record<string, unknown>;
  /** Which listener served the request (default `gateway`); Gateway targetRefs see only `gateway`. */
  listener?: "gateway" | "mesh";
  /** The listener port the request arrived on; when set, Gateway targetRefs compare it with server ports. */
  port?: number;
  /** Envoy route name of the matched route (`http[].name`, plus `.<match name>` for a named match block). */
  routeName?: string;
  /** `namespace/name` of the VirtualService the matched route came from. */
  virtualService?: string;
}

/** The path without its query string. */
export function pathOnly(path: string): string {
  const q = path.indexOf("?");
  return q < 0 ? path : path.slice(0, q);
}
