/**
 * Everything one request carries through the filter chain: the request as received, what earlier
 * filters decided (identity, claims, route), and what later ones need (response header ops, flags).
 */
import type { Cluster, WeightedDestination } from "../../config/snapshot.js";
import type { AuthzRequestView } from "../../policy/authz/index.js";
import type { JwtOk } from "../../policy/jwt/index.js";
import type { MatchedRoute, SelectedVirtualHost } from "../../router/index.js";
import type { LiveConfig } from "../runtime/live-config.js";
import type { ResponseFlag } from "../../policy/local-reply.js";

/** Who is calling: a mesh member (identity from its binding) or an edge client. */
export interface Caller {
  kind: "mesh" | "edge";
  /** SPIFFE identity without the scheme: `<trust-domain>/ns/<ns>/sa/<sa>` (mesh members, verified client certs). */
  principal?: string;
  namespace?: string;
  serviceAccount?: string;
}

export interface RequestContext {
  readonly request: Request;
  readonly env: Env;
  readonly waitUntil: (p: Promise<unknown>) => void;
  readonly live: LiveConfig;
  readonly listener: "gateway" | "mesh";
  readonly scheme: "http" | "https";
  /** Listener port (gateway: from the scheme; mesh: the port the member called). */
  readonly port: number;
  readonly startedAt: number;
  readonly caller: Caller;
  /** `Host` as sent (may include a port). */
  authority: string;
  /** Normalized path with query. */
  path: string;
  method: string;
  /**
   * The request headers as the stages see them. The client's own (read-only) headers until a stage
   * needs to change them (`mutableHeaders`): a copy costs CPU per request, and most requests need
   * none before the upstream Request is built (which copies once, then gets the gateway's headers).
   */
  headers: Headers;
  requestId: string;
  /** W3C `traceparent` for the upstream (stage 1). */
  traceparent?: string;
  /** Request headers to drop from the upstream request (e.g. a verified token), applied when it is built. */
  upstreamRemove?: readonly string[];
  /** Validated JWT claims (RequestAuthentication), for claim routes and policies. */
  claims?: Record<string, unknown>;
  /** The verified token (stage 4). */
  jwt?: JwtOk;
  /** `source.principal` after the peer check (mesh member or verified client certificate). */
  sourcePrincipal?: string;
  /** What AuthorizationPolicy sees, built once per request (stages 3 and 5). */
  authzView?: AuthzRequestView;
  vhost?: SelectedVirtualHost;
  /** The matched route (stage 7, or earlier for route-attached rate limits); see `routeLooked`. */
  decision?: MatchedRoute;
  /** The route lookup ran (so an absent `decision` means no route matched). */
  routeLooked?: boolean;
  destination?: WeightedDestination;
  cluster?: Cluster;
  /** Which endpoint served the request (`binding:NAME` or `host:port`). */
  upstreamHost?: string;
  /** Envoy response flags for the access log and metrics (`UF,URX`, `DI,FI`); none means `-`. */
  flags: ResponseFlag[];
  /** Applied to the response just before it leaves (route/destination header ops, CORS...). */
  responseEditors: ((headers: Headers) => void)[];
}

/**
 * Responses the gateway built itself (local replies, rewrapped upstream responses): their headers are
 * mutable, so stage 10 edits them in place instead of copying the response again.
 */
export const ownResponses = new WeakSet<Response>();

/** The request headers, copied on the first call so stages may edit them. */
export function mutableHeaders(rc: RequestContext): Headers {
  if (rc.headers === rc.request.headers) rc.headers = new Headers(rc.request.headers);
  return rc.headers;
}

/** Records a response flag once (`-` means none). */
export function addFlag(rc: RequestContext, flag: ResponseFlag): void {
  if (flag !== "-" && !rc.flags.includes(flag)) rc.flags.push(flag);
}
