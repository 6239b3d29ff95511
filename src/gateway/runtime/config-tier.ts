/**
 * The location tier of config distribution: the Workers Cache API of the data center the isolate runs
 * in (`caches.default`, one cache per location, shared by every isolate of the zone there). It holds
 * two kinds of entries under a synthetic host that no client can request:
 *
 * - the **pointer** `…/<scope>/head`: the current `{version, hash}` and when an isolate last asked the
 *   ConfigStore (`checkedAt`). Isolates read it instead of asking the store; the one that finds it
 *   older than the pointer TTL asks the store and writes it again;
 * - the **snapshots** `…/<scope>/snapshot/<epoch>/<version>-<hash>`: immutable copies of compiled snapshots,
 *   so a cold isolate loads its config from its own location, not from wherever the store lives.
 *
 * Every call may fail or miss (eviction, `*.workers.dev` where the Cache API stores nothing, an
 * outage): the follower (config-follower.ts) then falls back to the store.
 */
import type { SnapshotHead } from "../../config/store-api.js";

/** The pointer: the current head and when an isolate of this location last checked it with the store. */
export interface TierPointer extends SnapshotHead {
  /** Time (ms since epoch, the writing isolate's clock) the store was asked. */
  checkedAt: number;
}

/** What the follower needs from a location tier. */
export interface ConfigTier {
  readPointer(): Promise<TierPointer | undefined>;
  writePointer(p: TierPointer): Promise<void>;
  readSnapshot(head: SnapshotHead): Promise<string | undefined>;
  writeSnapshot(head: SnapshotHead, json: string): Promise<void>;
}

const ORIGIN = "https://config.isthmus.internal";
/** How long the Cache API may keep entries; freshness of the pointer is decided by `checkedAt`, not by this. */
const POINTER_MAX_AGE_S = 300;
const SNAPSHOT_MAX_AGE_S = 7 * 24 * 3600;

/** The Cache API key of the pointer of `scope` (see `cacheTier`). */
export const pointerKey = (scope: string) => `${ORIGIN}/${encodeURIComponent(scope)}/head`;

/**
 * A tier over one Cache API cache. `scope` keeps gateways that share a zone apart (the ConfigStore's
 * object id is unique per account and namespace).
 *
 * @example const tier = cacheTier(caches.default, env.CONFIG_STORE.idFromName("config").toString());
 */
export function cacheTier(cache: Cache, scope: string): ConfigTier {
  const base = `${ORIGIN}/${encodeURIComponent(scope)}`;
  const pointer = pointerKey(scope);
  const snapshotKey = (h: SnapshotHead) => `${base}/snapshot/${h.epoch}/${h.version}-${h.hash}`;
  return {
    async readPointer() {
      const res = await cache.match(pointer);
      if (!res) return undefined;
      const p = (await res.json().catch(() => undefined)) as Partial<TierPointer> | undefined;
      return p && Number.isSafeInteger(p.version) && typeof p.hash === "string" && typeof p.checkedAt === "number" && typeof p.epoch === "number"
        ? { version: p.version!, hash: p.hash, epoch: p.epoch, checkedAt: p.checkedAt }
        : undefined;
    },
    async writePointer(p) {
      await cache.put(pointer, new Response(JSON.stringify(p), {
        headers: { "content-type": "application/json", "cache-control": `max-age=${POINTER_MAX_AGE_S}` },
      }));
    },
    async readSnapshot(h) {
      const res = await cache.match(snapshotKey(h));
      return res ? await res.text() : undefined;
    },
    async writeSnapshot(h, json) {
      await cache.put(snapshotKey(h), new Response(json, {
        headers: { "content-type": "application/json", "cache-control": `max-age=${SNAPSHOT_MAX_AGE_S}, immutable` },
      }));
    },
  };
}

/** The tier of the location this isolate runs in (`caches.default`); undefined where there is no Cache API. */
export function locationTier(env: Env): ConfigTier | undefined {
  if (typeof caches === "undefined" || !caches.default) return undefined;
  return cacheTier(caches.default, env.CONFIG_STORE.idFromName("config").toString());
}
