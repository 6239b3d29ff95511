/**
 * Istio's merge rules for Telemetry, table-driven (pilot's mergeMetrics / mergeLogs): providers from the
 * most specific entry that names some, else MeshConfig defaultProviders; later scopes override earlier ones.
 */
import { describe, expect, it } from "vitest";
import type { TelemetryScope } from "../../../src/config/compile/telemetry.js";
import { parseMeshConfig } from "../../../src/config/mesh-config.js";
import type { Metrics } from "../../../src/config/schemas/telemetry.js";
import { mergeLogs, mergeMetrics } from "../../../src/policy/telemetry/telemetry-runtime.js";

const mesh = (extra: Record<string, unknown> = {}) =>
  parseMeshConfig(JSON.stringify({
    extensionProviders: [
      { name: "file-a", envoyFileAccessLog: { path: "/dev/stdout" } },
      { name: "file-b", envoyFileAccessLog: { path: "/dev/stdout", logFormat: { labels: { c: "%RESPONSE_CODE%" } } } },
      { name: "stackdriver", stackdriver: {} },
    ],
    ...extra,
  })).config.telemetry;

const scope = (...groups: { from: string; entries: TelemetryScope["accessLogging"][number]["entries"] }[]): TelemetryScope => ({ from: groups.map((g) => g.from), metrics: [], accessLogging: groups });

describe("mergeLogs", () => {
  const rows: { name: string; scope: TelemetryScope; extra?: Record<string, unknown>; mode?: "CLIENT" | "SERVER"; want: string[]; filters?: Record<string, string> }[] = [
    { name: "nothing configured: no logs", scope: scope(), want: [] },
    { name: "accessLogFile alone: the built-in envoy provider", scope: scope(), extra: { accessLogFile: "/dev/stdout" }, want: ["envoy"] },
    { name: "defaultProviders without Telemetry", scope: scope(), extra: { defaultProviders: { accessLogging: ["file-a"] } }, want: ["file-a"] },
    { name: "Telemetry without providers uses the defaults", scope: scope({ from: "root", entries: [{}] }), extra: { defaultProviders: { accessLogging: ["file-b"] } }, want: ["file-b"] },
    { name: "named providers replace the defaults", scope: scope({ from: "root", entries: [{ providers: [{ name: "file-a" }] }] }), extra: { defaultProviders: { accessLogging: ["file-b"] } }, want: ["file-a"] },
    { name: "a more specific scope disables", scope: scope({ from: "root", entries: [{ providers: [{ name: "file-a" }] }] }, { from: "ns", entries: [{ disabled: true }] }), want: [] },
    { name: "a more specific scope switches providers", scope: scope({ from: "root", entries: [{ providers: [{ name: "file-a" }] }] }, { from: "wl", entries: [{ providers: [{ name: "file-b" }] }] }), want: ["file-b"] },
    { name: "mode SERVER entries do not apply to CLIENT", scope: scope({ from: "root", entries: [{ match: { mode: "SERVER" }, providers: [{ name: "file-a" }] }] }), mode: "CLIENT", want: [] },
    { name: "mode SERVER entries apply to SERVER", scope: scope({ from: "root", entries: [{ match: { mode: "SERVER" }, providers: [{ name: "file-a" }] }] }), mode: "SERVER", want: ["file-a"] },
    { name: "filters follow their provider", scope: scope({ from: "root", entries: [{ providers: [{ name: "file-a" }], filter: { expression: "response.code >= 500" } }] }), want: ["file-a"], filters: { "file-a": "response.code >= 500" } },
    { name: "a provider that is not an access log is ignored", scope: scope({ from: "root", entries: [{ providers: [{ name: "stackdriver" }, { name: "file-a" }] }] }), want: ["file-a"] },
  ];
  it.each(rows)("$name", ({ scope: s, extra, mode, want, filters }) => {
    const plans = mergeLogs(s, mesh(extra), mode ?? "CLIENT");
    expect(plans.map((p) => p.provider.name)).toEqual(want);
    for (const [name, expr] of Object.entries(filters ?? {})) expect(plans.find((p) => p.provider.name === name)!.filter!.source).toBe(expr);
  });
});

describe("mergeMetrics", () => {
  const m = (x: Metrics) => x;
  it("reports by default ([prometheus] is the default provider), plainly", () => {
    expect(mergeMetrics([], mesh(), "CLIENT")).toMatchObject({ off: false, plain: true });
  });
  it("is off when defaultProviders.metrics names no prometheus provider", () => {
    expect(mergeMetrics([], mesh({ defaultProviders: { metrics: ["stackdriver"] } }), "CLIENT").off).toBe(true);
  });
  it("ALL_METRICS disabled at the root, re-enabled by a namespace override (Istio's order)", () => {
    const root = m({ overrides: [{ match: { metric: "ALL_METRICS" }, disabled: true }] });
    expect(mergeMetrics([root], mesh(), "SERVER").off).toBe(true);
    const ns = m({ overrides: [{ match: { metric: "REQUEST_COUNT" }, disabled: false }] });
    expect(mergeMetrics([root, ns], mesh(), "SERVER")).toMatchObject({ off: false, plain: true });
  });
  it("merges tag overrides per metric and mode, later entries winning", () => {
    const plan = mergeMetrics([
      m({ overrides: [{ match: { metric: "REQUEST_COUNT" }, tagOverrides: { a: { value: "'root'" }, b: { value: "'root'" } } }] }),
      m({ overrides: [{ match: { metric: "REQUEST_COUNT", mode: "CLIENT" }, tagOverrides: { a: { value: "'workload'" }, source_app: { operation: "REMOVE" } } }] }),
    ], mesh(), "CLIENT");
    const count = plan.metrics.find((x) => x.bit === 1)!;
    expect(count.tags.map((t) => [t.name, t.value?.source ?? "REMOVE"])).toEqual([["a", "'workload'"], ["b", "'root'"], ["source_app", "REMOVE"]]);
    expect(plan.metrics.find((x) => x.bit === 2)!.tags).toEqual([]);
  });
  it("metrics of a provider that is out of scope do not apply", () => {
    const plan = mergeMetrics([m({ providers: [{ name: "stackdriver" }], overrides: [{ match: { metric: "REQUEST_COUNT" }, disabled: true }] })], mesh(), "CLIENT");
    expect(plan.off).toBe(true); // the last providers list names no prometheus provider
  });
});
