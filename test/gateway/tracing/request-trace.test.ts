/**
 * Stage 1's trace decision without the gateway around it: a tracer exists only when a tracing provider
 * is configured (MeshConfig default providers or a Telemetry), as in Envoy, where the provider decides
 * the format the proxy emits. Without one nothing is generated and a caller's headers pass unchanged
 * (the request's own headers are forwarded as they came); with one, the caller's decision is kept.
 */
import { describe, expect, it } from "vitest";
import { tracingFromMeshConfig } from "../../../src/config/tracing-settings.js";
import { startClientSpan, startRequestTrace } from "../../../src/gateway/tracing/request-trace.js";

const withProvider = (sampling: number) => tracingFromMeshConfig(JSON.stringify({
  extensionProviders: [{ name: "otel", opentelemetry: { service: "binding:OTEL", http: { path: "/v1/traces" } } }],
  defaultProviders: { tracing: ["otel"] },
  defaultConfig: { tracing: { sampling } },
}));
const CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("startRequestTrace", () => {
  it("starts no trace without a tracing provider, whatever the caller sent", () => {
    expect(startRequestTrace(new Headers(), tracingFromMeshConfig(undefined), () => 0)).toBeUndefined();
    expect(startRequestTrace(new Headers({ traceparent: CALLER }), tracingFromMeshConfig(undefined), () => 0)).toBeUndefined();
    expect(startClientSpan(undefined, "router x egress")).toBeUndefined();
  });

  it("continues the caller's trace and decision with a provider; an unsampled span propagates but records nothing", () => {
    const continued = startRequestTrace(new Headers({ traceparent: CALLER }), withProvider(0), () => 0.5)!;
    expect(continued).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", parentSpanId: "00f067aa0ba902b7", sampled: true });
    const fresh = startRequestTrace(new Headers(), withProvider(0), () => 0)!;
    expect(fresh.sampled).toBe(false);
    const span = startClientSpan(fresh, "router x egress")!;
    expect(span.recording).toBe(false);
    const headers = new Headers();
    span.propagate(headers);
    expect(headers.get("traceparent")).toBe(`00-${fresh.traceId}-${fresh.spanId}-00`);
    span.end({ upstream_cluster: "x" });
    expect(fresh.children).toEqual([]);
  });
});
