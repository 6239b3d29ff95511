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
  /** Applies the outcomes in order and answers the resulting state. */
  report(batch: CircuitReport): Promise<CircuitSnapshot>;
  state(): Promise<CircuitSnapshot>;
}
