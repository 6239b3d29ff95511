/**
 * The compiled Snapshot: what the gateway serves, produced once per config version by
 * `compileSnapshot` (src/config/compile) from validated resources.
 *
 * It is plain JSON data — no functions, class instances or Maps — because the ConfigStore Durable
 * Object stores it and `GET /_mesh/config_dump` prints it. The router hydrates it once per version
 * (`buildRouter`: regexes compiled, host and path indexes built); nothing here is interpreted per
 * request. Shapes follow Envoy's model as Istio generates it (route configs per gateway port, virtual
 * hosts by domain, one route per match block, clusters named `outbound|port|subset|host`), with
 * Istio's field names as the vocabulary.
 */
import type { StringMatch } from "./schemas/virtual-service.js";
import type { ClientTLSSettings, TrafficPolicy as TrafficPolicySpec } from "./schemas/destination-rule.js";
import type { CorsTranslation } from "./compile/cors.js";
import type { FaultPolicy } from "./compile/fault.js";
import type { HeaderOps } from "./compile/header-ops.js";
import type { LoadBalancerConfig } from "./compile/load-balancer.js";
import type { OutlierConfig } from "./compile/outlier-detection.js";
import type { RateLimitTable } from "./compile/rate-limit-table.js";
import type { RetryPolicy } from "./compile/retry-policy.js";
import type { PolicySet, Workload } from "./compile/security.js";
import type { TelemetryTable } from "./compile/telemetry.js";

export type { StringMatch };
export type { PolicySet, Workload } from "./compile/security.js";

/**
 * The shape of the Snapshot below. Raised whenever it changes incompatibly: the ConfigStore compiles
 * its stored resources again when it finds a snapshot of another format.
 */
export const SNAPSHOT_FORMAT = 3;

export interface Snapshot {
  /** Config version this snapshot was compiled from (ConfigStore's monotonic counter). */
  version: number;
  /** The gateway workload the snapshot was compiled for (its labels select Gateways). */
  gateway: GatewayWorkload;
  listeners: {
    /** North-south: Gateway servers, one route config per server port. */
    gateway: GatewayListener;
    /** East-west: what a sidecar does for a mesh member calling through its binding. */
    mesh: MeshListener;
  };
  /** Upstream clusters by name (`outbound|<port>|<subset>|<host>`). */
  clusters: Record<string, Cluster>;
  /**
   * The mesh's workloads (members, WorkloadEntries, endpoints of MESH_INTERNAL ServiceEntries), which
   * endpoints name by index (`Endpoint.workload`).
   */
  workloads: Workload[];
  /**
   * The security policies attached to each enforcement point, deduplicated: the gateway's set
   * (`gateway.policySet`) and every destination's (`Endpoint.policySet`). Each is what one Envoy
   * (the ingress gateway or a sidecar) would run: PeerAuthentication, RequestAuthentication and
   * AuthorizationPolicy.
   */
  policySets: PolicySet[];
  /** RateLimitPolicy, attached to this gateway. */
  rateLimits: RateLimitTable;
  /** Telemetry per scope (the gateway, each workload): metrics, access logging, tracing. */
  telemetry: TelemetryTable;
  /** Istio's default retry policy (routes without `retries` use it; see `Route.retryPolicy`). */
  defaultRetryPolicy: RetryPolicy;
}

/** The gateway workload: the ingress gateway Isthmus stands in for. */
export interface GatewayWorkload {
  labels: Record<string, string>;
  namespace: string;
  serviceAccount: string;
  /** SPIFFE identity without the scheme (`cluster.local/ns/istio-system/sa/...`): `source.principal` east of the gateway. */
  principal: string;
  /** Index in `Snapshot.policySets` of the policies the gateway enforces (north-south). */
  policySet: number;
}

export interface GatewayListener {
  /** Route configs sorted by port. */
  routeConfigs: RouteConfig[];
}

/** All HTTP servers of the selected Gateways on one port (Envoy: route config `http.<port>`). */
export interface RouteConfig {
  name: string;
  port: number;
  /** Server protocols on this port, upper case (`HTTP`, `HTTPS`, `HTTP2`, ...). */
  protocols: string[];
  virtualHosts: VirtualHost[];
}

export interface MeshListener {
  virtualHosts: VirtualHost[];
}

export interface VirtualHost {
  /** Envoy-style name: `<domain>:<port>` on the gateway, the service host on the mesh listener. */
  name: string;
  /**
   * Lower-case domains this vhost answers: exact names, `*.suffix` or `*`. On the mesh listener the
   * first domain is the canonical FQDN; the others are the short forms callers may use.
   */
  domains: string[];
  /** Gateway `tls.httpsRedirect`: plain-HTTP requests get a 301 to https (Envoy `require_tls: ALL`). */
  httpsRedirect?: boolean;
  /** Gateway server `tls.mode` (MUTUAL / ISTIO_MUTUAL: the client must present a verified certificate). */
  tlsMode?: string;
  /** Ordered routes; the first whose match succeeds decides. Empty ⇒ 404 `NR`. */
  routes: Route[];
}

/** Where a compiled route came from, for explain and access logs. */
export interface RouteSource {
  kind: "VirtualService" | "HTTPRoute" | "default";
  namespace?: string;
  name?: string;
  /** Index in the (root) VirtualService's `http` list (an HTTPRoute's `rules`). */
  http?: number;
  /** Set when the route was pulled from a delegate VirtualService. */
  delegate?: { namespace: string; name: string; http: number };
}

/**
 * One Envoy route: an HTTPRoute with N match blocks compiles to N routes (one per block), as Istio
 * does; a rule without `match` compiles to one route matching everything.
 */
export interface Route {
  /** Envoy route name: `http[].name`, plus `.<match.name>` when the match block is named. */
  name: string;
  source: RouteSource;
  /** Index of the match block in the HTTPRoute (after delegate merging); absent when it had none. */
  matchIndex?: number;
  match: RouteMatch;
  action: RouteAction;
  /** `rewrite` with the authority resolved (rewrite.authority, else a `host`/`:authority` header op). */
  rewrite?: RouteRewrite;
  /** Whole-request timeout in ms (Istio default: none). */
  timeoutMs?: number;
  /** `retries` translated (Istio ConvertPolicy); absent: the snapshot's `defaultRetryPolicy`; null: retries off. */
  retryPolicy?: RetryPolicy | null;
  /** `fault` translated: percentages per million, delay in ms. */
  fault?: FaultPolicy;
  /** `corsPolicy` translated (Envoy's CorsPolicy). */
  cors?: CorsTranslation;
  /** Route-level `headers` compiled (destination-level ops are combined into each destination's). */
  headerOps?: HeaderOps;
  /** Mirrors with non-zero percentage (`mirror` + `mirrorPercentage`, or `mirrors[]`), default 100 %. */
  mirrors?: Mirror[];
}

/**
 * A match block as data. Absent fields match anything. `uri` absent means Envoy's implicit prefix `/`.
 */
export interface RouteMatch {
  uri?: StringMatch;
  /**
   * Gateway API `PathPrefix` (Envoy path_separated_prefix): `uri.prefix` matches whole segments only
   * (`/foo` matches `/foo` and `/foo/bar`, not `/foobar`), and a prefix rewrite never doubles a `/`.
   */
  pathSeparatedPrefix?: boolean;
  ignoreUriCase?: boolean;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  /** `headers` (invert false) and `withoutHeaders` (invert true), sorted by name. */
  headers?: HeaderMatcher[];
  queryParams?: QueryParamMatcher[];
  /** Mesh listener only (on the gateway it is decided at compile time against the server port). */
  port?: number;
  /** Mesh listener only: the caller's namespace / labels (at a gateway decided at compile time). */
  sourceNamespace?: string;
  sourceLabels?: Record<string, string>;
  /** `@request.auth.claims.*` header keys: validated JWT claims. */
  claims?: ClaimMatcher[];
}

export interface HeaderMatcher {
  /** Lower-case header name; `:authority`/`host`, `:method`, `:scheme`, `:path` read the pseudo-headers. */
  name: string;
  /** Absent ⇒ presence match (`{}` or `regex: "*"`). */
  value?: StringMatch;
  /** `withoutHeaders`: result inverted; a missing header counts as empty for value matchers. */
  invert?: boolean;
}

export interface QueryParamMatcher {
  name: string;
  /** Absent ⇒ presence match. */
  value?: StringMatch;
}

export interface ClaimMatcher {
  /** Claim path: `@request.auth.claims.groups` → ["groups"], `[a][b]` → ["a","b"]. */
  path: string[];
  value?: StringMatch;
  invert?: boolean;
}

export type RouteAction = ForwardAction | RedirectAction | DirectResponseAction;

export interface ForwardAction {
  kind: "forward";
  /** Destinations with weight > 0 (or the single destination), in the order written. */
  destinations: WeightedDestination[];
  /** Sum of weights; 0 when there is a single destination (it always wins). */
  totalWeight: number;
  /** Status when the chosen destination's cluster does not exist: 503 `NC`, or 500 for Gateway API routes. */
  clusterNotFoundStatus?: number;
}

export interface WeightedDestination {
  /** FQDN (short names resolved in the VirtualService's namespace). */
  host: string;
  subset?: string;
  /** Port used for the cluster name (destination port, the service's only port, or the listener port). */
  port: number;
  /** `outbound|<port>|<subset>|<host>`; may be absent from `clusters` (⇒ 503 `NC`). */
  cluster: string;
  weight: number;
  /** Route and destination `headers` combined in Istio's order; absent: the route's `headerOps`. */
  headerOps?: HeaderOps;
  /** Set when this destination's cluster changes the route's retry policy (consistent hashing). */
  retryPolicy?: RetryPolicy | null;
  /** Host rewrite from this destination's `host`/`:authority` header op. */
  authority?: string;
}

export interface RedirectAction {
  kind: "redirect";
  uri?: string;
  prefixRewrite?: string;
  authority?: string;
  scheme?: string;
  port?: number;
  derivePort?: "FROM_PROTOCOL_DEFAULT" | "FROM_REQUEST_PORT";
  /** 301 unless set. */
  redirectCode: number;
}

export interface DirectResponseAction {
  kind: "directResponse";
  status: number;
  /** `body.string`, or `body.bytes` as written (base64). */
  body?: { string: string } | { bytes: string };
}

export interface RouteRewrite {
  uri?: string;
  uriRegexRewrite?: { match: string; rewrite: string };
  authority?: string;
}

export interface Mirror {
  host: string;
  subset?: string;
  port: number;
  cluster: string;
  /** 0 < percentage ≤ 100. */
  percentage: number;
}

export interface Cluster {
  name: string;
  host: string;
  port: number;
  subset?: string;
  /** How the gateway reaches the endpoints' addresses (bindings ignore it). */
  protocol: "http" | "https";
  /** The ServiceEntry the host came from. */
  serviceEntry: { namespace: string; name: string; resolution: string; location: string };
  /** The DestinationRule applied, if any. */
  destinationRule?: { namespace: string; name: string };
  /** Selected endpoints; empty ⇒ 503 `UH`. */
  endpoints: Endpoint[];
  /**
   * The DestinationRule traffic policy for this cluster as merged: top level, then subset per field
   * group, with port-level settings applied (which replace, not merge, their groups). What the chain
   * runs is compiled from it below.
   */
  trafficPolicy?: TrafficPolicy;
  /** `loadBalancer` compiled (LEAST_REQUEST when unset). */
  loadBalancer: LoadBalancerConfig;
  /** `outlierDetection` compiled with Envoy's defaults; absent: no ejection. */
  outlierDetection?: OutlierConfig;
  /** `connectionPool` as the concurrent requests this cluster takes per isolate; absent: unlimited. */
  maxConcurrentRequests?: number;
  /** `tls` (SIMPLE / MUTUAL origination toward origins). */
  tls?: ClientTLSSettings;
}

/** TrafficPolicy without `portLevelSettings` (already applied). */
export type TrafficPolicy = Omit<TrafficPolicySpec, "portLevelSettings">;

export type Endpoint = BindingEndpoint | AddressEndpoint;

export interface EndpointCommon {
  labels?: Record<string, string>;
  weight?: number;
  locality?: string;
  network?: string;
  serviceAccount?: string;
  /** `WorkloadEntry/<ns>/<name>` when the endpoint came from a WorkloadEntry. */
  workloadEntry?: string;
  /** Index in `Snapshot.workloads`: the endpoint is a mesh workload (MESH_INTERNAL). */
  workload?: number;
  /** Index in `Snapshot.policySets`: the destination stage enforces these for this endpoint. */
  policySet?: number;
}

/** A mesh member reached through the gateway's service binding of that name. */
export interface BindingEndpoint extends EndpointCommon {
  kind: "binding";
  binding: string;
  /** The workload port, when it differs from the service port (`targetPort`, endpoint `ports`): PeerAuthentication `portLevelMtls` and `destination.port` read it. */
  port?: number;
}

/** A network origin (IP or DNS name) fetched over HTTP(S). */
export interface AddressEndpoint extends EndpointCommon {
  kind: "address";
  address: string;
  port: number;
}
