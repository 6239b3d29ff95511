import type { ConfigStoreApi } from "../../config/store-api.js";
import { locationTier } from "./config-tier.js";
import type { StoreAccess } from "./live-config.js";

/** The ConfigStore is a single object: the one authoritative copy of the config. */
export function configStore(env: Env): ConfigStoreApi {
  return env.CONFIG_STORE.getByName("config") as unknown as ConfigStoreApi;
}

/** Where this isolate's config comes from: the ConfigStore, through the location's cache (docs/scale.md). */
export function storeAccess(env: Env, waitUntil: (p: Promise<unknown>) => void): StoreAccess {
  return { env, store: () => configStore(env), tier: () => locationTier(env), waitUntil };
}
