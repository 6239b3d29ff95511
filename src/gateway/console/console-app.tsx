/**
 * The mesh console under `<admin prefix>/ui`: a service graph from Istio's standard metrics, the
 * applied config by kind (YAML) with the analyzer's findings, history with a diff between two
 * versions and rollback, explain, and proxy status. Server-rendered with hono/jsx; the graph layout
 * (dagre) runs on the server; the browser code is inline. Authentication is the admin API's (bearer
 * token or Cloudflare Access); a browser signs in once on the token page and keeps an HttpOnly session
 * cookie (session.ts).
 */
import { Hono } from "hono";
import { createTwoFilesPatch } from "diff";
import { stringify } from "yaml";
import type { Resource } from "../../config/resource.js";
import type { ConfigStoreApi } from "../../config/store-api.js";
import { safeEqual } from "../admin/auth.js";
import { redactSecrets } from "../admin/redact.js";
import { buildMeshGraph, type ServiceKinds } from "./mesh-graph.js";
import { ConfigPage, ExplainPage, GraphPage, HistoryPage, LoginPage, ProxyStatusPage, type ResourceView } from "./pages.js";
import { parsePrometheusText } from "./prometheus-text.js";
import { proxyStatus, type ProxyReport } from "./proxy-status.js";
import { clearSessionCookie, sessionCookie } from "./session.js";

export interface ConsoleDeps {
  store(env: Env): ConfigStoreApi;
  /** Prometheus text of the metrics (`GET /_mesh/metrics`). */
  metrics(env: Env): string | Promise<string>;
  /** The compiled snapshot this isolate serves (for which services are members or origins). */
  configDump(env: Env, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<unknown>;
  /** What the gateway isolates report (proxy-status.ts ADAPTER). */
  proxyReports(env: Env, ctx: { waitUntil(p: Promise<unknown>): void }, request: Request): Promise<ProxyReport[]>;
}

type AppEnv = { Bindings: Env };

/** Services by host from a snapshot's clusters: a member (service binding) or an origin. */
export function serviceKinds(snapshot: unknown): ServiceKinds {
  const out: ServiceKinds = {};
  const clusters = (snapshot as { clusters?: Record<string, { host?: string; endpoints?: { kind?: string }[] }> } | null)?.clusters ?? {};
  for (const c of Object.values(clusters)) {
    if (!c.host || !c.endpoints?.length) continue;
    if (out[c.host] === "member") continue;
    out[c.host] = c.endpoints.some((e) => e.kind === "binding") ? "member" : "origin";
  }
  return out;
}

const NOISE = ["resourceVersion", "generation", "creationTimestamp", "uid", "managedFields"];

function resourceYaml(r: Resource): string {
  const metadata = Object.fromEntries(Object.entries(r.metadata).filter(([k]) => !NOISE.includes(k)));
  return stringify({ apiVersion: r.apiVersion, kind: r.kind, metadata, spec: r.spec }, { lineWidth: 0 });
}

const order = (a: Resource, b: Resource) => a.kind.localeCompare(b.kind) || a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name);

/** The whole config of one version as one YAML stream (sorted), for diffs. */
export function configYaml(resources: readonly Resource[]): string {
  return [...resources].sort(order).map((r) => `# ${r.kind} ${r.metadata.namespace}/${r.metadata.name}\n${redactSecrets(resourceYaml(r))}`).join("---\n");
}

/** The console's routes, to mount at `<prefix>/ui`; `adminBase` is the admin prefix (for API calls from the page). */
export function createConsoleApp(adminBase: string, deps: ConsoleDeps): Hono<AppEnv> {
  const base = `${adminBase}/ui`;
  const app = new Hono<AppEnv>();
  const secure = (url: string) => url.startsWith("https:");

  app.get("/login", (c) => c.html(<LoginPage base={base} />));
  app.post("/login", async (c) => {
    const form = await c.req.parseBody().catch(() => ({} as Record<string, unknown>));
    const token = typeof form.token === "string" ? form.token : "";
    const expected = c.env.ADMIN_TOKEN;
    if (!expected || !token || !(await safeEqual(token, expected))) {
      return c.html(<LoginPage base={base} error={expected ? "That is not the admin token." : "Token sign-in is off: ADMIN_TOKEN is not set (use Cloudflare Access)."} />, 401);
    }
    return c.body(null, 303, { location: base, "set-cookie": await sessionCookie(expected, adminBase, secure(c.req.url)), "cache-control": "no-store" });
  });
  app.post("/logout", (c) => c.body(null, 303, { location: `${base}/login`, "set-cookie": clearSessionCookie(adminBase) }));

  app.get("/", (c) => c.html(<GraphPage base={base} pollMs={Number(c.req.query("poll") ?? 3000) || 3000} />));

  app.get("/api/graph", async (c) => {
    const [text, snapshot] = await Promise.all([deps.metrics(c.env), deps.configDump(c.env, c.executionCtx)]);
    return c.json(buildMeshGraph(parsePrometheusText(text), serviceKinds(snapshot)), 200, { "cache-control": "no-store" });
  });

  app.get("/config", async (c) => {
    const store = deps.store(c.env);
    const version = await store.version();
    const [resources, findings] = await Promise.all([store.resourcesAt(version), store.analyze([])]);
    const views: ResourceView[] = [...(resources ?? [])].sort(order).map((r) => ({ kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name, yaml: redactSecrets(resourceYaml(r)) }));
    return c.html(<ConfigPage base={base} version={version} resources={views} findings={findings} />);
  });

  app.get("/history", async (c) => {
    const store = deps.store(c.env);
    const [current, history] = await Promise.all([store.version(), store.history()]);
    const from = Number(c.req.query("from"));
    const to = Number(c.req.query("to"));
    let diff: string | undefined;
    let diffError: string | undefined;
    if (Number.isInteger(from) && Number.isInteger(to) && from > 0 && to > 0) {
      const [a, b] = await Promise.all([store.resourcesAt(from), store.resourcesAt(to)]);
      if (!a || !b) diffError = `version ${!a ? from : to} is not in the history`;
      else diff = createTwoFilesPatch(`version ${from}`, `version ${to}`, configYaml(a), configYaml(b), "", "", { context: 3 }).replace(/^=+\n/, "") || "(no change)";
    }
    return c.html(<HistoryPage base={base} adminBase={adminBase} current={current} history={history} from={from || undefined} to={to || undefined} diff={diff} diffError={diffError} />);
  });

  app.get("/explain", (c) => c.html(<ExplainPage base={base} adminBase={adminBase} />));

  app.get("/proxy-status", async (c) => {
    const [version, reports] = await Promise.all([deps.store(c.env).version(), deps.proxyReports(c.env, c.executionCtx, c.req.raw)]);
    return c.html(<ProxyStatusPage base={base} status={proxyStatus(version, reports)} />);
  });

  return app;
}
