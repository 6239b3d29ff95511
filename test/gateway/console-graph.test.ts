/**
 * The console's pure parts as tables: Prometheus text read back into samples, the service graph built
 * from Istio's labels (versioned apps, one reporter, buckets), and Telemetry custom tags for spans.
 */
import { describe, expect, it } from "vitest";
import { buildMeshGraph } from "../../src/gateway/console/mesh-graph.js";
import { parsePrometheusText } from "../../src/gateway/console/prometheus-text.js";
import { proxyStatus, withThisIsolate } from "../../src/gateway/console/proxy-status.js";
import { customTagValues } from "../../src/gateway/tracing/request-trace.js";

const TEXT = `# HELP istio_requests_total Requests.
# TYPE istio_requests_total counter
istio_requests_total{reporter="source",source_app="istio-ingressgateway",source_workload="istio-ingressgateway",destination_service="productpage.default.svc.cluster.local",destination_app="productpage",destination_version="v1",destination_workload_namespace="default",response_code="200",response_flags="-",route_name="productpage"} 8
istio_requests_total{reporter="destination",source_app="istio-ingressgateway",destination_service="productpage.default.svc.cluster.local",destination_app="productpage",destination_version="v1",response_code="200",response_flags="-"} 8
istio_requests_total{reporter="source",source_app="productpage",source_version="v1",source_workload_namespace="default",destination_service="reviews.default.svc.cluster.local",destination_app="reviews",destination_version="v2",destination_workload_namespace="default",response_code="503",response_flags="UF,URX",route_name="default"} 1
istio_requests_total{reporter="source",source_app="productpage",source_version="v1",source_workload_namespace="default",destination_service="reviews.default.svc.cluster.local",destination_app="reviews",destination_version="v2",destination_workload_namespace="default",response_code="200",response_flags="-",route_name="default"} 3
istio_requests_total{reporter="source",source_app="istio-ingressgateway",destination_service="httpbin.org",destination_app="unknown",response_code="200",response_flags="-",route_name="a \\"quoted\\" route"} 2
# TYPE istio_request_duration_milliseconds histogram
istio_request_duration_milliseconds_bucket{reporter="source",source_app="istio-ingressgateway",destination_service="productpage.default.svc.cluster.local",destination_app="productpage",destination_version="v1",destination_workload_namespace="default",le="10"} 5
istio_request_duration_milliseconds_bucket{reporter="source",source_app="istio-ingressgateway",destination_service="productpage.default.svc.cluster.local",destination_app="productpage",destination_version="v1",destination_workload_namespace="default",le="+Inf"} 8
`;

describe("parsePrometheusText", () => {
  it("reads names, escaped label values and values; skips comments", () => {
    const samples = parsePrometheusText(TEXT);
    expect(samples).toHaveLength(7);
    expect(samples[4]!.labels.route_name).toBe('a "quoted" route');
    expect(samples[6]).toMatchObject({ name: "istio_request_duration_milliseconds_bucket", value: 8 });
    expect(samples[6]!.labels.le).toBe("+Inf");
  });
});

describe("buildMeshGraph", () => {
  const g = buildMeshGraph(parsePrometheusText(TEXT), { "productpage.default.svc.cluster.local": "member", "reviews.default.svc.cluster.local": "member", "httpbin.org": "origin" });
  const edge = (from: string, to: string) => g.edges.find((e) => e.source.includes(from) && e.target.includes(to))!;

  it("one node per versioned app, the gateway by its app, origins by host", () => {
    const labels = g.nodes.map((n) => `${n.kind}:${n.label}`).sort();
    expect(labels).toEqual(["gateway:istio-ingressgateway", "member:productpage v1", "member:reviews v2", "origin:httpbin.org"]);
  });

  it("counts the source reporter only, with buckets, routes, flags and codes", () => {
    const e = edge("istio-ingressgateway", "productpage");
    expect(e.requests).toBe(8);
    expect(e.le).toEqual([10, Infinity]);
    expect(e.buckets).toEqual([5, 8]);
    expect(e.routes).toEqual(["productpage"]);
    const r = edge("productpage", "reviews");
    expect(r).toMatchObject({ requests: 4, errors: 1, flags: { "UF,URX": 1 }, codes: { "503": 1, "200": 3 } });
  });

  it("lays out left to right with a point list and a label place per edge", () => {
    const gw = g.nodes.find((n) => n.kind === "gateway")!;
    const reviews = g.nodes.find((n) => n.label === "reviews v2")!;
    expect(reviews.x).toBeGreaterThan(gw.x);
    for (const e of g.edges) {
      expect(e.points.length).toBeGreaterThan(1);
      expect(Number.isFinite(e.label.x)).toBe(true);
    }
  });

  it("falls back to listener and service on series without Istio's peer labels", () => {
    const old = buildMeshGraph(parsePrometheusText(`istio_requests_total{reporter="source",listener="mesh",destination_service="reviews.default.svc.cluster.local",response_code="200",response_flags="-"} 3`), { "reviews.default.svc.cluster.local": "member" });
    expect(old.edges.map((e) => [e.source, e.target])).toEqual([["mesh-members", "s:reviews.default.svc.cluster.local"]]);
  });
});

describe("proxy status", () => {
  it("marks isolates behind the store's version STALE and adds the answering isolate", () => {
    const reports = withThisIsolate([{ proxy: "a", location: "AMS", version: 3, lastSeenMs: 1 }, { proxy: "me", location: "x", version: 1, lastSeenMs: 1 }], { proxy: "me", version: 4, request: new Request("http://x/") });
    expect(proxyStatus(4, reports).proxies.map((p) => [p.proxy, p.location, p.status])).toEqual([["a", "AMS", "STALE"], ["me", "local", "SYNCED"]]);
  });
});

describe("Telemetry customTags on spans", () => {
  it("literal, header with default, environment (a Worker var) with default", () => {
    const tags = customTagValues({
      team: { literal: { value: "books" } },
      user: { header: { name: "x-user", defaultValue: "anon" } },
      region: { environment: { name: "REGION", defaultValue: "eu" } },
      missing: { header: { name: "x-none" } },
    }, new Headers({}), { REGION: "us" } as unknown as Env);
    expect(tags).toEqual({ team: "books", user: "anon", region: "us" });
  });
});
