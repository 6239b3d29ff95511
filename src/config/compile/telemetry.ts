/**
 * Telemetry (telemetry.istio.io) as far as the gateway acts on it: access logging. Istio logs nothing
 * by default (`meshConfig.accessLogFile: ""`); a Telemetry in the root namespace or the gateway's
 * namespace (selector matching the gateway, or none) with an `accessLogging` entry that is not
 * `disabled` turns the access log on. The most specific resource wins, as in Istio (workload >
 * namespace > root). Providers and CEL filters are accepted; every enabled entry logs to the Worker's
 * console as one JSON object per request (Workers Logs / `wrangler tail`).
 */
import { selectorMatches } from "../hosts.js";
import type { MeshOptions } from "../mesh-options.js";
import { ROOT_NAMESPACE, type Resource } from "../resource.js";
import type { TelemetrySpec } from "../schemas/telemetry.js";


export interface TelemetryTable {
  accessLog: boolean;
  /** The Telemetry that decided (`namespace/name`), for explain. */
  source?: string;
}

export function compileTelemetry(resources: readonly Resource[], mesh: Pick<MeshOptions, "gatewayLabels" | "gatewayNamespace">): TelemetryTable {
  const candidates = (resources.filter((r) => r.kind === "Telemetry") as unknown as Resource<TelemetrySpec>[])
    .filter((r) => r.metadata.namespace === ROOT_NAMESPACE || r.metadata.namespace === mesh.gatewayNamespace)
    .filter((r) => !r.spec.selector || selectorMatches(r.spec.selector.matchLabels, mesh.gatewayLabels))
    .filter((r) => r.spec.accessLogging !== undefined);
  const rank = (r: Resource<TelemetrySpec>) => (r.spec.selector ? 2 : r.metadata.namespace === ROOT_NAMESPACE ? 0 : 1);
  const winner = candidates.sort((a, b) => rank(b) - rank(a) || (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? ""))[0];
  if (!winner) return { accessLog: false };
  const enabled = (winner.spec.accessLogging ?? []).some((a) => a.disabled !== true);
  return { accessLog: enabled, source: `${winner.metadata.namespace}/${winner.metadata.name}` };
}
