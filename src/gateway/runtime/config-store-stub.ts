import type { ConfigStoreApi } from "../../config/store-api.js";
import { locationTier } from "./config-tier.js";
import { isolate } from "./isolate.js";
import type { StoreAccess } from "./live-config.js";

/** The ConfigStore is a single object: the one authoritative copy of the config. */
export function configStore(env: Env): ConfigStoreApi {
  return env.CONFIG_STORE.getByName("config") as unknown as ConfigStoreApi;
}

/**
 * Snapshot read replicas: ConfigStore objects acting as caches of the current snapshot, one per
 * Durable Object region hint, so a new version is loaded from the store about once per replica, and
 * each replica serves the locations that hash to it (docs/scale.md).
 */
export const REPLICA_HINTS: readonly DurableObjectLocationHint[] = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"];

export function configReplica(env: Env, location = isolate.location ?? "local"): Pick<ConfigStoreApi, "replica"> {
  let h = 0;
  for (let i = 0; i < location.length; i++) h = (h * 31 + location.charCodeAt(i)) >>> 0;
  const hint = REPLICA_HINTS[h % REPLICA_HINTS.length]!;
  return env.CONFIG_STORE.getByName(`replica:${hint}`, { locationHint: hint }) as unknown as Pick<ConfigStoreApi, "replica">;
}

/** Where this isolate's config comes from: the ConfigStore, through the location's cache (docs/scale.md). */
export function storeAccess(env: Env, waitUntil: (p: Promise<unknown>) => void): StoreAccess {
  return { env, store: () => configStore(env), tier: () => locationTier(env), replica: () => configReplica(env), waitUntil };
}
