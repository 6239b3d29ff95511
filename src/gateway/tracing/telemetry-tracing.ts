/**
 * Where the gateway finds a compiled Telemetry `tracing[]` entry for itself.
 */
import type { TelemetryTable } from "../../config/compile/telemetry.js";
import type { TelemetryTracing } from "../../config/tracing-settings.js";

/**
 * ADAPTER (merge point): the Telemetry compile's `tracing[]` for the gateway, when the compiled table
 * carries one. Today's `TelemetryTable` has none, so MeshConfig alone decides.
 */
export function telemetryTracingOf(table: TelemetryTable | undefined): TelemetryTracing | undefined {
  return (table as (TelemetryTable & { tracing?: TelemetryTracing }) | undefined)?.tracing;
}

