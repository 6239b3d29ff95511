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
import { renderMetrics } from "./filters/telemetry/metrics.js";
import { runChain } from "./chain/chain.js";
import { createRequestContext, type Caller } from "./chain/request-context.js";
import { meshOptions } from "../config/mesh-options.js";
import { isolate } from "./runtime/isolate.js";

export { ConfigStore };
export { RateLimiter } from "../durable/rate-limiter.js";
export { Circuit } from "../durable/circuit.js";


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
        metrics: renderMetrics,
      }),
    };
  }
  return admin.app;
}

/** Identity stamped on a member's binding to the gateway (wrangler.toml `props`). */
export interface MemberProps {
  namespace?: string;
  serviceAccount?: string;
}

export async function serve(request: Request, env: Env, ctx: { waitUntil(p: Promise<unknown>): void }, caller: Caller, target = parseRequestUrl(request.url)): Promise<Response> {
  const waitUntil = (p: Promise<unknown>) => ctx.waitUntil(p);
  isolate.location ??= locationOf(request);
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
    return serve(request, this.env, this.ctx, caller);
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const prefix = env.ADMIN_PREFIX || "/_mesh";
    const url = parseRequestUrl(request.url);
    const p = url.pathAndQuery;
    if (p.startsWith(prefix) && (p.length === prefix.length || p[prefix.length] === "/" || p[prefix.length] === "?")) return adminApp(prefix).fetch(request, env, ctx);
    return serve(request, env, ctx, { kind: "edge" }, url);
  },
} satisfies ExportedHandler<Env>;
