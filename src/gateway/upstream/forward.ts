/**
 * Forwarding one request to a cluster (DESIGN §2 step 9): the concurrency limit (503 UO), endpoint
 * choice by the DestinationRule load balancer without ejected endpoints, attempts with retries,
 * per-try and route timeouts (504 UT), and outcomes reported to outlier detection.
 *
 * Nothing here awaits a Durable Object: ejection state is read from the isolate's CircuitView, which
 * refreshes and reports through `waitUntil`.
 */
import type { Cluster, Route, Snapshot } from "../../config/snapshot.js";
import { CONNECTING_IP_HEADER } from "../../policy/client-ip.js";
import { compileConcurrencyLimit, ConcurrencyLimiters, overflowReply } from "../../policy/concurrency-limit.js";
import { buildBalancer, InflightRequests, type Balancer } from "../../policy/load-balancer/index.js";
import { CircuitView, compileOutlierDetection, outlierOutcomeOf, type CircuitSnapshot, type OutlierConfig } from "../../policy/outlier/index.js";
import { compileRetryPolicy, noHealthyUpstreamReply, runWithRetries, systemRetryDeps, type AttemptResult, type RetryPolicy } from "../../policy/retry/index.js";
import { toResponse, type LocalReply } from "../../policy/local-reply.js";
import { addFlag, ownResponses, type RequestContext } from "../chain/request-context.js";
import { bodyForAttempt, replayable } from "./request-body.js";
import type { RequestBody } from "./request-body.js";
import { endpointLabel, sendUpstream, upstreamUrl } from "./send.js";

/** The request about to go upstream: rewritten path and authority, the request headers, the body. */
export interface UpstreamParts {
  path: string;
  authority: string;
  /** The request's headers; copied into each upstream Request, which `edit` then completes. */
  headers: Headers;
  /** The gateway's header writes (host, request id, trace, identity, header ops) on a built Request. */
  edit(headers: Headers): void;
  body: RequestBody;
}

/** What a cluster needs at run time, built on its first request under a snapshot. */
interface ClusterRuntime {
  balancer: Balancer;
  outlier?: OutlierConfig;
  concurrencyLimit?: number;
}

const runtimes = new WeakMap<Cluster, ClusterRuntime>();
const retryPolicies = new WeakMap<Route, Map<string, RetryPolicy | undefined>>();
// Per isolate, across snapshots: in-flight counts, concurrency slots, the outlier view per cluster.
const inflight = new InflightRequests();
const limiters = new ConcurrencyLimiters();
const views = new Map<string, CircuitView>();

function clusterRuntime(cluster: Cluster): ClusterRuntime {
  let rt = runtimes.get(cluster);
  if (!rt) {
    const tp = cluster.trafficPolicy;
    const outlier = compileOutlierDetection(tp?.outlierDetection);
    rt = {
      balancer: buildBalancer(tp?.loadBalancer, cluster.endpoints, { inflight, minHealthPercent: outlier?.minHealthPercent }),
      outlier,
      concurrencyLimit: compileConcurrencyLimit(tp?.connectionPool),
    };
    runtimes.set(cluster, rt);
  }
  return rt;
}

/**
 * Builds every cluster's load balancer when a snapshot is installed, so no request pays for a ring
 * or Maglev table (they take milliseconds for large clusters).
 */
export function prepareClusters(snapshot: Snapshot): void {
  for (const cluster of Object.values(snapshot.clusters)) clusterRuntime(cluster);
}

function retryPolicy(route: Route, cluster: Cluster): RetryPolicy | undefined {
  let byCluster = retryPolicies.get(route);
  if (!byCluster) retryPolicies.set(route, (byCluster = new Map()));
  if (!byCluster.has(cluster.name)) {
    const consistentHash = Boolean(cluster.trafficPolicy?.loadBalancer?.consistentHash);
    byCluster.set(cluster.name, compileRetryPolicy(route.retries, route.timeoutMs, { consistentHash }));
  }
  return byCluster.get(cluster.name);
}

/** The isolate's shared-ejection view of a cluster, when it has outlier detection. */
function circuitView(env: Env, cluster: Cluster, rt: ClusterRuntime): CircuitView | undefined {
  if (!rt.outlier || !env.CIRCUIT) return undefined;
  let view = views.get(cluster.name);
  if (!view) {
    const stub = () => env.CIRCUIT.getByName(cluster.name);
    view = new CircuitView({
      fetchState: () => stub().state() as Promise<CircuitSnapshot>,
      sendReports: (batch) => stub().report(batch) as Promise<CircuitSnapshot>,
      now: () => Date.now(),
      config: rt.outlier,
      hosts: rt.balancer.keys,
    });
    views.set(cluster.name, view);
  } else {
    view.update(rt.outlier, rt.balancer.keys);
  }
  return view;
}

export async function forwardToCluster(rc: RequestContext, route: Route, cluster: Cluster, parts: UpstreamParts): Promise<Response> {
  const rt = clusterRuntime(cluster);
  const limiter = limiters.get(cluster.name, rt.concurrencyLimit);
  if (limiter && !limiter.tryAcquire()) return reply(rc, overflowReply());
  try {
    return await attempts(rc, route, cluster, rt, parts);
  } finally {
    limiter?.release();
  }
}

async function attempts(rc: RequestContext, route: Route, cluster: Cluster, rt: ClusterRuntime, parts: UpstreamParts): Promise<Response> {
  const view = circuitView(rc.env, cluster, rt);
  const pickContext = {
    headers: rc.headers,
    // Read only by a consistent hash on the source IP.
    get sourceIp() {
      return rc.request.headers.get(CONNECTING_IP_HEADER) ?? undefined;
    },
    // Parsed only by a consistent hash on a query parameter.
    get query() {
      const q = parts.path.indexOf("?");
      return new URLSearchParams(q < 0 ? "" : parts.path.slice(q + 1));
    },
    random: Math.random,
    isEjected: view?.ejectedPredicate(rt.balancer.keys),
  };
  const first = rt.balancer.pick(pickContext);
  if (!first) return reply(rc, noHealthyUpstreamReply());

  let policy = retryPolicy(route, cluster);
  // A body too large to buffer can be sent once only: such a request is not retried.
  if (policy && !replayable(parts.body)) policy = { ...policy, attempts: 0 };
  const tried = new Set<number>();
  const triedKeys: string[] = [];
  let setCookie = first.setCookie;
  let started = Date.now();

  // An AbortSignal costs per request; attach one only when a timeout can fire.
  const timed = Boolean(route.timeoutMs) || policy?.perTryTimeoutMs !== undefined;
  const result = await runWithRetries(async ({ attempt, signal }): Promise<AttemptResult> => {
    const pick = attempt === 1 ? first : rt.balancer.pick({ ...pickContext, avoid: tried, maxSelectionAttempts: policy?.hostSelectionRetryMaxAttempts });
    if (!pick) return { kind: "connect-failure" };
    tried.add(pick.index);
    triedKeys[attempt - 1] = rt.balancer.keys[pick.index]!;
    setCookie ??= pick.setCookie;
    const body = bodyForAttempt(parts.body, attempt - 1);
    if (body === undefined) return { kind: "reset" };
    rc.upstreamHost = endpointLabel(pick.endpoint);
    // The Request constructor copies the headers once; the gateway's writes go on that copy.
    const request = new Request(upstreamUrl(cluster, pick.endpoint, parts.path, parts.authority), {
      method: rc.method, headers: parts.headers, body, redirect: "manual", signal: timed ? signal : undefined,
    });
    parts.edit(request.headers);
    if (attempt > 1) request.headers.set("x-envoy-attempt-count", String(attempt));
    rt.balancer.inc(pick.index);
    started = Date.now();
    try {
      const outcome = await sendUpstream(rc.env, cluster, pick.endpoint, request);
      if (outcome.kind === "no-binding") {
        console.error(`cluster ${cluster.name}: the gateway has no service binding named ${outcome.binding}`);
        return { kind: "connect-failure", detail: `no service binding ${outcome.binding}` };
      }
      if (outcome.kind === "connect-failure") return { kind: "connect-failure" };
      return outcome.response;
    } finally {
      rt.balancer.dec(pick.index);
    }
  }, policy, systemRetryDeps(), route.timeoutMs);

  if (view) {
    result.outcomes.forEach((o, i) => {
      const key = triedKeys[i];
      if (key) view.record(key, outlierOutcomeOf(o));
    });
    view.sync(rc.waitUntil);
  }
  for (const f of result.flags) addFlag(rc, f);
  if (result.kind === "local") return reply(rc, result.reply);
  // Rewrapping a response (to make its headers mutable) costs per request: only when something will
  // edit it. `x-envoy-upstream-service-time` rides along on those responses only.
  if (!setCookie && rc.responseEditors.length === 0) return result.response;
  const response = new Response(result.response.body, result.response);
  ownResponses.add(response);
  response.headers.set("x-envoy-upstream-service-time", String(Date.now() - started));
  if (setCookie) response.headers.append("set-cookie", setCookie);
  return response;
}

function reply(rc: RequestContext, r: LocalReply): Response {
  addFlag(rc, r.flag);
  return toResponse(r);
}
