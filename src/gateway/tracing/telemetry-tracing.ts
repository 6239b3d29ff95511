/**
 * Where the gateway finds the Telemetry `tracing[]` in effect for itself: the compiled telemetry table's
 * gateway scope, CLIENT mode (what the gateway sends), as the tracer's `TelemetryTracing`.
 */
import type { TelemetryTable } from "../../config/compile/telemetry.js";
import type { CustomTag, TelemetryTracing } from "../../config/tracing-settings.js";

export function telemetryTracingOf(table: TelemetryTable | undefined): TelemetryTracing | undefined {
  const t = table?.gateway.tracing?.client;
  if (!t) return undefined;
  return {
    ...(t.provider !== null ? { providers: [t.provider] } : {}),
    ...(t.randomSamplingPercentage !== null ? { randomSamplingPercentage: t.randomSamplingPercentage } : {}),
    customTags: t.customTags as Record<string, CustomTag>,
    disableSpanReporting: t.disabled,
  };
}
