/**
 * DestinationRule `trafficPolicy.loadBalancer` translated into plain data (the algorithm and its hash
 * key), once per config version; src/policy/load-balancer/ picks endpoints with it per request.
 */
import { parseDuration } from "../duration.js";
import type { ConsistentHashLB, LoadBalancerSettings } from "../schemas/destination-rule.js";

/** Envoy's ring-hash default `minimum_ring_size`. */
export const DEFAULT_MINIMUM_RING_SIZE = 1024;
/** Envoy's Maglev default table size (a prime). */
export const DEFAULT_MAGLEV_TABLE_SIZE = 65537;

export type HashPolicy =
  | { kind: "header"; name: string }
  | { kind: "cookie"; name: string; path?: string; ttlSeconds?: number; attributes: Array<{ name: string; value?: string }> }
  | { kind: "sourceIp" }
  | { kind: "query"; name: string };

export type LbAlgorithm = "LEAST_REQUEST" | "ROUND_ROBIN" | "RANDOM" | "PASSTHROUGH" | "RING_HASH" | "MAGLEV";

/** The compiled `loadBalancer` (plain data). */
export interface LoadBalancerConfig {
  algorithm: LbAlgorithm;
  hashPolicy?: HashPolicy;
  /** RING_HASH only. */
  minimumRingSize?: number;
  /** MAGLEV only. */
  tableSize?: number;
}

/**
 * @example compileLoadBalancer(undefined)                                   // { algorithm: "LEAST_REQUEST" }
 * @example compileLoadBalancer({ consistentHash: { httpHeaderName: "x-user" } }) // RING_HASH, 1024, header x-user
 */
export function compileLoadBalancer(lb: LoadBalancerSettings | undefined): LoadBalancerConfig {
  const ch = lb?.consistentHash;
  if (ch) {
    const hashPolicy = compileHashPolicy(ch);
    const withKey = hashPolicy ? { hashPolicy } : {};
    if (ch.maglev) return { algorithm: "MAGLEV", ...withKey, tableSize: ch.maglev.tableSize || DEFAULT_MAGLEV_TABLE_SIZE };
    const ring = ch.ringHash?.minimumRingSize || ch.minimumRingSize || DEFAULT_MINIMUM_RING_SIZE;
    return { algorithm: "RING_HASH", ...withKey, minimumRingSize: ring };
  }
  switch (lb?.simple) {
    case "ROUND_ROBIN":
      return { algorithm: "ROUND_ROBIN" };
    case "RANDOM":
      return { algorithm: "RANDOM" };
    case "PASSTHROUGH":
      return { algorithm: "PASSTHROUGH" };
    default:
      // UNSPECIFIED, LEAST_CONN, LEAST_REQUEST, or unset (also `backendUtilization`, which needs ORCA
      // load reports a Worker never gets).
      return { algorithm: "LEAST_REQUEST" };
  }
}

/** undefined when no hash key field is set. */
export function compileHashPolicy(ch: ConsistentHashLB): HashPolicy | undefined {
  if (ch.httpHeaderName !== undefined) return { kind: "header", name: ch.httpHeaderName.toLowerCase() };
  if (ch.httpCookie !== undefined) {
    const c = ch.httpCookie;
    const ttlMs = c.ttl !== undefined ? parseDuration(c.ttl) : undefined;
    return {
      kind: "cookie",
      name: c.name,
      ...(c.path ? { path: c.path } : {}),
      // Envoy keeps whole seconds; 0 makes a session cookie.
      ...(ttlMs !== undefined ? { ttlSeconds: Math.floor(ttlMs / 1000) } : {}),
      attributes: (c.attributes ?? []).map((a) => (a.value !== undefined ? { name: a.name, value: a.value } : { name: a.name })),
    };
  }
  if (ch.useSourceIp === true) return { kind: "sourceIp" };
  if (ch.httpQueryParameterName !== undefined) return { kind: "query", name: ch.httpQueryParameterName };
  return undefined;
}

