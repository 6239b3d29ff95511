/**
 * ConfigStore: the one authoritative copy of the mesh config (DESIGN §1). A SQLite Durable Object that
 * holds the resources, a monotonically increasing snapshot version, the compiled snapshot of the
 * current version and the resource sets of the last 50 versions (history, rollback).
 *
 * Every write runs synchronously inside one storage transaction: a Durable Object handles one event at
 * a time and nothing here awaits between reading and writing, so concurrent applies serialise without
 * lost updates, and a failure leaves the previous version untouched.
 */
import { DurableObject } from "cloudflare:workers";
import { analyze } from "../config/analyzer/index.js";
import { compileSnapshot } from "../config/compile/index.js";
import { GATEWAY_API_STATUS_KINDS, withGatewayApiStatus } from "../config/compile/gateway-api/index.js";
import { buildServiceRegistry } from "../config/compile/service-registry.js";
import type { ServiceEntrySpec, WorkloadEntrySpec } from "../config/schemas/service-entry.js";
import { SNAPSHOT_FORMAT } from "../config/snapshot.js";
import { contentHash } from "../config/content-hash.js";
import type { AnalyzerMessage, ConfigError } from "../config/errors.js";
import { meshOptions, type MeshOptions } from "../config/mesh-options.js";
import { kindInfo, resourceKey, type Kind, type Resource } from "../config/resource.js";
import type {
  ApplyResultRow, ConfigStoreApi, HistoryEntry, ResourceRef, SnapshotHead, StoreOutcome, VersionedSnapshot,
} from "../config/store-api.js";

/** Versions kept for history and rollback. */
export const HISTORY_LIMIT = 50;
/**
 * SQLite rows are limited to 2 MB; large texts are stored in chunks below that. 500k UTF-16 units are
 * at most 1.5 MB of UTF-8, and a chunk never ends between the halves of a surrogate pair.
 */
const CHUNK = 500_000;

interface StoredRow extends Record<string, SqlStorageValue> {
  key: string;
  body: string;
}

export class ConfigStore extends DurableObject<Env> implements ConfigStoreApi {
  private readonly mesh: MeshOptions;
  /** The current snapshot's head, kept in memory (hashing a large snapshot is done once per version). */
  private headMemo?: SnapshotHead;
  /** As a read replica: the last snapshot fetched from the ConfigStore, and a fetch in flight. */
  private replicaMemo?: VersionedSnapshot;
  private replicaFetch?: Promise<VersionedSnapshot>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.mesh = meshOptions(env);
    ctx.blockConcurrencyWhile(async () => this.migrate()).catch((e) => console.error("ConfigStore migration failed", e));
  }

  private migrate(): void {
    const sql = this.ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS resources (
      key TEXT PRIMARY KEY, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS versions (
      version INTEGER PRIMARY KEY, created_at TEXT NOT NULL, cause TEXT NOT NULL, resources INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS version_chunks (version INTEGER NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
      PRIMARY KEY (version, seq))`);
    sql.exec(`CREATE TABLE IF NOT EXISTS snapshot_chunks (seq INTEGER PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)`);
    // A snapshot compiled by an older gateway has another shape: compile the stored resources again,
    // at the same version, so isolates of the new gateway never hydrate a shape they do not know.
    if (this.counter("snapshotFormat") !== SNAPSHOT_FORMAT) {
      const version = this.counter("version");
      if (version > 0) {
        const json = JSON.stringify(compileSnapshot(this.allResources(), { ...this.mesh, version }));
        this.ctx.storage.transactionSync(() => {
          sql.exec(`DELETE FROM snapshot_chunks`);
          chunks(json).forEach((data, seq) => sql.exec(`INSERT INTO snapshot_chunks (seq, version, data) VALUES (?, ?, ?)`, seq, version, data));
        });
      }
      this.setCounter("snapshotFormat", SNAPSHOT_FORMAT);
    }
    if (this.counter("epoch") === 0) this.setCounter("epoch", 1 + Math.floor(Math.random() * 2 ** 48));
  }

  // ---- reads ----

  async version(): Promise<number> {
    return this.counter("version");
  }

  async get(ref: ResourceRef): Promise<Resource | null> {
    const row = this.ctx.storage.sql.exec<StoredRow>(`SELECT key, body FROM resources WHERE key = ?`, keyOf(ref)).toArray()[0];
    return row ? this.withStatus([JSON.parse(row.body) as Resource])[0]! : null;
  }

  /** Gateway API objects carry the status the controller would write, computed from the stored config. */
  private withStatus(items: Resource[]): Resource[] {
    if (!items.some((r) => GATEWAY_API_STATUS_KINDS.has(r.kind))) return items;
    const all = this.allResources();
    const of = <S>(kind: Kind) => all.filter((r) => r.kind === kind) as unknown as Resource<S>[];
    const registry = buildServiceRegistry(of<ServiceEntrySpec>("ServiceEntry"), of<WorkloadEntrySpec>("WorkloadEntry"));
    return withGatewayApiStatus(items, all, registry, { labels: this.mesh.gatewayLabels, namespace: this.mesh.gatewayNamespace });
  }

  async list(kind: Kind, namespace?: string): Promise<Resource[]> {
    const rows = namespace === undefined
      ? this.ctx.storage.sql.exec<StoredRow>(`SELECT key, body FROM resources WHERE kind = ? ORDER BY namespace, name`, kind).toArray()
      : this.ctx.storage.sql.exec<StoredRow>(`SELECT key, body FROM resources WHERE kind = ? AND namespace = ? ORDER BY name`, kind, namespace).toArray();
    return this.withStatus(rows.map((r) => JSON.parse(r.body) as Resource));
  }

  async head(): Promise<SnapshotHead> {
    const version = this.counter("version");
    if (this.headMemo?.version === version) return this.headMemo;
    const vs = this.currentSnapshot();
    return (this.headMemo = { version: vs.version, hash: vs.hash!, epoch: vs.epoch! });
  }

  async replica(head: SnapshotHead, primary = "config"): Promise<VersionedSnapshot | null> {
    const fits = (vs: VersionedSnapshot | undefined) => vs && vs.epoch === head.epoch && vs.version >= head.version;
    if (fits(this.replicaMemo)) return this.replicaMemo!;
    // One fetch at a time: the isolates of many locations asking at once cost the store one call.
    this.replicaFetch ??= (this.env.CONFIG_STORE.getByName(primary).snapshot() as Promise<VersionedSnapshot>).finally(() => {
      this.replicaFetch = undefined;
    });
    const vs = await this.replicaFetch;
    if (!this.replicaMemo || vs.epoch !== this.replicaMemo.epoch || vs.version > this.replicaMemo.version) this.replicaMemo = vs;
    return fits(vs) ? vs : null;
  }

  async snapshot(haveVersion?: number): Promise<VersionedSnapshot | null> {
    const version = this.counter("version");
    if (haveVersion !== undefined && haveVersion >= version) return null;
    const vs = this.currentSnapshot();
    this.headMemo = { version: vs.version, hash: vs.hash!, epoch: vs.epoch! };
    return vs;
  }

  async history(): Promise<HistoryEntry[]> {
    return this.ctx.storage.sql
      .exec<{ version: number; created_at: string; cause: string; resources: number }>(
        `SELECT version, created_at, cause, resources FROM versions ORDER BY version DESC`)
      .toArray()
      .map((r) => ({ version: r.version, createdAt: r.created_at, cause: r.cause, resources: r.resources }));
  }

  async analyze(extra: Resource[]): Promise<AnalyzerMessage[]> {
    const all = new Map(this.allResources().map((r) => [resourceKey(r), r]));
    for (const r of extra) all.set(resourceKey(r), r);
    return analyze([...all.values()], this.mesh);
  }

  // ---- writes ----

  async apply(resources: Resource[], opts: { dryRun?: boolean; cause?: string } = {}): Promise<StoreOutcome> {
    return this.write(opts.dryRun ?? false, opts.cause ?? "apply", (current, now, nextRv) => {
      const results: ApplyResultRow[] = [];
      const errors: ConfigError[] = [];
      for (const incoming of resources) {
        const key = resourceKey(incoming);
        const existing = current.get(key);
        const ref = refOf(incoming);
        const rv = incoming.metadata.resourceVersion;
        if (existing && rv !== undefined && rv !== existing.metadata.resourceVersion) {
          errors.push(conflict(incoming, existing));
          continue;
        }
        if (!existing && rv !== undefined && rv !== "") {
          // Kubernetes: an update with a resourceVersion of an object that no longer exists is a conflict too.
          errors.push({ ...ref, path: "metadata.resourceVersion", code: "Conflict",
            message: `Operation cannot be fulfilled on ${describe(incoming)}: the object has been deleted (resourceVersion ${rv})` });
          continue;
        }
        if (existing && sameContent(existing, incoming)) {
          results.push({ ...ref, apiVersion: incoming.apiVersion, action: "unchanged" });
          continue;
        }
        current.set(key, stamp(incoming, existing, now, nextRv()));
        results.push({ ...ref, apiVersion: incoming.apiVersion, action: existing ? "configured" : "created" });
      }
      return errors.length ? { status: 409, errors } : { results };
    });
  }

  async put(resource: Resource, opts: { dryRun?: boolean } = {}): Promise<StoreOutcome> {
    return this.apply([resource], { dryRun: opts.dryRun, cause: "put" });
  }

  async delete(refs: ResourceRef[], opts: { dryRun?: boolean } = {}): Promise<StoreOutcome> {
    return this.write(opts.dryRun ?? false, "delete", (current) => {
      const results: ApplyResultRow[] = [];
      for (const ref of refs) {
        const key = keyOf(ref);
        const existing = current.get(key);
        if (!existing) {
          results.push({ ...ref, apiVersion: apiVersionOf(ref.kind), action: "notfound" });
          continue;
        }
        current.delete(key);
        results.push({ ...ref, apiVersion: existing.apiVersion, action: "deleted" });
      }
      return { results };
    });
  }

  async resourcesAt(version: number): Promise<Resource[] | null> {
    return this.versionResources(version);
  }

  async rollback(version: number): Promise<StoreOutcome> {
    const target = this.versionResources(version);
    if (!target) {
      const kept = this.historyVersions();
      return { ok: false, status: 404, errors: [{ kind: "", namespace: "", name: "", path: "version", code: "NotFound",
        message: `version ${version} is not in the history (kept: ${kept.length ? `${kept.at(-1)}..${kept[0]}` : "none"})` }] };
    }
    return this.write(false, `rollback to ${version}`, (current, now, nextRv) => {
      const results: ApplyResultRow[] = [];
      const wanted = new Map(target.map((r) => [resourceKey(r), r]));
      for (const [key, r] of current) {
        if (!wanted.has(key)) { current.delete(key); results.push({ ...refOf(r), apiVersion: r.apiVersion, action: "deleted" }); }
      }
      for (const [key, r] of wanted) {
        const existing = current.get(key);
        if (existing && sameContent(existing, r)) continue;
        current.set(key, stamp(r, existing ?? r, now, nextRv()));
        results.push({ ...refOf(r), apiVersion: r.apiVersion, action: existing ? "configured" : "created" });
      }
      return { results };
    });
  }

  // ---- internals ----

  /**
   * Runs `change` on a copy of the current resources; when it reports no errors and changed anything,
   * compiles the new set and stores resources, version, history and snapshot in one transaction.
   */
  private write(
    dryRun: boolean,
    cause: string,
    change: (current: Map<string, Resource>, now: string, nextRv: () => number) => { results?: ApplyResultRow[]; status?: 404 | 409 | 422; errors?: ConfigError[] },
  ): StoreOutcome {
    const before = new Map(this.allResources().map((r) => [resourceKey(r), r]));
    const current = new Map(before);
    const now = new Date().toISOString();
    let rv = this.counter("resourceVersion");
    const outcome = change(current, now, () => ++rv);
    if (outcome.errors?.length) return { ok: false, status: outcome.status ?? 422, errors: outcome.errors };
    const results = outcome.results ?? [];
    const resources = [...current.values()];
    const touched = new Set(results.map((r) => keyOf(r)));
    const warnings = analyze(resources, this.mesh).filter((m) => touched.has(keyOf({ kind: m.kind as Kind, namespace: m.namespace, name: m.name })));
    const changed = results.some((r) => r.action !== "unchanged" && r.action !== "notfound");
    const version = this.counter("version");
    if (!changed) return { ok: true, version, results, warnings };
    const next = version + 1;
    // Compile before writing anything: a compiler failure must leave the stored config as it was.
    const snapshot = compileSnapshot(resources, { ...this.mesh, version: next });
    const json = JSON.stringify(snapshot);
    if (dryRun) return { ok: true, version, results, warnings };
    this.ctx.storage.transactionSync(() => {
      const sql = this.ctx.storage.sql;
      for (const key of before.keys()) if (!current.has(key)) sql.exec(`DELETE FROM resources WHERE key = ?`, key);
      for (const [key, r] of current) {
        if (before.get(key) === r) continue;
        sql.exec(`INSERT OR REPLACE INTO resources (key, kind, namespace, name, body) VALUES (?, ?, ?, ?, ?)`,
          key, r.kind, r.metadata.namespace, r.metadata.name, JSON.stringify(r));
      }
      this.setCounter("version", next);
      this.setCounter("resourceVersion", rv);
      sql.exec(`INSERT INTO versions (version, created_at, cause, resources) VALUES (?, ?, ?, ?)`, next, now, cause, resources.length);
      writeChunks(sql, `INSERT INTO version_chunks (version, seq, data) VALUES (?, ?, ?)`, next, JSON.stringify(sortByKey(resources)));
      sql.exec(`DELETE FROM snapshot_chunks`);
      chunks(json).forEach((data, seq) => sql.exec(`INSERT INTO snapshot_chunks (seq, version, data) VALUES (?, ?, ?)`, seq, next, data));
      const oldest = next - HISTORY_LIMIT;
      sql.exec(`DELETE FROM versions WHERE version <= ?`, oldest);
      sql.exec(`DELETE FROM version_chunks WHERE version <= ?`, oldest);
    });
    const hash = contentHash(json);
    const epoch = this.counter("epoch");
    this.headMemo = { version: next, hash, epoch };
    return { ok: true, version: next, results, warnings, snapshot: { version: next, json, hash, epoch } };
  }

  private currentSnapshot(): VersionedSnapshot {
    const rows = this.ctx.storage.sql.exec<{ version: number; data: string }>(`SELECT version, data FROM snapshot_chunks ORDER BY seq`).toArray();
    if (rows.length === 0) {
      const empty = compileSnapshot([], { ...this.mesh, version: 0 });
      const json = JSON.stringify(empty);
      return { version: 0, json, hash: contentHash(json), epoch: this.counter("epoch") };
    }
    const json = rows.map((r) => r.data).join("");
    const version = rows[0]!.version;
    const hash = this.headMemo?.version === version ? this.headMemo.hash : contentHash(json);
    return { version, json, hash, epoch: this.counter("epoch") };
  }

  private allResources(): Resource[] {
    return this.ctx.storage.sql.exec<StoredRow>(`SELECT key, body FROM resources ORDER BY key`).toArray().map((r) => JSON.parse(r.body) as Resource);
  }

  private versionResources(version: number): Resource[] | null {
    const rows = this.ctx.storage.sql.exec<{ data: string }>(`SELECT data FROM version_chunks WHERE version = ? ORDER BY seq`, version).toArray();
    return rows.length ? (JSON.parse(rows.map((r) => r.data).join("")) as Resource[]) : null;
  }

  private historyVersions(): number[] {
    return this.ctx.storage.sql.exec<{ version: number }>(`SELECT version FROM versions ORDER BY version DESC`).toArray().map((r) => r.version);
  }

  private counter(name: string): number {
    const row = this.ctx.storage.sql.exec<{ v: number }>(`SELECT v FROM meta WHERE k = ?`, name).toArray()[0];
    return row?.v ?? 0;
  }

  private setCounter(name: string, value: number): void {
    this.ctx.storage.sql.exec(`INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)`, name, value);
  }
}

/** Sets resourceVersion, creationTimestamp and generation as the API server would. */
function stamp(incoming: Resource, existing: Resource | undefined, now: string, rv: number): Resource {
  const metadata = { ...incoming.metadata };
  metadata.resourceVersion = String(rv);
  metadata.creationTimestamp = existing?.metadata.creationTimestamp ?? now;
  metadata.generation = (existing?.metadata.generation ?? 0) + 1;
  delete metadata.uid;
  return { apiVersion: incoming.apiVersion, kind: incoming.kind, metadata, spec: incoming.spec };
}

function keyOf(ref: ResourceRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

function refOf(r: Resource): ResourceRef {
  return { kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name };
}

function apiVersionOf(kind: Kind): string {
  const info = kindInfo(kind);
  return info ? `${info.group}/${info.versions[0]}` : "";
}

function describe(r: Resource): string {
  const info = kindInfo(r.kind);
  return `${info?.plural ?? r.kind}.${info?.group ?? ""} "${r.metadata.name}"`;
}

function conflict(incoming: Resource, existing: Resource): ConfigError {
  return {
    ...refOf(incoming), path: "metadata.resourceVersion", code: "Conflict",
    message: `Operation cannot be fulfilled on ${describe(incoming)}: the object has been modified; please apply your changes to the latest version and try again (resourceVersion ${incoming.metadata.resourceVersion}, stored ${existing.metadata.resourceVersion})`,
  };
}

/** Unchanged = same apiVersion, labels, annotations and spec (server-set metadata ignored). */
function sameContent(a: Resource, b: Resource): boolean {
  const pick = (r: Resource) => JSON.stringify([r.apiVersion, r.metadata.labels ?? {}, r.metadata.annotations ?? {}, r.spec]);
  return pick(a) === pick(b);
}

function sortByKey(rs: Resource[]): Resource[] {
  return [...rs].sort((a, b) => (resourceKey(a) < resourceKey(b) ? -1 : 1));
}

function chunks(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    let end = Math.min(i + CHUNK, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--; // keep the pair together
    out.push(text.slice(i, end));
    i = end;
  }
  return out.length ? out : [""];
}

function writeChunks(sql: SqlStorage, stmt: string, version: number, text: string): void {
  chunks(text).forEach((data, seq) => sql.exec(stmt, version, seq, data));
}
