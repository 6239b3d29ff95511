import type { ConfigStoreApi } from "../../config/store-api.js";

/** The ConfigStore is a single object: the one authoritative copy of the config. */
export function configStore(env: Env): ConfigStoreApi {
  return env.CONFIG_STORE.getByName("config") as unknown as ConfigStoreApi;
}
