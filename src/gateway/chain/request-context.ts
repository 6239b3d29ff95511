/**
 * Everything one request carries through the filter chain: the request as received, what earlier
 * filters decided (identity, claims, route), and what later ones need (response header ops, flags).
 * `createRequestContext` is the one way to make one, for serving and for explaining alike.
 */
import type { Cluster, Endpoint, WeightedDestination } from "../../config/snapshot.js";
import type { AuthzRequestView } from "../../policy/authz/index.js";
import type { JwtOk } from "../../policy/jwt/index.js";
import type { MatchedRoute, SelectedVirtualHost } from "../../router/index.js";
import type { LiveConfig, RouteRuntime } from "../runtime/hydrate.js";
import type { LocalReply, ResponseFlag } from "../../policy/local-reply.js";
import type { RequestTarget } from "./request-target.js";
import type { RequestTrace } from "../tracing/request-trace.js";

/** Who is calling: a mesh member (identity from its binding) or an edge client. */
export interface Caller {
  kind: "mesh" | "edge";
  /** SPIFFE identity without the scheme: `<trust-domain>/ns/<ns>/sa/<sa>` (mesh members, verified client certs). */
  principal?: string;
  namespace?: string;
  serviceAccount?: string;
}

/**
 * A dry run (explain): every stage decides as it would for real and records what it decided;
 * nothing with an effect outside the gateway happens (no upstream call, no mirror, no rate-limit
 * debit, no external authorization call unless asked, no metrics or access log).
 */
export interface DryRun {
  /** Ask the CUSTOM provider for real (otherwise the check is assumed to allow). */
  callExtAuthz: boolean;
  /** Stage name → what it decided, in chain order. */
  readonly stages: Record<string, unknown>;
  /** Set by the router stage when the request would be forwarded (no upstream call is made). */
  forward?: Record<string, unknown>;
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
  /** Uniform in [0, 1): weighted destinations, fault percentages, mirrors, load balancing. */
  readonly random: () => number;
  /** Present when explaining. */
  readonly dryRun?: DryRun;
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
  /** The request's trace (stage 1): ids, the sampling decision, finished client spans. */
  trace?: RequestTrace;
  /** Request headers to drop from the upstream request (e.g. a verified token), applied when it is built. */
  upstreamRemove?: readonly string[];
  /** Validated JWT claims (RequestAuthentication at the gateway), for claim routes and policies. */
  claims?: Record<string, unknown>;
  /** The verified token (gateway stage). */
  jwt?: JwtOk;
  /** `source.principal` after the peer check (mesh member or verified client certificate). */
  sourcePrincipal?: string;
  /** What AuthorizationPolicy sees at the gateway, built once per request. */
  authzView?: AuthzRequestView;
  vhost?: SelectedVirtualHost<RouteRuntime>;
  /** The matched route (stage 7, or earlier for route-attached rate limits); see `routeLooked`. */
  decision?: MatchedRoute<RouteRuntime>;
  /** The route lookup ran (so an absent `decision` means no route matched). */
  routeLooked?: boolean;
  destination?: WeightedDestination;
  cluster?: Cluster;
  /** The endpoint that served (or was last tried for) the request. */
  endpoint?: Endpoint;
  /** Which endpoint served the request (`binding:NAME` or `host:port`). */
  upstreamHost?: string;
  /** The cluster of a request that has no registry cluster (`PassthroughCluster`, `BlackHoleCluster`). */
  upstreamCluster?: string;
  /** Envoy response flags for the access log and metrics (`UF,URX`, `DI,FI`); none means `-`. */
  flags: ResponseFlag[];
  /**
   * Envoy's `%RESPONSE_CODE_DETAILS%`, set once by whatever answered: a local reply's reason
   * (`route_not_found`, `rbac_access_denied_matched_policy[...]`), `direct_response` or `via_upstream`.
   */
  details?: string;
  /** Applied to the response just before it leaves (route/destination header ops, CORS...). */
  responseEditors: ((headers: Headers) => void)[];
}

export interface RequestContextInit {
  request: Request;
  env: Env;
  waitUntil: (p: Promise<unknown>) => void;
  live: LiveConfig;
  caller: Caller;
  /** The request URL split (parsed from `request.url` when absent). */
  target: RequestTarget;
  dryRun?: DryRun;
  random?: () => number;
}

/** The context a request starts the chain with. */
export function createRequestContext(init: RequestContextInit): RequestContext {
  const { request, target } = init;
  const listener = init.caller.kind === "mesh" ? "mesh" : "gateway";
  const scheme = target.scheme;
  const rc: RequestContext = {
    request,
    env: init.env,
    waitUntil: init.waitUntil,
    live: init.live,
    listener,
    scheme,
    port: listener === "mesh" ? target.port : scheme === "https" ? 443 : 80,
    startedAt: Date.now(),
    caller: init.caller,
    random: init.random ?? Math.random,
    authority: listener === "mesh" ? target.host : (request.headers.get("host") ?? target.host),
    path: target.pathAndQuery,
    method: request.method,
    headers: request.headers,
    requestId: "",
    flags: [],
    responseEditors: [],
  };
  if (init.dryRun) (rc as { dryRun?: DryRun }).dryRun = init.dryRun;
  return rc;
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

/** Records a local reply's flag and response-code details: the one place a reply is accounted for. */
export function noteReply(rc: RequestContext, reply: LocalReply): void {
  addFlag(rc, reply.flag);
  rc.details = reply.details;
}

/** Records a response flag once (`-` means none). */
export function addFlag(rc: RequestContext, flag: ResponseFlag): void {
  if (flag !== "-" && !rc.flags.includes(flag)) rc.flags.push(flag);
}

/** In a dry run, what a stage decided (no-op when serving). */
export function record(rc: RequestContext, stage: string, decision: unknown): void {
  if (rc.dryRun) rc.dryRun.stages[stage] = decision;
}
