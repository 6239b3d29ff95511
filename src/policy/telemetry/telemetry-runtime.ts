/**
 * Telemetry's runtime half for one snapshot, built at hydrate: the metric label groups of its peers.
 */
import type { Snapshot } from "../../config/snapshot.js";
import { MetricLabeler } from "./metric-labels.js";

export interface TelemetryRuntime {
  readonly labels: MetricLabeler;
}

export function buildTelemetryRuntime(snapshot: Pick<Snapshot, "gateway" | "workloads">): TelemetryRuntime {
  return { labels: new MetricLabeler(snapshot.gateway, snapshot.workloads) };
}
