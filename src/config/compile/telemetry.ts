/**
 * Telemetry (telemetry.istio.io) compiled per enforcement point, with Istio's precedence (pilot's
 * `applicableTelemetries`): for a workload, the root namespace's selector-less Telemetry, then its own
 * namespace's selector-less one, then the first (oldest) Telemetry in its namespace whose selector
 * matches its labels — later ones override earlier ones. Scopes: the gateway workload (its labels and
 * namespace, or `targetRefs` to a Gateway in its namespace) and every mesh workload of the registry.
 *
 * What a scope keeps:
 * - `metrics`: the applicable `metrics[]` entries in order (merged at hydrate with MeshConfig
 *   `defaultProviders`, as Istio's `mergeMetrics` does; CEL tag overrides compiled there once);
 * - `accessLogging`: the applicable `accessLogging[]` groups in order (merged at hydrate, `mergeLogs`);
 * - `tracing`: the tracing settings merged field by field (Istio's `Tracing()`), per mode — plain data
 *   the tracing runtime reads (`TracingSettings`).
 */
import { selectorMatches } from "../hosts.js";
import type { MeshOptions } from "../mesh-options.js";
import { ROOT_NAMESPACE, type Resource } from "../resource.js";
import type { AccessLogging, CustomTag, Metrics, TelemetrySpec, Tracing } from "../schemas/telemetry.js";
import type { Workload } from "./security.js";

/** Tracing for one mode (CLIENT: what the gateway sends; SERVER: what a workload receives). */
export interface TracingSettings {
  /** Provider name (first of the most specific `providers`); null: MeshConfig `defaultProviders.tracing[0]`. */
  provider: string | null;
  /** `disableSpanReporting`. */
  disabled: boolean;
  /** `randomSamplingPercentage` (0–100); null: the provider's / mesh default (Istio: 1 %). */
  randomSamplingPercentage: number | null;
  /** `customTags` of the most specific entry that sets them (a shallow merge, as Istio). */
  customTags: Record<string, CustomTag>;
  /** Default true. */
  useRequestIdForTraceSampling: boolean;
  /** Default true. */
  enableIstioTags: boolean;
  /** Default false. */
  disableContextPropagation: boolean;
}

/** One Telemetry's `accessLogging[]`, in precedence order. */
export interface AccessLoggingGroup {
  /** `namespace/name` of the Telemetry. */
  from: string;
  entries: AccessLogging[];
}

export interface TelemetryScope {
  /** Telemetry resources in effect, least specific first (`namespace/name`). */
  from: string[];
  metrics: Metrics[];
  accessLogging: AccessLoggingGroup[];
  /** Absent when no Telemetry configures tracing (MeshConfig decides alone). */
  tracing?: { client: TracingSettings; server: TracingSettings };
}

export interface TelemetryTable {
  /** The gateway workload's scope (north-south: reporter source, access log, client spans). */
  gateway: TelemetryScope;
  /** Deduplicated scopes; `workloads[i]` is the index of `Snapshot.workloads[i]`'s. */
  scopes: TelemetryScope[];
  workloads: number[];
  /** Scope of a namespace with no known workload (east-west callers without a registry entry), by namespace; `""`: root only. */
  namespaces: Record<string, number>;
}

type TelemetryResource = Resource<TelemetrySpec>;

export function compileTelemetry(
  resources: readonly Resource[],
  mesh: Pick<MeshOptions, "gatewayLabels" | "gatewayNamespace">,
  workloads: readonly Workload[] = [],
): TelemetryTable {
  const all = (resources.filter((r) => r.kind === "Telemetry") as unknown as TelemetryResource[])
    .slice()
    .sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") || key(a).localeCompare(key(b)));
  const byNamespace = new Map<string, TelemetryResource[]>();
  for (const t of all) byNamespace.set(t.metadata.namespace ?? "default", [...(byNamespace.get(t.metadata.namespace ?? "default") ?? []), t]);

  const applicable = (namespace: string, labels: Record<string, string> | undefined, isGateway: boolean): TelemetryResource[] => {
    const out: TelemetryResource[] = [];
    const nsWide = (ns: string) => (byNamespace.get(ns) ?? []).find((t) => !hasSelector(t));
    const root = nsWide(ROOT_NAMESPACE);
    if (root) out.push(root);
    if (namespace !== ROOT_NAMESPACE) {
      const own = nsWide(namespace);
      if (own) out.push(own);
    }
    if (labels) {
      const specific = (byNamespace.get(namespace) ?? []).find((t) =>
        t.spec.selector?.matchLabels && Object.keys(t.spec.selector.matchLabels).length > 0
          ? selectorMatches(t.spec.selector.matchLabels, labels)
          : isGateway && targetsGateway(t));
      if (specific) out.push(specific);
    }
    return out;
  };

  const scopes: TelemetryScope[] = [];
  const index = new Map<string, number>();
  const scopeOf = (list: TelemetryResource[]): number => {
    const k = list.map(key).join("|");
    let i = index.get(k);
    if (i === undefined) {
      i = scopes.push(buildScope(list)) - 1;
      index.set(k, i);
    }
    return i;
  };
  const gateway = buildScope(applicable(mesh.gatewayNamespace, mesh.gatewayLabels, true));
  const workloadScopes = workloads.map((w) => scopeOf(applicable(w.namespace, w.labels, false)));
  const namespaces: Record<string, number> = { "": scopeOf(applicable(ROOT_NAMESPACE, undefined, false)) };
  for (const ns of byNamespace.keys()) namespaces[ns] = scopeOf(applicable(ns, undefined, false));
  return { gateway, scopes, workloads: workloadScopes, namespaces };
}

const key = (t: TelemetryResource) => `${t.metadata.namespace}/${t.metadata.name}`;
const hasSelector = (t: TelemetryResource) =>
  (t.spec.selector?.matchLabels && Object.keys(t.spec.selector.matchLabels).length > 0) || t.spec.targetRef !== undefined || (t.spec.targetRefs?.length ?? 0) > 0;
const targetsGateway = (t: TelemetryResource) =>
  [t.spec.targetRef, ...(t.spec.targetRefs ?? [])].some((r) => r?.kind === "Gateway");

function buildScope(list: TelemetryResource[]): TelemetryScope {
  const scope: TelemetryScope = {
    from: list.map(key),
    metrics: list.flatMap((t) => t.spec.metrics ?? []),
    accessLogging: list.filter((t) => (t.spec.accessLogging?.length ?? 0) > 0).map((t) => ({ from: key(t), entries: t.spec.accessLogging! })),
  };
  const tracing = list.flatMap((t) => t.spec.tracing ?? []);
  if (tracing.length) scope.tracing = mergeTracing(tracing);
  return scope;
}

const defaultTracing = (): TracingSettings => ({
  provider: null,
  disabled: false,
  randomSamplingPercentage: null,
  customTags: {},
  useRequestIdForTraceSampling: true,
  enableIstioTags: true,
  disableContextPropagation: false,
});

/** Istio's `Telemetries.Tracing`: entries in precedence order, each overriding the fields it sets, per mode. */
export function mergeTracing(entries: readonly Tracing[]): { client: TracingSettings; server: TracingSettings } {
  const client = defaultTracing();
  const server = defaultTracing();
  for (const t of entries) {
    const mode = t.match?.mode ?? "CLIENT_AND_SERVER";
    const specs = mode === "CLIENT" ? [client] : mode === "SERVER" ? [server] : [client, server];
    for (const s of specs) {
      if (t.providers?.length) s.provider = t.providers[0]!.name;
      if (t.disableSpanReporting != null) s.disabled = t.disableSpanReporting;
      if (t.customTags) s.customTags = { ...t.customTags };
      if (t.randomSamplingPercentage != null) s.randomSamplingPercentage = t.randomSamplingPercentage;
      if (t.useRequestIdForTraceSampling != null) s.useRequestIdForTraceSampling = t.useRequestIdForTraceSampling;
      if (t.enableIstioTags != null) s.enableIstioTags = t.enableIstioTags;
      if (t.disableContextPropagation != null) s.disableContextPropagation = t.disableContextPropagation;
    }
  }
  return { client, server };
}
