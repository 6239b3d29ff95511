/**
 * The snapshot this isolate serves (DESIGN §5): fetched from the ConfigStore once, then served from
 * memory. A request never awaits the Durable Object in steady state: at most once per REFRESH_MS a
 * request schedules a version check with `waitUntil`, and a newer snapshot replaces the old one when
 * it arrives. Admin writes through this isolate install their snapshot at once (read-your-writes).
 * Only the very first request of a cold isolate awaits the load.
 */
import type { Snapshot } from "../../config/snapshot.js";
import type { ConfigStoreApi, VersionedSnapshot } from "../../config/store-api.js";
import { hydrate, type LiveConfig } from "./hydrate.js";
import { isolate } from "./isolate.js";

export type { LiveConfig } from "./hydrate.js";

/** How stale another isolate's view may get before a request schedules a check (bounded convergence). */
export const REFRESH_MS = 1000;

let live: LiveConfig | undefined;
let lastCheck = 0;
let refreshing: Promise<void> | undefined;

/** Installs a snapshot if it is newer than the one served; returns what is served afterwards. */
export function installSnapshot(vs: VersionedSnapshot, env: Env): LiveConfig {
  if (live && live.version >= vs.version) return live;
  const snapshot = JSON.parse(vs.json) as Snapshot;
  live = hydrate(snapshot, env, isolate, vs.version);
  return live;
}

export interface StoreAccess {
  env: Env;
  store(): ConfigStoreApi;
  waitUntil(p: Promise<unknown>): void;
}

/**
 * The config to serve this request with. Awaits the store only when the isolate has none yet; in
 * steady state it answers synchronously (no promise, no await on the hot path).
 */
export function liveConfig(access: StoreAccess): LiveConfig | Promise<LiveConfig> {
  const now = Date.now();
  if (!live) return refresh(access).then(() => live!);
  if (now - lastCheck >= REFRESH_MS && !refreshing) {
    lastCheck = now;
    access.waitUntil(refresh(access).catch((e) => console.error("config refresh failed; serving version", live?.version, e)));
  }
  return live;
}

function refresh(access: StoreAccess): Promise<void> {
  refreshing ??= (async () => {
    try {
      lastCheck = Date.now();
      const vs = await access.store().snapshot(live?.version);
      if (vs) installSnapshot(vs, access.env);
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

