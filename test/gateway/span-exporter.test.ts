/**
 * The isolate's span exporter on its own: both OTLP encodings decode with the OpenTelemetry proto
 * definitions (the receiver in test/global-setup.ts), batches are bounded, and failures are counted,
 * never thrown.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OtelTracingProvider } from "../../src/config/tracing-settings.js";
import { tracingFromMeshConfig, withTelemetryTracing } from "../../src/config/tracing-settings.js";
import { SpanExporter } from "../../src/gateway/tracing/span-exporter.js";
import { encodeOtlpJson } from "../../src/policy/tracing/otlp-json.js";
import { encodeOtlpProtobuf } from "../../src/policy/tracing/otlp-protobuf.js";
import type { FinishedSpan } from "../../src/policy/tracing/span.js";
import { decodedSpans, decodeExport, otelCollector, spansOf } from "../helpers/otlp.js";

const provider = (encoding: "json" | "protobuf", binding = "TEST_OTEL"): OtelTracingProvider => ({
  name: "otel", service: { kind: "binding", binding }, path: "/v1/traces", encoding, headers: { "x-tenant": "t1" }, timeoutMs: 1000,
});

function span(traceId: string, i: number): FinishedSpan {
  return {
    traceId, spanId: (i + 1).toString(16).padStart(16, "0"), parentSpanId: i ? "0000000000000001" : undefined, tracestate: "v=1",
    name: `span ${i} ✓`, kind: i ? "client" : "server", startMs: 1_765_000_000_123, endMs: 1_765_000_000_456,
    attributes: { "http.status_code": "503", attempt: i, ratio: 0.5, mirror: false }, error: i === 1,
  };
}

async function exportAndDecode(encoding: "json" | "protobuf", traceId: string) {
  await otelCollector().fetch("http://otel/__reset");
  const pending: Promise<unknown>[] = [];
  const exporter = new SpanExporter({ delayMs: 0 });
  exporter.add([span(traceId, 0), span(traceId, 1)], { provider: provider(encoding), resource: { serviceName: "istio-ingressgateway.istio-system" }, env, waitUntil: (p) => pending.push(p) });
  await Promise.all(pending);
  expect(exporter.stats).toMatchObject({ exported: 2, dropped: 0 });
  return spansOf(await decodedSpans(), traceId);
}

describe("span exporter", () => {
  it.each(["json", "protobuf"] as const)("OTLP/HTTP %s decodes to the spans it was given", async (encoding) => {
    const traceId = encoding === "json" ? "0af7651916cd43dd8448eb211c80319c" : "1af7651916cd43dd8448eb211c80319c";
    const [server, client] = await exportAndDecode(encoding, traceId);
    expect(server).toMatchObject({
      traceId, spanId: "0000000000000001", name: "span 0 ✓", kind: 2, traceState: "v=1",
      startTimeUnixNano: "1765000000123000000", endTimeUnixNano: "1765000000456000000",
      attributes: { "http.status_code": "503", attempt: 0, ratio: 0.5, mirror: false },
      resource: { "service.name": "istio-ingressgateway.istio-system" },
    });
    expect(client).toMatchObject({ parentSpanId: "0000000000000001", kind: 3, status: { code: 2 } });
  });

  it("property: any batch encodes to protobuf that decodes exactly as its OTLP JSON does", async () => {
    const hex = (n: number) => fc.array(fc.constantFrom(..."0123456789abcdef"), { minLength: n, maxLength: n }).map((a) => a.join(""));
    const value = fc.oneof(fc.string({ maxLength: 200 }), fc.boolean(), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }).filter((d) => !Number.isInteger(d)));
    const spanArb: fc.Arbitrary<FinishedSpan> = fc.record({
      traceId: hex(32), spanId: hex(16), parentSpanId: fc.option(hex(16), { nil: undefined }), tracestate: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
      name: fc.string({ maxLength: 160 }), kind: fc.constantFrom("server" as const, "client" as const),
      startMs: fc.integer({ min: 0, max: 4_102_444_800_000 }), endMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      attributes: fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }), value, { maxKeys: 12 }), error: fc.option(fc.constant(true), { nil: undefined }),
    });
    await fc.assert(fc.asyncProperty(fc.array(spanArb, { maxLength: 12 }), async (spans) => {
      const resource = { serviceName: "istio-ingressgateway.istio-system", attributes: { "k8s.namespace.name": "istio-system" } };
      const fromProtobuf = await decodeExport("application/x-protobuf", encodeOtlpProtobuf(resource, spans));
      const fromJson = await decodeExport("application/json", encodeOtlpJson(resource, spans));
      expect(fromProtobuf).toEqual(fromJson);
    }), { numRuns: 40 });
  });

  it("counts an export to a missing binding as dropped, and never throws", async () => {
    const pending: Promise<unknown>[] = [];
    const exporter = new SpanExporter({ delayMs: 0 });
    exporter.add([span("2af7651916cd43dd8448eb211c80319c", 0)], { provider: provider("json", "NO_SUCH_BINDING"), resource: { serviceName: "gw" }, env, waitUntil: (p) => pending.push(p) });
    await Promise.all(pending);
    expect(exporter.stats).toMatchObject({ exported: 0, dropped: 1, failedExports: 1 });
    expect(exporter.stats.lastError).toContain("NO_SUCH_BINDING");
  });

  it("holds at most maxQueued spans and exports in batches of maxBatch", async () => {
    await otelCollector().fetch("http://otel/__reset");
    const pending: Promise<unknown>[] = [];
    const exporter = new SpanExporter({ delayMs: 50, maxBatch: 4, maxQueued: 6 });
    const t = "3af7651916cd43dd8448eb211c80319c";
    const target = { provider: provider("protobuf"), resource: { serviceName: "gw" }, env, waitUntil: (p: Promise<unknown>) => pending.push(p) };
    exporter.add([0, 1, 2].map((i) => span(t, i)), target);
    exporter.add([3, 4, 5, 6, 7].map((i) => span(t, i)), target);
    await Promise.all(pending);
    await Promise.all(pending);
    expect(exporter.stats.dropped).toBe(2);
    expect(exporter.stats.exported).toBe(6);
    const received = (await (await otelCollector().fetch("http://otel/__received")).json()) as unknown[];
    expect(received.length).toBe(2);
  });
});

describe("tracing settings (MeshConfig)", () => {
  const mesh = JSON.stringify({
    extensionProviders: [
      { name: "otel-json", opentelemetry: { service: "opentelemetry-collector.observability.svc.cluster.local", port: 4318 } },
      { name: "otel-http", opentelemetry: { service: "binding:OTEL", http: { path: "otlp/v1/traces", timeout: "2s", headers: [{ name: "X-Key", value: "k" }] } } },
    ],
    defaultProviders: { tracing: ["otel-http"] },
    defaultConfig: { tracing: { sampling: 12.5 } },
  });

  it("reads providers, default providers and sampling", () => {
    const s = tracingFromMeshConfig(mesh);
    expect(s.randomSamplingPercentage).toBe(12.5);
    expect(s.provider).toEqual({ name: "otel-http", service: { kind: "binding", binding: "OTEL" }, path: "/otlp/v1/traces", encoding: "protobuf", headers: { "x-key": "k" }, timeoutMs: 2000 });
  });

  it("Istio's [ns/]host with port, no http: OTLP/HTTP JSON to /v1/traces", () => {
    const s = withTelemetryTracing(mesh, { providers: ["otel-json"], randomSamplingPercentage: 100 });
    expect(s.provider).toMatchObject({ encoding: "json", path: "/v1/traces", service: { kind: "url", url: "http://opentelemetry-collector.observability.svc.cluster.local:4318" } });
    expect(s.randomSamplingPercentage).toBe(100);
  });

  it("no default provider: no spans; Istio's 1% default sampling; bad values named", () => {
    expect(tracingFromMeshConfig(undefined)).toMatchObject({ provider: undefined, randomSamplingPercentage: 1 });
    const bad = tracingFromMeshConfig(JSON.stringify({ defaultConfig: { tracing: { sampling: 150 } }, extensionProviders: [{ name: "o", opentelemetry: { service: "binding:bad name" } }] }));
    expect(bad.errors.join("\n")).toMatch(/defaultConfig\.tracing\.sampling/);
    expect(bad.errors.join("\n")).toMatch(/extensionProviders\[0\]\.opentelemetry\.service/);
    expect(withTelemetryTracing(mesh, { disableSpanReporting: true }).provider).toBeUndefined();
  });
});
