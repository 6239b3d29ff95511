/** DestinationRule `loadBalancer`: endpoint choice per request. */
export * from "./balancer.js";
export * from "./endpoint-key.js";
export * from "./hash-policy.js";
export { DEFAULT_MAGLEV_TABLE_SIZE, MaglevTable } from "./maglev.js";
export { DEFAULT_MINIMUM_RING_SIZE, RingHashTable } from "./ring-hash.js";
