/**
 * How an isolate follows the ConfigStore without putting the store in the path of every isolate
 * (docs/scale.md). Every `refreshMs` a request schedules a check (background, `waitUntil`):
 *
 * 1. read the location's pointer (`{version, hash, epoch, checkedAt}`, config-tier.ts). Fresh (younger
 *    than `pointerTtlMs`) → that is the current head, no store call;
 * 2. stale or missing → this isolate claims the refresh (re-writes the stale pointer as fresh for
 *    `claimMs`, so the other isolates of the location keep off), asks the store for its head (a few
 *    bytes) and writes the pointer. About one isolate per location per `pointerTtlMs` gets here;
 * 3. newer than what is served → the snapshot `<epoch>/<version>-<hash>` from the location (checked
 *    against its hash), else from a read replica (else the store), and puts it in the location.
 *
 * Failure modes: a tier error or miss falls back to the store; a store error keeps the snapshot served
 * (a cold isolate may start from the location's last pointer and snapshot). Versions of another store
 * lineage (a wiped store, a new `epoch`) are adopted only from the store itself, never from the tier.
 *
 * Time, store and tier are injected, so the scale simulation runs thousands of followers in one isolate.
 */
import { contentHash } from "../../config/content-hash.js";
import type { ConfigStoreApi, SnapshotHead, VersionedSnapshot } from "../../config/store-api.js";
import type { ConfigTier, TierPointer } from "./config-tier.js";

export interface Followed {
  readonly version: number;
  readonly epoch?: number;
}

export interface ConfigFollowerOptions<T extends Followed> {
  store(): Pick<ConfigStoreApi, "head" | "snapshot">;
  /**
   * A read replica of the store for snapshot loads (a few replicas, each serving many locations, so a
   * new version costs the store a few loads, not one per location); undefined: load from the store.
   */
  replica?(): Pick<ConfigStoreApi, "replica"> | undefined;
  /** The location tier; undefined: store only. */
  tier(): ConfigTier | undefined;
  /** Hydrates a snapshot (once per version). */
  install(vs: VersionedSnapshot): T;
  now(): number;
  /** A request schedules a check at most this often (default 500 ms; a pointer read is a local cache hit). */
  refreshMs?: number;
  /** A pointer older than this sends one isolate of the location to the store (default 1000 ms). */
  pointerTtlMs?: number;
  /** How long an isolate that went to the store keeps the others of its location off (default 250 ms). */
  claimMs?: number;
}

/** Calls by kind, for tests and the scale simulation. */
export interface FollowerStats {
  storeHeads: number;
  storeSnapshots: number;
  storeErrors: number;
  tierPointerReads: number;
  tierSnapshotHits: number;
  tierErrors: number;
  replicaLoads: number;
  replicaErrors: number;
}

export const DEFAULT_REFRESH_MS = 500;
export const DEFAULT_POINTER_TTL_MS = 1000;
export const DEFAULT_CLAIM_MS = 250;

export class ConfigFollower<T extends Followed> {
  private live?: T;
  private lastCheck = -Infinity;
  private refreshing?: Promise<void>;
  /** A snapshot installed from an admin write, to be put in the location at the next check. */
  private unpublished?: VersionedSnapshot;
  readonly stats: FollowerStats = { storeHeads: 0, storeSnapshots: 0, storeErrors: 0, tierPointerReads: 0, tierSnapshotHits: 0, tierErrors: 0, replicaLoads: 0, replicaErrors: 0 };

  constructor(private readonly opts: ConfigFollowerOptions<T>) {}

  get current(): T | undefined {
    return this.live;
  }

  /** Installs a snapshot if it is newer than the one served, or of another store lineage; returns what is served. */
  install(vs: VersionedSnapshot): T {
    const live = this.live;
    if (live && live.version >= vs.version && (vs.epoch === undefined || vs.epoch === live.epoch)) return live;
    this.live = this.opts.install(vs);
    this.unpublished = vs;
    return this.live;
  }

  /**
   * The config to serve with. Synchronous once the isolate has one (a due check goes to `waitUntil`);
   * only a cold isolate awaits.
   */
  serve(waitUntil: (p: Promise<unknown>) => void, onError: (e: unknown) => void): T | Promise<T> {
    if (!this.live) return this.refresh().then(() => this.live!);
    if (this.opts.now() - this.lastCheck >= (this.opts.refreshMs ?? DEFAULT_REFRESH_MS) && !this.refreshing) {
      waitUntil(this.refresh().catch(onError));
    }
    return this.live;
  }

  /** One check (coalesced: concurrent callers share it). */
  refresh(): Promise<void> {
    this.refreshing ??= this.check().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async check(): Promise<void> {
    const now = this.opts.now();
    this.lastCheck = now;
    const ttl = this.opts.pointerTtlMs ?? DEFAULT_POINTER_TTL_MS;
    const tier = this.opts.tier();
    const live = this.live;
    const unpublished = this.unpublished;
    this.unpublished = undefined;
    // What an admin write installed here goes to the location first: its other isolates need not ask.
    if (tier && unpublished?.hash && unpublished.epoch !== undefined) {
      const h: SnapshotHead = { version: unpublished.version, hash: unpublished.hash, epoch: unpublished.epoch };
      await tier.writeSnapshot(h, unpublished.json).catch(() => this.stats.tierErrors++);
    }

    let pointer: TierPointer | undefined;
    if (tier) {
      try {
        this.stats.tierPointerReads++;
        pointer = await tier.readPointer();
      } catch {
        this.stats.tierErrors++;
      }
    }
    // A pointer from the future (another isolate's clock far ahead) counts as stale, as does one of
    // another lineage than ours: only the store may move us to another epoch.
    const fresh = pointer && now - pointer.checkedAt < ttl && pointer.checkedAt - now < ttl
      && (!live || live.epoch === undefined || pointer.epoch === live.epoch);

    let head: SnapshotHead;
    let fromStore = false;
    if (pointer && fresh) {
      head = pointer;
    } else {
      if (tier && pointer) {
        const claim: TierPointer = { ...pointer, checkedAt: now - ttl + (this.opts.claimMs ?? DEFAULT_CLAIM_MS) };
        await tier.writePointer(claim).catch(() => this.stats.tierErrors++);
      }
      try {
        this.stats.storeHeads++;
        head = await this.opts.store().head();
        fromStore = true;
      } catch (e) {
        this.stats.storeErrors++;
        // Store down: a warm isolate keeps what it serves; a cold one starts from its location's last pointer.
        if (live || !pointer) throw e;
        head = pointer;
      }
      if (tier && fromStore) await tier.writePointer({ ...head, checkedAt: now }).catch(() => this.stats.tierErrors++);
    }

    if (live && live.version >= head.version && (live.epoch === undefined || live.epoch === head.epoch)) return;

    if (tier) {
      let json: string | undefined;
      try {
        json = await tier.readSnapshot(head);
      } catch {
        this.stats.tierErrors++;
      }
      if (json !== undefined && contentHash(json) === head.hash) {
        this.stats.tierSnapshotHits++;
        this.install({ version: head.version, json, hash: head.hash, epoch: head.epoch });
        this.unpublished = undefined;
        return;
      }
    }
    let vs: VersionedSnapshot | null = null;
    const replica = this.opts.replica?.();
    if (replica) {
      try {
        this.stats.replicaLoads++;
        vs = await replica.replica(head);
      } catch {
        this.stats.replicaErrors++;
      }
      if (vs && (vs.hash === undefined || contentHash(vs.json) !== vs.hash)) vs = null;
    }
    if (vs) {
      this.install(vs);
      this.unpublished = undefined;
      if (tier && vs.hash && vs.epoch !== undefined) {
        await tier.writeSnapshot({ version: vs.version, hash: vs.hash, epoch: vs.epoch }, vs.json).catch(() => this.stats.tierErrors++);
      }
      return;
    }
    this.stats.storeSnapshots++;
    try {
      // Another lineage: ask for the whole snapshot whatever our version.
      vs = await this.opts.store().snapshot(live && live.epoch === head.epoch ? live.version : undefined);
    } catch (e) {
      this.stats.storeErrors++;
      throw e;
    }
    if (!vs) return;
    this.install(vs);
    this.unpublished = undefined;
    if (tier && vs.hash && vs.epoch !== undefined) {
      const got: SnapshotHead = { version: vs.version, hash: vs.hash, epoch: vs.epoch };
      await tier.writeSnapshot(got, vs.json).catch(() => this.stats.tierErrors++);
      if (got.version > head.version) await tier.writePointer({ ...got, checkedAt: now }).catch(() => this.stats.tierErrors++);
    }
  }
}
