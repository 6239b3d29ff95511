/**
 * The snapshot this isolate serves (DESIGN §5): loaded once, then served from memory. A request never
 * awaits the ConfigStore in steady state: at most once per REFRESH_MS a request schedules a check with
 * `waitUntil` through the location tier (config-follower.ts: a Cache API pointer and immutable
 * snapshot copies, so about one isolate per location per second asks the store), and a newer snapshot
 * replaces the old one when it arrives. Admin writes through this isolate install their snapshot at
 * once (read-your-writes). Only the very first request of a cold isolate awaits the load, from its
 * location when the snapshot is there.
 */
import type { Snapshot } from "../../config/snapshot.js";
import type { ConfigStoreApi, VersionedSnapshot } from "../../config/store-api.js";
import { ConfigFollower, DEFAULT_REFRESH_MS } from "./config-follower.js";
import type { ConfigTier } from "./config-tier.js";
import { hydrate, type LiveConfig } from "./hydrate.js";
import { isolate } from "./isolate.js";

export type { LiveConfig } from "./hydrate.js";

/** How often a busy isolate checks its location's pointer (bounded convergence, docs/scale.md). */
export const REFRESH_MS = DEFAULT_REFRESH_MS;

type Served = LiveConfig & { readonly epoch?: number };

/** The env the next install hydrates with (the same object for every request of an isolate). */
let currentEnv: Env | undefined;
let currentTier: (() => ConfigTier | undefined) | undefined;
let currentStore: (() => ConfigStoreApi) | undefined;
let currentReplica: (() => Pick<ConfigStoreApi, "replica">) | undefined;

const follower = new ConfigFollower<Served>({
  store: () => currentStore!(),
  tier: () => currentTier?.(),
  replica: () => currentReplica?.(),
  install: (vs) => Object.assign(hydrate(JSON.parse(vs.json) as Snapshot, currentEnv!, isolate, vs.version), { epoch: vs.epoch }),
  now: () => Date.now(),
});

/** Installs a snapshot if it is newer than the one served; returns what is served afterwards. */
export function installSnapshot(vs: VersionedSnapshot, env: Env): LiveConfig {
  currentEnv = env;
  return follower.install(vs);
}

export interface StoreAccess {
  env: Env;
  store(): ConfigStoreApi;
  /** The location tier (absent: every check asks the store). */
  tier?: () => ConfigTier | undefined;
  /** A snapshot read replica (absent: snapshots load from the store). */
  replica?: () => Pick<ConfigStoreApi, "replica">;
  waitUntil(p: Promise<unknown>): void;
}

/**
 * The config to serve this request with. Awaits only when the isolate has none yet; in steady state it
 * answers synchronously (no promise, no await on the hot path).
 */
export function liveConfig(access: StoreAccess): LiveConfig | Promise<LiveConfig> {
  currentEnv = access.env;
  currentStore = access.store;
  currentTier = access.tier;
  currentReplica = access.replica;
  return follower.serve(access.waitUntil, (e) => console.error("config refresh failed; serving version", follower.current?.version, e));
}

/** Checks now, whatever the interval (the admin API's catch-up before answering). */
export async function refreshNow(access: StoreAccess): Promise<LiveConfig> {
  currentEnv = access.env;
  currentStore = access.store;
  currentTier = access.tier;
  currentReplica = access.replica;
  await follower.refresh();
  return follower.current!;
}

/** This isolate's follower counters (tests, the scale simulation). */
export function followerStats() {
  return follower.stats;
}
