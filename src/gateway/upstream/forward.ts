/**
 * Forwarding one request to a cluster (DESIGN §2, the router's forward): the concurrency limit
 * (503 UO), endpoint choice by the DestinationRule load balancer without ejected endpoints, the
 * destination stage for the chosen endpoint, attempts with retries, per-try and route timeouts
 * (504 UT), and outcomes reported to outlier detection.
 *
 * Everything per snapshot (balancer, limiter, outlier view, retry policy) was hydrated at install
 * (runtime/hydrate.ts). Nothing here awaits a Durable Object: ejection state is read from the
 * isolate's CircuitView, which refreshes and reports through `waitUntil`.
 */
import type { Route, WeightedDestination } from "../../config/snapshot.js";
import { CONNECTING_IP_HEADER } from "../../policy/client-ip.js";
import { overflowReply } from "../../policy/concurrency-limit.js";
import type { PickContext } from "../../policy/load-balancer/index.js";
import { outlierOutcomeOf } from "../../policy/outlier/index.js";
import { noHealthyUpstreamReply, runWithRetries, systemRetryDeps, type AttemptResult } from "../../policy/retry/index.js";
import { toResponse, type LocalReply } from "../../policy/local-reply.js";
import { addFlag, noteReply, ownResponses, type RequestContext } from "../chain/request-context.js";
import { destinationStage } from "../filters/destination/destination.js";
import type { ClusterRuntime } from "../runtime/hydrate.js";
import { bodyForAttempt, replayable, type RequestBody } from "./request-body.js";
import { endpointLabel, sendUpstream, upstreamUrl } from "./send.js";
import { startClientSpan } from "../tracing/request-trace.js";

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

/** What the load balancer may read of the request (hash keys), built lazily. */
export function pickContext(rc: RequestContext, path: string, isEjected?: (i: number) => boolean): PickContext {
  return {
    headers: rc.headers,
    // Read only by a consistent hash on the source IP.
    get sourceIp() {
      return rc.request.headers.get(CONNECTING_IP_HEADER) ?? undefined;
    },
    // Parsed only by a consistent hash on a query parameter.
    get query() {
      const q = path.indexOf("?");
      return new URLSearchParams(q < 0 ? "" : path.slice(q + 1));
    },
    random: rc.random,
    isEjected,
  };
}

export function forwardToCluster(rc: RequestContext, route: Route, destination: WeightedDestination, runtime: ClusterRuntime, parts: UpstreamParts): Promise<Response> {
  const limiter = runtime.limiter;
  if (!limiter) return attempts(rc, route, destination, runtime, parts);
  if (!limiter.tryAcquire()) return Promise.resolve(reply(rc, overflowReply()));
  return attempts(rc, route, destination, runtime, parts).finally(() => limiter.release());
}

/** The platform's clock, timers and random source (one object for every request that uses Math.random). */
const SYSTEM_DEPS = systemRetryDeps();

async function attempts(rc: RequestContext, route: Route, destination: WeightedDestination, runtime: ClusterRuntime, parts: UpstreamParts): Promise<Response> {
  const { cluster, balancer, circuit } = runtime;
  const context = pickContext(rc, parts.path, circuit?.ejectedPredicate(balancer.keys));
  const first = balancer.pick(context);
  if (!first) return reply(rc, noHealthyUpstreamReply());

  let policy = rc.live.retryPolicy(route, destination);
  // A body too large to buffer can be sent once only: such a request is not retried.
  if (policy && !replayable(parts.body)) policy = { ...policy, attempts: 0 };
  const tried = new Set<number>();
  const triedKeys: string[] = [];
  let setCookie = first.setCookie;
  let started = Date.now();

  // An AbortSignal costs per request; attach one only when a timeout can fire.
  const timed = Boolean(route.timeoutMs) || policy?.perTryTimeoutMs !== undefined;
  const result = await runWithRetries(async ({ attempt, signal }): Promise<AttemptResult> => {
    const pick = attempt === 1 ? first : balancer.pick({ ...context, avoid: tried, maxSelectionAttempts: policy?.hostSelectionRetryMaxAttempts });
    if (!pick) return { kind: "connect-failure" };
    tried.add(pick.index);
    triedKeys[attempt - 1] = balancer.keys[pick.index]!;
    setCookie ??= pick.setCookie;
    const body = bodyForAttempt(parts.body, attempt - 1);
    if (body === undefined) return { kind: "reset" };
    rc.endpoint = pick.endpoint;
    rc.upstreamHost = endpointLabel(pick.endpoint);
    // The Request constructor copies the headers once; the gateway's writes go on that copy.
    let request = new Request(upstreamUrl(cluster, pick.endpoint, parts.path, parts.authority), {
      method: rc.method, headers: parts.headers, body, redirect: "manual", signal: timed ? signal : undefined,
    });
    parts.edit(request.headers);
    if (attempt > 1) request.headers.set("x-envoy-attempt-count", String(attempt));
    // Envoy's router: one client span per attempt, the upstream's parent.
    const span = startClientSpan(rc.trace, `router ${cluster.name} egress`);
    span?.propagate(request.headers);
    // Span tags only for a recorded (sampled) span: reading request.url and building them costs per attempt.
    const tags = span?.recording ? { upstream_cluster: cluster.name, "upstream_cluster.name": cluster.name, upstream_address: rc.upstreamHost, "http.method": rc.method, "http.url": request.url, attempt } : undefined;
    if (pick.endpoint.policySet !== undefined) {
      const verdict = await destinationStage(rc, cluster, pick.endpoint, { request, path: parts.path, authority: parts.authority });
      if (!verdict.allowed) {
        if (tags) span!.end({ ...tags, "http.status_code": String(verdict.reply.status), response_flags: verdict.reply.flag, response_code_details: verdict.reply.details ?? "-" });
        return { kind: "local-reply", reply: verdict.reply };
      }
      request = verdict.request;
    }
    balancer.inc(pick.index);
    started = Date.now();
    let status = 0;
    try {
      const outcome = await sendUpstream(rc.env, cluster, pick.endpoint, request);
      if (outcome.kind === "no-binding") {
        console.error(`cluster ${cluster.name}: the gateway has no service binding named ${outcome.binding}`);
        return { kind: "connect-failure", detail: `no service binding ${outcome.binding}` };
      }
      if (outcome.kind === "connect-failure") return { kind: "connect-failure" };
      status = outcome.response.status;
      return outcome.response;
    } finally {
      balancer.dec(pick.index);
      if (tags) span!.end({ ...tags, "http.status_code": String(status), response_flags: status === 0 ? "UF" : "-" }, status === 0 || status >= 500);
    }
  }, policy, rc.random === Math.random ? SYSTEM_DEPS : systemRetryDeps({ random: rc.random }), route.timeoutMs);

  if (circuit) {
    result.outcomes.forEach((o, i) => {
      const key = triedKeys[i];
      const outcome = outlierOutcomeOf(o);
      if (key && outcome) circuit.record(key, outcome);
    });
    circuit.sync(rc.waitUntil);
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
  noteReply(rc, r);
  return toResponse(r);
}
