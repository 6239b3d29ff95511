/**
 * Telemetry's runtime half for one snapshot, built at hydrate from the compiled scopes
 * (config/compile/telemetry.ts) and the MeshConfig (providers, defaultProviders): per scope and mode,
 * which metrics are on and their tag overrides (CEL compiled once), and which access-log providers
 * log, with their filters (CEL compiled once) and formats (parsed once). Merging follows Istio's
 * `mergeMetrics` / `mergeLogs`; Isthmus has one metrics sink (`/_mesh/metrics`), so the overrides of
 * every in-scope `prometheus` provider apply to it.
 */
import type { AccessLogging, Metrics } from "../../config/schemas/telemetry.js";
import { celString, compileCel, type CelProgram } from "../../config/cel.js";
import type { TelemetryScope, TelemetryTable } from "../../config/compile/telemetry.js";
import { defaultTextFormat, type AccessLogFormat, type MeshTelemetry, type FileAccessLogProvider, type OtelAlsProvider } from "../../config/mesh-telemetry.js";
import type { Snapshot } from "../../config/snapshot.js";
import { prepareFormat } from "./access-log.js";
import { METRIC_BIT, METRICS, renderLabels } from "./istio-metrics.js";
import { MetricLabeler, UNKNOWN } from "./metric-labels.js";

type Mode = "client" | "server";
const HTTP_METRICS = METRICS.map((m) => m.istio);
type HttpMetric = (typeof HTTP_METRICS)[number];

export interface CompiledTagOverride {
  name: string;
  /** Absent: REMOVE. */
  value?: CelProgram;
}

/** What one mode of one scope records. */
export interface MetricsPlan {
  /** No metrics at all (no prometheus provider in scope, or ALL_METRICS disabled). */
  off: boolean;
  /** All four metrics with the standard labels (the fast path). */
  plain: boolean;
  /** Otherwise, per metric: its bit and tag overrides (sorted by name); disabled metrics are absent. */
  metrics: { bit: number; tags: CompiledTagOverride[] }[];
}

export interface LogPlan {
  provider: FileAccessLogProvider | OtelAlsProvider;
  filter?: CelProgram;
}

export interface ScopeRuntime {
  /** The Telemetry resources in effect, least specific first (`namespace/name`). */
  from: string[];
  metrics: Record<Mode, MetricsPlan>;
  logs: Record<Mode, LogPlan[]>;
}

export interface TelemetryRuntime {
  readonly labels: MetricLabeler;
  readonly gateway: ScopeRuntime;
  /** The scope of `Snapshot.workloads[i]`. */
  workload(i: number): ScopeRuntime;
  /** An east-west caller's scope: its workload (by principal), else its namespace's, else the root's. */
  caller(principal: string | undefined, namespace: string | undefined): ScopeRuntime;
  /** Istio's default text format, the body of an `envoyOtelAls` record whose format has labels only. */
  readonly defaultText: AccessLogFormat;
}

const EMPTY_TABLE: TelemetryTable = { gateway: { from: [], metrics: [], accessLogging: [] }, scopes: [], workloads: [], namespaces: {} };

export function buildTelemetryRuntime(snapshot: Pick<Snapshot, "gateway" | "workloads"> & { telemetry?: TelemetryTable }, mesh?: MeshTelemetry): TelemetryRuntime {
  const table = snapshot.telemetry && "scopes" in snapshot.telemetry ? snapshot.telemetry : EMPTY_TABLE;
  const meshT = mesh ?? defaultMesh();
  const labels = new MetricLabeler(snapshot.gateway, snapshot.workloads);
  const gateway = buildScope(table.gateway, meshT);
  const scopes = table.scopes.map((s) => buildScope(s, meshT));
  const root = table.namespaces[""] !== undefined ? scopes[table.namespaces[""]]! : buildScope(EMPTY_TABLE.gateway, meshT);
  const byPrincipal = new Map<string, number>();
  snapshot.workloads.forEach((w, i) => {
    if (!byPrincipal.has(w.principal)) byPrincipal.set(w.principal, i);
  });
  const workload = (i: number) => scopes[table.workloads[i] ?? -1] ?? root;
  const defaultText = defaultTextFormat();
  prepareFormat(defaultText);
  return {
    labels,
    defaultText,
    gateway,
    workload,
    caller(principal, namespace) {
      const i = principal ? byPrincipal.get(principal) : undefined;
      if (i !== undefined) return workload(i);
      const ns = namespace !== undefined ? table.namespaces[namespace] : undefined;
      return ns !== undefined ? scopes[ns]! : root;
    },
  };
}

function defaultMesh(): MeshTelemetry {
  return { defaultProviders: { metrics: ["prometheus"], accessLogging: [], tracing: [] }, accessLogFile: "", accessLogEncoding: "TEXT", envoyFormat: { kind: "text", format: { parts: [] } }, enableTracing: true, providers: { prometheus: { kind: "prometheus", name: "prometheus" } } };
}

function buildScope(scope: TelemetryScope, mesh: MeshTelemetry): ScopeRuntime {
  return {
    from: scope.from,
    metrics: { client: mergeMetrics(scope.metrics, mesh, "CLIENT"), server: mergeMetrics(scope.metrics, mesh, "SERVER") },
    logs: { client: mergeLogs(scope, mesh, "CLIENT"), server: mergeLogs(scope, mesh, "SERVER") },
  };
}

const names = (p: { name: string }[] | undefined) => (p ?? []).map((x) => x.name);

/** Istio's mergeMetrics for one mode, over the providers that are `prometheus` here. */
export function mergeMetrics(entries: readonly Metrics[], mesh: MeshTelemetry, mode: "CLIENT" | "SERVER"): MetricsPlan {
  const isProm = (n: string) => mesh.providers[n]?.kind === "prometheus";
  let inScope = mesh.defaultProviders.metrics;
  for (const m of entries) if (m.providers?.length) inScope = names(m.providers);
  const scoped = new Set(inScope.filter(isProm));
  if (scoped.size === 0) return { off: true, plain: false, metrics: [] };
  const per = new Map<HttpMetric, { disabled?: boolean; tags: Map<string, { operation?: string; value?: string }> }>();
  let disabledAll = false;
  let parent = mesh.defaultProviders.metrics;
  for (const m of entries) {
    const provs = m.providers?.length ? names(m.providers) : parent;
    parent = provs;
    if (!provs.some((p) => scoped.has(p))) continue;
    for (const o of m.overrides ?? []) {
      const metric = o.match?.metric;
      if (metric === "ALL_METRICS" && o.disabled === true) {
        disabledAll = true;
        continue;
      }
      disabledAll = false;
      const oMode = o.match?.mode ?? "CLIENT_AND_SERVER";
      if (oMode !== "CLIENT_AND_SERVER" && oMode !== mode) continue;
      const targets: HttpMetric[] = o.match?.customMetric !== undefined ? [] : metric === undefined || metric === "ALL_METRICS" ? HTTP_METRICS : HTTP_METRICS.includes(metric as HttpMetric) ? [metric as HttpMetric] : [];
      for (const t of targets) {
        let cur = per.get(t);
        if (!cur) per.set(t, (cur = { tags: new Map() }));
        if (o.disabled != null) cur.disabled = o.disabled;
        for (const [k, v] of Object.entries(o.tagOverrides ?? {})) cur.tags.set(k, v);
      }
    }
  }
  if (disabledAll) return { off: true, plain: false, metrics: [] };
  const metrics: MetricsPlan["metrics"] = [];
  let plain = true;
  for (const def of METRICS) {
    const o = per.get(def.istio);
    if (o?.disabled) {
      plain = false;
      continue;
    }
    const tags = [...(o?.tags ?? new Map()).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, v]): CompiledTagOverride => (v.operation === "REMOVE" ? { name } : { name, value: compileCel(v.value ?? "") }));
    if (tags.length) plain = false;
    metrics.push({ bit: METRIC_BIT[def.istio], tags });
  }
  return { off: false, plain, metrics };
}

/** Istio's mergeLogs for one mode: provider → filter; the legacy `accessLogFile` switch when no Telemetry or default configures logging. */
export function mergeLogs(scope: TelemetryScope, mesh: MeshTelemetry, mode: "CLIENT" | "SERVER"): LogPlan[] {
  const defaults = mesh.defaultProviders.accessLogging;
  const out = new Map<string, string | undefined>();
  if (scope.accessLogging.length === 0) {
    if (defaults.length === 0) return mesh.accessLogFile ? plans(new Map([["envoy", undefined]]), mesh) : [];
    for (const d of defaults) out.set(d, undefined);
    return plans(out, mesh);
  }
  let providerNames = defaults;
  const filters = new Map<string, string | undefined>();
  for (const g of scope.accessLogging) {
    const here = new Set<string>();
    for (const e of g.entries)
      for (const p of names(e.providers)) {
        here.add(p);
        filters.set(p, e.filter?.expression);
      }
    if (here.size) providerNames = [...here];
  }
  const inScope = new Set(providerNames.length ? providerNames : ["envoy"]);
  let parent = defaults.length ? defaults : ["envoy"];
  for (const g of scope.accessLogging)
    for (const e of g.entries as AccessLogging[]) {
      let provs = names(e.providers);
      if (provs.length === 0) provs = parent;
      parent = provs;
      for (const p of provs) {
        if (!inScope.has(p)) continue;
        const m = e.match?.mode ?? "CLIENT_AND_SERVER";
        if (m !== "CLIENT_AND_SERVER" && m !== mode) continue;
        if (e.disabled === true) {
          out.delete(p);
          continue;
        }
        out.set(p, filters.get(p) ?? e.filter?.expression);
      }
    }
  return plans(out, mesh);
}

function plans(byProvider: Map<string, string | undefined>, mesh: MeshTelemetry): LogPlan[] {
  const out: LogPlan[] = [];
  for (const name of [...byProvider.keys()].sort()) {
    const provider = mesh.providers[name];
    if (provider?.kind !== "envoyFileAccessLog" && provider?.kind !== "envoyOtelAls") continue;
    prepareFormat(provider.format);
    const filter = byProvider.get(name);
    out.push({ provider, ...(filter ? { filter: compileCel(filter) } : {}) });
  }
  return out;
}

/**
 * The label string of one metric under a plan's tag overrides: the standard pairs with REMOVEs
 * dropped and UPSERTs evaluated (`unknown` when the expression fails, as Istio's stats plugin writes).
 */
export function overriddenLabels(pairs: readonly (readonly [string, string])[], tags: readonly CompiledTagOverride[], attributes: () => Record<string, unknown>): string {
  const out = pairs.map(([k, v]) => [k, v] as [string, string]);
  for (const t of tags) {
    const i = out.findIndex(([k]) => k === t.name);
    if (!t.value) {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    const v = celString(t.value.eval(attributes())) ?? UNKNOWN;
    if (i >= 0) out[i]![1] = v;
    else out.push([t.name, v]);
  }
  return renderLabels(out);
}

