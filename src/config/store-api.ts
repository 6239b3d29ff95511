/**
 * The ConfigStore Durable Object's RPC surface (what the admin API calls). Plain data in and out, so
 * the same values are the admin API's JSON bodies (DESIGN §4).
 */
import type { AnalyzerMessage, ConfigError } from "./errors.js";
import type { Kind, Resource } from "./resource.js";

export type ApplyAction = "created" | "configured" | "unchanged";

export interface ResourceRef {
  kind: Kind;
  namespace: string;
  name: string;
}

export interface ApplyResultRow extends ResourceRef {
  apiVersion: string;
  action: ApplyAction | "deleted" | "notfound";
}

export type StoreOutcome =
  | { ok: true; version: number; results: ApplyResultRow[]; warnings: AnalyzerMessage[]; snapshot?: VersionedSnapshot }
  | { ok: false; status: 404 | 409 | 422; errors: ConfigError[] };

export interface HistoryEntry {
  version: number;
  /** ISO time the version was made. */
  createdAt: string;
  /** `apply`, `delete`, `put`, `rollback to N`. */
  cause: string;
  /** How many resources the version holds. */
  resources: number;
}

/** A compiled snapshot with its version, as the gateway caches it: the compiler's Snapshot as JSON text. */
export interface VersionedSnapshot {
  version: number;
  json: string;
  /** `contentHash(json)`: with the version, the name of the immutable copy in the location tier. */
  hash?: string;
  /** The store's lineage (random, made when the store was created): versions of two lineages do not compare. */
  epoch?: number;
}

/** What a gateway isolate asks first: which snapshot is current (a few bytes, not the snapshot). */
export interface SnapshotHead {
  version: number;
  hash: string;
  /** The store's lineage: a store wiped and started again counts versions from 1 under a new epoch. */
  epoch: number;
}

export interface ConfigStoreApi {
  /** Validated resources in; all stored or none. `dryRun` answers as if applied and stores nothing. */
  apply(resources: Resource[], opts?: { dryRun?: boolean; cause?: string }): Promise<StoreOutcome>;
  /** Replace one resource; a `metadata.resourceVersion` that is not the stored one answers 409. */
  put(resource: Resource, opts?: { dryRun?: boolean }): Promise<StoreOutcome>;
  /** Delete the named resources (missing ones are reported as `notfound`, the rest are deleted). */
  delete(refs: ResourceRef[], opts?: { dryRun?: boolean }): Promise<StoreOutcome>;
  get(ref: ResourceRef): Promise<Resource | null>;
  list(kind: Kind, namespace?: string): Promise<Resource[]>;
  version(): Promise<number>;
  /** The current version and its content hash (cheap: what isolates poll through the location tier). */
  head(): Promise<SnapshotHead>;
  /**
   * Read replica (an object named `replicaName(...)`): the snapshot `head` names, or a newer one, kept in
   * memory and fetched once from the ConfigStore (`primary`, default `config`); null when the store has
   * no such version any more.
   */
  replica(head: SnapshotHead, primary?: string): Promise<VersionedSnapshot | null>;
  /** The current compiled snapshot; `null` when `haveVersion` is already current. */
  snapshot(haveVersion?: number): Promise<VersionedSnapshot | null>;
  history(): Promise<HistoryEntry[]>;
  /** The resources of `version` (one of the last 50), or null when it is not kept (console diffs). */
  resourcesAt(version: number): Promise<Resource[] | null>;
  /** Makes a new version whose resources are those of `version` (one of the last 50). */
  rollback(version: number): Promise<StoreOutcome>;
  /** Analyzer messages for the stored config with `extra` applied on top (nothing is stored). */
  analyze(extra: Resource[]): Promise<AnalyzerMessage[]>;
}
