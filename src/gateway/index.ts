/**
 * The gateway Worker. `fetch` serves north-south traffic (clients at the edge) and the admin API;
 * `MeshEntrypoint` serves east-west traffic: members call it through their service binding
 * (`env.MESH.fetch("http://reviews:9080/...")`), and the binding's props say who they are.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { ConfigStore } from "../durable/config-store.js";
import { configStore, storeAccess } from "./runtime/config-store-stub.js";
import { parseRequestUrl } from "./chain/request-target.js";
import { createAdminApp } from "./admin/app.js";
import { explainRequest } from "./admin/explain.js";
import { installSnapshot, liveConfig, type LiveConfig } from "./runtime/live-config.js";
import { renderSeries } from "../policy/telemetry/istio-metrics.js";
import { runChain } from "./chain/chain.js";
import { createRequestContext, type Caller } from "./chain/request-context.js";
import { meshOptions } from "../config/mesh-options.js";
import { isolate } from "./runtime/isolate.js";
import { fromDevFrontProxy } from "./runtime/dev-front-proxy.js";
import { meshTarget, parseMeshDestination } from "./runtime/mesh-destination.js";
import { withThisIsolate } from "./console/proxy-status.js";

export { ConfigStore };
export { RateLimiter } from "../durable/rate-limiter.js";
export { Circuit } from "../durable/circuit.js";
export { MetricsAggregator } from "../durable/metrics-aggregator.js";


let admin: { prefix: string; app: ReturnType<typeof createAdminApp> } | undefined;

function adminApp(prefix: string) {
  if (admin?.prefix !== prefix) {
    admin = {
      prefix,
      app: createAdminApp(prefix, {
        store: configStore,
        install: installSnapshot,
        ensureVersion: async (env, version) => {
          const live = (await liveConfig(storeAccess(env, () => undefined))) as LiveConfig & { epoch?: number };
          const head = await configStore(env).head();
          const sameLineage = live.epoch === undefined || live.epoch === head.epoch;
          if (live.version >= version && sameLineage) return;
          const vs = await configStore(env).snapshot(sameLineage ? live.version : undefined);
          if (vs) installSnapshot(vs, env);
        },
        configDump: async (env, ctx) => (await liveConfig(storeAccess(env, (p) => ctx.waitUntil(p)))).snapshot,
        explain: (env, ctx, input) => explainRequest(env, ctx, input),
        metrics: async (env) => renderSeries(await isolate.metrics.aggregatedSeries(env)),
        // What isolates reported with their metric flushes, and the one answering (it may not have flushed yet).
        proxyReports: async (env, ctx, request) => {
          const [live, reports] = await Promise.all([liveConfig(storeAccess(env, (p) => ctx.waitUntil(p))), isolate.metrics.isolateReports(env)]);
          return withThisIsolate(reports.map((r) => ({ proxy: r.isolate, location: r.location, version: r.version, lastSeenMs: r.lastFlush })), { proxy: isolate.metrics.id(), version: live.version, request });
        },
      }),
    };
  }
  return admin.app;
}

/** Identity stamped on a member's binding to the gateway (wrangler.toml `props`). */
export interface MemberProps {
  namespace?: string;
  serviceAccount?: string;
  /**
   * The service this binding stands for (`reviews.default.svc.cluster.local:9080`): every request on the
   * binding goes there whatever its URL says (src/gateway/runtime/mesh-destination.ts; `isthmus inject`).
   */
  destination?: string;
}

export async function serve(request: Request, env: Env, ctx: { waitUntil(p: Promise<unknown>): void }, caller: Caller, target = parseRequestUrl(request.url)): Promise<Response> {
  const waitUntil = (p: Promise<unknown>) => ctx.waitUntil(p);
  // Read once: an isolate stays in one colo, and reading `request.cf` costs a parse on each access.
  if (caller.kind === "edge" && !isolate.locationRead) {
    isolate.locationRead = true;
    isolate.location = locationOf(request);
    isolate.metrics.location = isolate.location ?? isolate.metrics.location;
  }
  const pending = liveConfig(storeAccess(env, waitUntil));
  const live = pending instanceof Promise ? await pending : pending;
  return (await runChain(createRequestContext({ request, env, waitUntil, live, caller, target }))).response;
}

/** The colo the request reached (an isolate stays in one); undefined without `cf` (east-west, local workerd). */
function locationOf(request: Request): string | undefined {
  const colo = (request as Request & { cf?: { colo?: unknown } }).cf?.colo;
  return typeof colo === "string" && /^[A-Za-z0-9]{1,8}$/.test(colo) ? colo : undefined;
}

export class MeshEntrypoint extends WorkerEntrypoint<Env, MemberProps> {
  override async fetch(request: Request): Promise<Response> {
    const props = this.ctx.props ?? {};
    const { trustDomain } = meshOptions(this.env);
    const caller: Caller = props.namespace && props.serviceAccount
      ? { kind: "mesh", namespace: props.namespace, serviceAccount: props.serviceAccount, principal: `${trustDomain}/ns/${props.namespace}/sa/${props.serviceAccount}` }
      : { kind: "mesh", namespace: props.namespace };
    if (props.destination === undefined) return serve(request, this.env, this.ctx, caller);
    const destination = parseMeshDestination(props.destination);
    if (!destination) {
      return new Response(`mesh binding props.destination ${JSON.stringify(props.destination)} is not host[:port]`, { status: 400, headers: { "content-type": "text/plain" } });
    }
    const target = meshTarget(destination, parseRequestUrl(request.url));
    return serve(new Request(`http://${target.host}${target.pathAndQuery}`, request), this.env, this.ctx, caller, target);
  }
}

export default {
  async fetch(received: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const request = env.ISTHMUS_DEV === "true" ? fromDevFrontProxy(received) : received;
    const prefix = env.ADMIN_PREFIX || "/_mesh";
    const url = parseRequestUrl(request.url);
    const p = url.pathAndQuery;
    if (p.startsWith(prefix) && (p.length === prefix.length || p[prefix.length] === "/" || p[prefix.length] === "?")) return adminApp(prefix).fetch(request, env, ctx);
    return serve(request, env, ctx, { kind: "edge" }, url);
  },
} satisfies ExportedHandler<Env>;
