/**
 * Hydrate: everything the request chain needs for one snapshot, built once when the snapshot is
 * installed, from the snapshot's plain tables (src/config/compile) and the isolate's state. Nothing
 * here is built per request or on a first request: the router with each route's runtime half (fault
 * replies, CORS matchers, regex rewrites, direct-response bodies), every cluster's load balancer,
 * concurrency limiter and outlier view, every policy set's JWT authenticator and authorizer, the rate
 * limiter. `GET /_mesh/config_dump` prints the snapshot these are built from.
 */
import type { MeshConfig } from "../../config/mesh-config.js";
import type { Cluster, GatewayWorkload, PolicySet, Route, Snapshot, Workload } from "../../config/snapshot.js";
import type { RetryPolicy } from "../../config/compile/retry-policy.js";
import { compileCors, type CompiledCors } from "../../policy/cors.js";
import { directResponseBody, type DirectResponseBody } from "../../policy/direct-response.js";
import { isNullBodyStatus } from "../../policy/local-reply.js";
import { compileFault, type CompiledFault } from "../../policy/fault.js";
import { buildAuthorizer, type Authorizer } from "../../policy/authz/index.js";
import { buildJwtAuthenticator, type JwtAuthenticator } from "../../policy/jwt/index.js";
import type { ConcurrencyLimiter } from "../../policy/concurrency-limit.js";
import { buildBalancer, type Balancer } from "../../policy/load-balancer/index.js";
import { CircuitView, relayName, type CircuitSnapshot } from "../../policy/outlier/index.js";
import { buildRateLimiter, leasingStore, type RateLimiter } from "../../policy/ratelimit/index.js";
import { compileRegexRewrite, type CompiledRegexRewrite } from "../../policy/rewrite.js";
import { rateLimiterStore } from "../../durable/rate-limiter.js";
import { buildRouter, type Router } from "../../router/index.js";
import type { TelemetryTable } from "../../config/compile/telemetry.js";
import { buildTelemetryRuntime, type TelemetryRuntime } from "../../policy/telemetry/telemetry-runtime.js";
import type { IsolateState } from "./isolate.js";
import type { MetricsReporter } from "./metrics-flush.js";
import { tracingSettings, type TracingSettings } from "../../config/tracing-settings.js";
import type { OtlpLogQueue } from "./otlp-logs.js";
import type { SpanExporter } from "../tracing/span-exporter.js";
import { telemetryTracingOf } from "../tracing/telemetry-tracing.js";

/** A route's runtime half. */
export interface RouteRuntime {
  fault?: CompiledFault;
  cors?: CompiledCors;
  /** `rewrite.uriRegexRewrite` compiled. */
  regexRewrite?: CompiledRegexRewrite;
  /** `directResponse` body decoded. */
  directBody?: DirectResponseBody;
  /** A request body must be buffered to be replayed (retries) or mirrored. */
  buffersBody: boolean;
}

/** A cluster's runtime half. */
export interface ClusterRuntime {
  readonly cluster: Cluster;
  readonly balancer: Balancer;
  /** Concurrency slots (connectionPool); absent: unlimited. */
  readonly limiter?: ConcurrencyLimiter;
  /** Shared ejection state (outlierDetection); absent: no ejection. */
  readonly circuit?: CircuitView;
}

/** One enforcement point's security stages, ready to run. */
export interface SecurityRuntime {
  readonly set: PolicySet;
  readonly jwt: JwtAuthenticator;
  readonly authorizer: Authorizer;
  /** Which authorization steps have work (skipped entirely otherwise). */
  readonly hasCustom: boolean;
  readonly hasRbac: boolean;
  /** Nothing to enforce (no STRICT port, no JWT rule, no AuthorizationPolicy): the stage is a lookup. */
  readonly inert: boolean;
}

export interface LiveConfig {
  readonly version: number;
  readonly snapshot: Snapshot;
  /** When this isolate installed it (ms since epoch). */
  readonly installedAt: number;
  readonly mesh: MeshConfig;
  readonly router: Router<RouteRuntime>;
  readonly gateway: GatewayWorkload;
  /** Security stages by policy set (`Snapshot.policySets` index); the gateway's is `gateway.policySet`. */
  readonly security: readonly SecurityRuntime[];
  readonly workloads: readonly Workload[];
  readonly rateLimiter: RateLimiter;
  readonly telemetry: TelemetryTable;
  /** Metric labels, overrides, access-log formats and filters, compiled once for this snapshot. */
  readonly telemetryRuntime: TelemetryRuntime;
  /** Tracing provider, sampling and custom tags (MeshConfig, then the Telemetry's `tracing[]`). */
  readonly tracing: TracingSettings;
  /** The isolate's span batcher. */
  readonly spans: SpanExporter;
  /** The isolate's metric deltas and flushes. */
  readonly metrics: MetricsReporter;
  /** The isolate's `envoyOtelAls` log batches. */
  readonly otlpLogs: OtlpLogQueue;
  cluster(name: string): ClusterRuntime | undefined;
  /** The retry policy of a route toward a destination (undefined: a single attempt). */
  retryPolicy(route: Route, destination: { retryPolicy?: RetryPolicy | null } | undefined): RetryPolicy | undefined;
}

export function hydrate(snapshot: Snapshot, env: Env, isolate: IsolateState, version = snapshot.version): LiveConfig {
  const mesh = isolate.meshConfig(env);
  const router = buildRouter(snapshot, hydrateRoute);
  const clusters = new Map<string, ClusterRuntime>();
  for (const cluster of Object.values(snapshot.clusters)) clusters.set(cluster.name, hydrateCluster(cluster, env, isolate));
  const security = snapshot.policySets.map((set) => hydrateSecurity(set, mesh, isolate));
  const rateLimiter = buildRateLimiter(snapshot.rateLimits, {
    local: isolate.localCounters,
    global: env.RATE_LIMITER ? leasingStore(rateLimiterStore(env.RATE_LIMITER), isolate.leases) : undefined,
  });
  const defaultRetry = snapshot.defaultRetryPolicy;
  return {
    version,
    snapshot,
    installedAt: Date.now(),
    mesh,
    router,
    gateway: snapshot.gateway,
    security,
    workloads: snapshot.workloads,
    rateLimiter,
    telemetry: snapshot.telemetry,
    telemetryRuntime: buildTelemetryRuntime(snapshot, mesh.telemetry),
    tracing: tracingSettings(isolate.meshTracing(env), telemetryTracingOf(snapshot.telemetry)),
    spans: isolate.spans,
    metrics: isolate.metrics,
    otlpLogs: isolate.otlpLogs,
    cluster: (name) => clusters.get(name),
    retryPolicy(route, destination) {
      const p = destination?.retryPolicy !== undefined ? destination.retryPolicy : route.retryPolicy !== undefined ? route.retryPolicy : defaultRetry;
      return p ?? undefined;
    },
  };
}

function hydrateRoute(route: Route): RouteRuntime {
  const rt: RouteRuntime = { buffersBody: false };
  if (route.fault) rt.fault = compileFault(route.fault);
  if (route.cors) rt.cors = compileCors(route.cors);
  if (route.rewrite?.uriRegexRewrite) rt.regexRewrite = compileRegexRewrite(route.rewrite.uriRegexRewrite);
  const action = route.action;
  // A 204/304 direct response goes out without its body, as Envoy sends it (fetch cannot build one with a body).
  if (action.kind === "directResponse" && !isNullBodyStatus(action.status)) rt.directBody = directResponseBody(action);
  if (action.kind === "forward") {
    // Istio's default policy retries when `retries` is unset; `attempts: 0` (null) turns it off.
    const retries = route.retryPolicy !== null || action.destinations.some((d) => d.retryPolicy);
    rt.buffersBody = retries || (route.mirrors?.length ?? 0) > 0;
  }
  return rt;
}

function hydrateCluster(cluster: Cluster, env: Env, isolate: IsolateState): ClusterRuntime {
  const outlier = cluster.outlierDetection;
  const balancer = buildBalancer(cluster.loadBalancer, cluster.endpoints, { inflight: isolate.inflight, minHealthPercent: outlier?.minHealthPercent });
  const limiter = isolate.concurrency.get(cluster.name, cluster.maxConcurrentRequests);
  let circuit: CircuitView | undefined;
  if (outlier && env.CIRCUIT) {
    circuit = isolate.circuits.get(cluster.name);
    if (circuit) circuit.update(outlier, balancer.keys);
    else {
      // Through this location's relay (docs/scale.md): the cluster's Circuit sees one caller per location.
      const relay = () => env.CIRCUIT.getByName(relayName(isolate.location ?? "local", cluster.name));
      circuit = new CircuitView({
        fetchState: () => relay().relay(cluster.name, undefined) as Promise<CircuitSnapshot>,
        sendReports: (batch) => relay().relay(cluster.name, batch) as Promise<CircuitSnapshot>,
        now: () => Date.now(),
        config: outlier,
        hosts: balancer.keys,
      });
      isolate.circuits.set(cluster.name, circuit);
    }
  }
  return { cluster, balancer, ...(limiter ? { limiter } : {}), ...(circuit ? { circuit } : {}) };
}

function hydrateSecurity(set: PolicySet, mesh: MeshConfig, isolate: IsolateState): SecurityRuntime {
  const authorizer = buildAuthorizer(set.authz, { providers: mesh.extensionProviders });
  for (const w of authorizer.warnings) console.warn(`AuthorizationPolicy: ${w}`);
  const hasCustom = set.authz.custom.length > 0;
  const hasRbac = set.authz.deny.length + set.authz.allow.length + set.authz.audit.length > 0;
  // Without JWT rules or AuthorizationPolicies, only STRICT can refuse anything.
  const permissive = set.peerAuthn.mode !== "STRICT" && Object.values(set.peerAuthn.perPort ?? {}).every((m) => m !== "STRICT");
  return {
    set,
    jwt: buildJwtAuthenticator(set.jwt, {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
      now: () => Date.now(),
      jwksStore: isolate.jwks,
    }),
    authorizer,
    hasCustom,
    hasRbac,
    inert: permissive && set.jwt.rules.length === 0 && !hasCustom && !hasRbac,
  };
}
