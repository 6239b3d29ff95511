/**
 * The Circuit Durable Object's RPC contract (one object per cluster, `env.CIRCUIT.getByName(cluster)`):
 * isolates send batches of outcomes and read the ejected set. Plain structured-clone data both ways.
 */
import type { OutlierConfig } from "../../config/compile/outlier-detection.js";
import type { OutlierOutcome } from "./outlier-outcome.js";

/** One batch of outcomes from an isolate. */
export interface CircuitReport {
  /** The cluster's compiled `outlierDetection` in the sender's snapshot (the latest received wins). */
  config: OutlierConfig;
  /** The cluster's endpoint keys in the sender's snapshot; omitted = keep the known set. */
  hosts?: string[];
  /** In the order they happened: [endpointKey, outcome]. */
  outcomes: Array<[key: string, outcome: OutlierOutcome]>;
}

/** The shared circuit state an isolate caches. */
export interface CircuitSnapshot {
  /** Ejected endpoint key → time (ms since epoch) it comes back. */
  ejected: Record<string, number>;
  /** Changes whenever the ejected set changes. */
  version: number;
}

export interface CircuitApi {
  /** Applies the outcomes in order and answers the resulting state. `now` is for tests and the simulation. */
  report(batch: CircuitReport, now?: number): Promise<CircuitSnapshot>;
  state(): Promise<CircuitSnapshot>;
  /**
   * Location relay (an object named `relayName(location, cluster)`): buffers the batch and answers the
   * cluster's shared state as last seen, forwarding what it holds to the cluster's Circuit at most once
   * per `RELAY_FORWARD_MS` (docs/scale.md).
   */
  relay(cluster: string, batch: CircuitReport | undefined, now?: number): Promise<CircuitSnapshot>;
}

/** A relay forwards to the cluster's Circuit at most this often (and re-reads its state as often). */
export const RELAY_FORWARD_MS = 1000;

/** The name of the relay object of `cluster` in `location` (a Cloudflare colo code). */
export function relayName(location: string, cluster: string): string {
  return `relay:${location}:${cluster}`;
}
