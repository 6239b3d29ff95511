/**
 * The admin API (DESIGN §4, a contract): Kubernetes-style config calls under the admin prefix, served
 * by the gateway with hono. Admission (parse + validate) happens here; storage, versions and the
 * compiled snapshot live in the ConfigStore Durable Object.
 */
import { Hono, type Context } from "hono";
import { schemaErrorMessage, type ConfigError } from "../../config/errors.js";
import { kindByPlural, toWire, type Resource } from "../../config/resource.js";
import type { ConfigStoreApi, ResourceRef, StoreOutcome, VersionedSnapshot } from "../../config/store-api.js";
import { authenticate } from "./auth.js";
import { admit, BodyTooLarge, readBodyText } from "./body.js";
import { openApiDocument } from "./openapi.js";
import type { ExplainInput } from "./explain.js";
import { redactSecrets } from "./redact.js";

export interface AdminDeps {
  /** The ConfigStore stub. */
  store(env: Env): ConfigStoreApi;
  /** Makes this isolate serve `snapshot` at once (read-your-writes). */
  install(snapshot: VersionedSnapshot, env: Env): void;
  /** Makes this isolate serve at least `version` before the answer goes out (read-your-writes). */
  ensureVersion(env: Env, version: number): Promise<void>;
  /** The snapshot this isolate serves now (config_dump). */
  configDump(env: Env, ctx: WaitUntil): Promise<unknown>;
  /** Decision report for `POST explain` (a dry run of the chain). */
  explain(env: Env, ctx: WaitUntil, input: ExplainInput): Promise<unknown>;
  /** Prometheus text of the mesh-wide metrics (every isolate's flushes, aggregated). */
  metrics(env: Env): Promise<string>;
}

type AppEnv = { Bindings: Env };
/** The part of the ExecutionContext the admin calls need. */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 422 | 500;
type ErrorItem = Pick<ConfigError, "code" | "message"> & Partial<ConfigError>;

/** Every error answer: `{status, errors}`, with the body's status equal to the HTTP status. */
function fail(c: Context<AppEnv>, status: ErrorStatus, errors: readonly ErrorItem[], headers?: Record<string, string>): Response {
  return c.json({ status, errors }, status, headers);
}

const problem = (path: string, code: ConfigError["code"], message: string): ConfigError => ({ kind: "", namespace: "", name: "", path, code, message });

export function createAdminApp(prefix: string, deps: AdminDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>().basePath(prefix);

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.use("*", async (c, next) => {
    const auth = await authenticate(c.req.raw.headers, {
      adminToken: c.env.ADMIN_TOKEN,
      accessTeamDomain: c.env.ACCESS_TEAM_DOMAIN,
      accessAud: c.env.ACCESS_AUD,
    });
    if (!auth.ok) return fail(c, 401, [{ code: "Unauthorized", message: auth.reason }], { "www-authenticate": 'Bearer realm="isthmus-admin"' });
    await next();
  });

  app.onError((err, c) => {
    if (err instanceof BodyTooLarge) return fail(c, 413, [{ code: "TooLarge", message: err.message }]);
    console.error("admin API error", err);
    return fail(c, 500, [{ code: "InternalError", message: String((err as Error)?.message ?? err) }]);
  });

  const store = (c: Context<AppEnv>) => deps.store(c.env);
  const answer = async (c: Context<AppEnv>, outcome: StoreOutcome) => {
    if (!outcome.ok) return fail(c, outcome.status, outcome.errors);
    if (outcome.snapshot) deps.install(outcome.snapshot, c.env);
    // An unchanged apply makes no snapshot, but the version it answers may be newer than what this
    // isolate serves (another isolate wrote it): catch up before answering.
    else await deps.ensureVersion(c.env, outcome.version);
    return c.json({ version: outcome.version, results: outcome.results, warnings: outcome.warnings });
  };
  const dryRun = (c: Context<AppEnv>) => ["true", "1", "All", "all"].includes(c.req.query("dryRun") ?? "");

  app.post("/apply", async (c) => {
    const admitted = admit(await readBodyText(c.req.raw));
    if (admitted.errors.length) return fail(c, 422, admitted.errors);
    return answer(c, await store(c).apply(admitted.resources, { dryRun: dryRun(c) }));
  });

  app.post("/delete", async (c) => {
    const admitted = admit(await readBodyText(c.req.raw));
    // Deleting needs only the identity of each resource; a body that names them but has an outdated
    // spec must still delete. So only identity errors (kind, metadata) refuse a delete.
    const identityErrors = admitted.errors.filter((e) => !e.path.startsWith("spec"));
    if (identityErrors.length) return fail(c, 422, identityErrors);
    const refs = refsOf(admitted);
    return answer(c, await store(c).delete(refs, { dryRun: dryRun(c) }));
  });

  app.get("/version", async (c) => c.json({ version: await store(c).version() }));
  app.get("/history", async (c) => c.json({ items: await store(c).history() }));
  app.post("/rollback", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { version?: unknown };
    const version = Number(body.version);
    if (!Number.isInteger(version) || version < 1) {
      return fail(c, 422, [problem("version", "FieldValueInvalid", "body must be {\"version\": <positive integer>}")]);
    }
    return answer(c, await store(c).rollback(version));
  });

  app.get("/config_dump", async (c) => c.json(redactSecrets(await deps.configDump(c.env, c.executionCtx))));
  app.get("/metrics", async (c) => c.text(await deps.metrics(c.env), 200, { "content-type": "text/plain; version=0.0.4" }));
  app.get("/openapi.json", (c) => c.json(openApiDocument(prefix)));

  app.post("/analyze", async (c) => {
    const text = await readBodyText(c.req.raw);
    if (!text.trim()) return c.json({ messages: await store(c).analyze([]) });
    const admitted = admit(text);
    // A body that cannot be read at all is refused, as on apply; schema errors are findings (IST0106).
    const parseErrors = admitted.errors.filter((e) => e.code === "ParseError");
    if (parseErrors.length) return fail(c, 422, parseErrors);
    const schemaMessages = admitted.errors.map(schemaErrorMessage);
    const messages = [...schemaMessages, ...(await store(c).analyze(admitted.resources))];
    return c.json({ messages });
  });

  app.post("/explain", async (c) => {
    const body = (await c.req.json().catch(() => null)) as Partial<ExplainInput> | null;
    if (!body || typeof body.url !== "string") {
      return fail(c, 422, [problem("url", "FieldValueRequired", "body must be {\"method\", \"url\", \"headers\"}")]);
    }
    try {
      new URL(body.url);
    } catch {
      return fail(c, 422, [problem("url", "FieldValueInvalid", `not an absolute URL: ${JSON.stringify(body.url)}`)]);
    }
    return c.json(await deps.explain(c.env, c.executionCtx, {
      method: body.method ?? "GET", url: body.url, headers: body.headers ?? {}, source: body.source, callExtAuthz: body.callExtAuthz === true, cf: body.cf,
    }));
  });

  // Kubernetes-style resource paths.
  const kindOf = (c: Context<AppEnv>) => {
    const info = kindByPlural(c.req.param("group") ?? "", c.req.param("plural") ?? "");
    const version = c.req.param("version") ?? "";
    return info && info.versions.includes(version) ? info : undefined;
  };
  const notFoundKind = (c: Context<AppEnv>) =>
    fail(c, 404, [problem("", "NotFound", `the server could not find the requested resource type ${c.req.param("plural")} in ${c.req.param("group")}/${c.req.param("version")}`)]);

  const list = async (c: Context<AppEnv>, namespace?: string) => {
    const info = kindOf(c);
    if (!info) return notFoundKind(c);
    const items = await store(c).list(info.kind, namespace);
    return c.json({ apiVersion: `${info.group}/${c.req.param("version")}`, kind: `${info.wireKind ?? info.kind}List`, metadata: { resourceVersion: String(await store(c).version()) }, items: redactSecrets(items.map(toWire)) });
  };
  app.get("/apis/:group/:version/namespaces/:ns/:plural", (c) => list(c, c.req.param("ns")));
  app.get("/apis/:group/:version/:plural", (c) => list(c));

  const one = "/apis/:group/:version/namespaces/:ns/:plural/:name";
  const refFrom = (c: Context<AppEnv>): ResourceRef | undefined => {
    const info = kindOf(c);
    return info ? { kind: info.kind, namespace: c.req.param("ns") ?? "", name: c.req.param("name") ?? "" } : undefined;
  };
  const missing = (c: Context<AppEnv>, ref: ResourceRef) =>
    fail(c, 404, [{ ...ref, path: "", code: "NotFound", message: `${ref.kind} ${ref.namespace}/${ref.name} not found` }]);

  app.get(one, async (c) => {
    const ref = refFrom(c);
    if (!ref) return notFoundKind(c);
    const r = await store(c).get(ref);
    return r ? c.json(redactSecrets(toWire(r))) : missing(c, ref);
  });

  app.put(one, async (c) => {
    const ref = refFrom(c);
    if (!ref) return notFoundKind(c);
    const admitted = admit(await readBodyText(c.req.raw));
    if (admitted.errors.length) return fail(c, 422, admitted.errors);
    if (admitted.resources.length !== 1) {
      return fail(c, 422, [{ ...ref, path: "", code: "FieldValueInvalid", message: `PUT takes exactly one resource, got ${admitted.resources.length}` }]);
    }
    const r = admitted.resources[0] as Resource;
    if (r.kind !== ref.kind || r.metadata.name !== ref.name || r.metadata.namespace !== ref.namespace) {
      return fail(c, 422, [{ ...ref, path: "metadata", code: "FieldValueInvalid",
        message: `the body names ${r.kind} ${r.metadata.namespace}/${r.metadata.name}, which does not match the URL (${ref.kind} ${ref.namespace}/${ref.name})` }]);
    }
    return answer(c, await store(c).put(r, { dryRun: dryRun(c) }));
  });

  app.delete(one, async (c) => {
    const ref = refFrom(c);
    if (!ref) return notFoundKind(c);
    const outcome = await store(c).delete([ref], { dryRun: dryRun(c) });
    if (outcome.ok && outcome.results.every((r) => r.action === "notfound")) return missing(c, ref);
    return answer(c, outcome);
  });

  app.notFound((c) => fail(c, 404, [{ code: "NotFound", message: `no admin call ${c.req.method} ${new URL(c.req.url).pathname}` }]));
  return app;
}

/** Resource identities named in a delete body (even where the spec part did not validate). */
function refsOf(admitted: ReturnType<typeof admit>): ResourceRef[] {
  const refs = new Map<string, ResourceRef>();
  for (const r of admitted.resources) refs.set(`${r.kind}/${r.metadata.namespace}/${r.metadata.name}`, { kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name });
  for (const e of admitted.errors) {
    if (e.kind && e.name) refs.set(`${e.kind}/${e.namespace}/${e.name}`, { kind: e.kind as ResourceRef["kind"], namespace: e.namespace, name: e.name });
  }
  return [...refs.values()];
}
