/**
 * Istio's standard metrics, mesh-wide: Bookinfo traffic through the gateway in workerd, then
 * `GET /_mesh/metrics` reads the aggregate of the metrics Durable Object shards (real DOs). Checks
 * Istio's names, full label set and values (`reporter="source"` at the gateway, `reporter="destination"`
 * for what members receive, `unknown` where Istio writes it), the text format (promtool's rules), and
 * that counters never go backwards as isolates come and go.
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { STANDARD_LABELS } from "../../src/policy/telemetry/istio-metrics.js";
import type { MetricsAggregatorApi } from "../../src/policy/telemetry/metrics-api.js";
import { isolate } from "../../src/gateway/runtime/isolate.js";
import { serve } from "../../src/gateway/index.js";
import { admin, applyYaml, BOOKINFO_YAML, TASKS } from "../helpers/admin.js";
import { checkPrometheusText, type Sample } from "../helpers/prometheus-text.js";

async function scrape(): Promise<Sample[]> {
  const res = await admin("/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const { problems, samples } = checkPrometheusText(await res.text());
  expect(problems).toEqual([]);
  return samples;
}

const find = (samples: Sample[], name: string, want: Record<string, string>) =>
  samples.filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v));
const total = (samples: Sample[], name: string, want: Record<string, string>) => find(samples, name, want).reduce((n, s) => n + s.value, 0);

describe("Istio standard metrics, aggregated across isolates", () => {
  beforeAll(async () => {
    expect((await applyYaml(BOOKINFO_YAML)).status).toBe(200);
    expect((await applyYaml(TASKS.allV1)).status).toBe(200);
  });

  it("reports what the gateway sends (source) and what members receive (destination) with Istio's labels", async () => {
    for (let i = 0; i < 3; i++) expect((await exports.default.fetch("http://gw/productpage", { headers: { host: "bookinfo.local" } })).status).toBe(200);
    const samples = await scrape();
    const edge = find(samples, "istio_requests_total", { reporter: "source", destination_service_name: "productpage", source_workload: "istio-ingressgateway" });
    expect(edge.length).toBeGreaterThan(0);
    expect(Object.keys(edge[0]!.labels)).toEqual([...STANDARD_LABELS]);
    expect(edge[0]!.labels).toMatchObject({
      source_workload_namespace: "istio-system",
      source_principal: "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
      source_app: "istio-ingressgateway",
      source_version: "unknown",
      source_cluster: "Kubernetes",
      destination_workload: "bookinfo-productpage",
      destination_workload_namespace: "default",
      destination_principal: "spiffe://cluster.local/ns/default/sa/bookinfo-productpage",
      destination_app: "productpage",
      destination_version: "v1",
      destination_service: "productpage.default.svc.cluster.local",
      destination_canonical_service: "productpage",
      destination_canonical_revision: "v1",
      destination_service_namespace: "default",
      destination_cluster: "Kubernetes",
      request_protocol: "http",
      response_code: "200",
      grpc_response_status: "",
      response_flags: "-",
      connection_security_policy: "unknown",
    });
    expect(edge.reduce((n, s) => n + s.value, 0)).toBeGreaterThanOrEqual(3);
    // What productpage received, as its sidecar reports it.
    expect(total(samples, "istio_requests_total", { reporter: "destination", destination_service_name: "productpage", source_workload: "istio-ingressgateway", connection_security_policy: "mutual_tls" })).toBeGreaterThanOrEqual(3);
    // East-west: productpage calling reviews v1 through the mesh, both sides.
    const eastWest = { source_workload: "bookinfo-productpage", source_app: "productpage", source_version: "v1", destination_service_name: "reviews", destination_version: "v1" };
    expect(total(samples, "istio_requests_total", { reporter: "source", ...eastWest })).toBeGreaterThanOrEqual(3);
    expect(total(samples, "istio_requests_total", { reporter: "destination", ...eastWest })).toBeGreaterThanOrEqual(3);
    // Histograms with Istio's buckets.
    const durationBuckets = find(samples, "istio_request_duration_milliseconds_bucket", { reporter: "source", destination_service_name: "productpage", response_code: "200" }).map((s) => s.labels.le);
    expect(durationBuckets.slice(0, 4)).toEqual(["0.5", "1", "5", "10"]);
    expect(durationBuckets.at(-1)).toBe("+Inf");
    const sizeBuckets = new Set(find(samples, "istio_response_bytes_bucket", { destination_service_name: "productpage" }).map((s) => s.labels.le));
    expect([...sizeBuckets]).toEqual(["1", "10", "100", "1000", "10000", "100000", "1000000", "10000000", "+Inf"]);
    expect(find(samples, "istio_request_bytes_count", { destination_service_name: "productpage" }).length).toBeGreaterThan(0);
  });

  it("writes unknown where Istio does: no route at the gateway (NR), no destination report", async () => {
    await exports.default.fetch("http://gw/nothing", { headers: { host: "no-such-host.example" } });
    const samples = await scrape();
    const nr = find(samples, "istio_requests_total", { reporter: "source", response_code: "404", response_flags: "NR" });
    expect(nr.length).toBeGreaterThan(0);
    expect(nr[0]!.labels).toMatchObject({ destination_service: "unknown", destination_service_name: "unknown", destination_workload: "unknown", destination_principal: "unknown", destination_cluster: "unknown" });
    expect(find(samples, "istio_requests_total", { reporter: "destination", response_flags: "NR" })).toEqual([]);
  });

  it("writes one Analytics Engine data point per request when a dataset is bound (no await)", async () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const dataset = { writeDataPoint: (p: AnalyticsEngineDataPoint) => void points.push(p) } as AnalyticsEngineDataset;
    const waits: Promise<unknown>[] = [];
    const res = await serve(new Request("http://gw/productpage", { headers: { host: "bookinfo.local" } }), { ...env, METRICS_DATASET: dataset }, { waitUntil: (p) => void waits.push(p) }, { kind: "edge" });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    await Promise.all(waits);
    expect(points).toHaveLength(1);
    expect(points[0]!.indexes).toEqual(["productpage"]);
    expect(points[0]!.blobs).toEqual(["gateway", "istio-ingressgateway", "bookinfo-productpage", "default", "productpage.default.svc.cluster.local", "v1", "200", "-", expect.any(String), "outbound|9080||productpage.default.svc.cluster.local", "GET", "bookinfo.local"]);
    expect(points[0]!.doubles![0]).toBe(1);
    expect(points[0]!.doubles![4]).toBe(200);
  });

  it("never lets a counter go backwards as isolates come and go", async () => {
    const want = { reporter: "source", destination_service_name: "productpage", response_code: "200" };
    const before = total(await scrape(), "istio_requests_total", want);
    // Another isolate (elsewhere) flushes its deltas to a shard, then is gone.
    const labels = (await scrape()).find((s) => s.name === "istio_requests_total" && s.labels.destination_service_name === "productpage" && s.labels.reporter === "source")!.labels;
    const text = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",");
    const shard = env.METRICS.getByName("metrics-3") as unknown as MetricsAggregatorApi;
    await shard.add({ report: { isolate: "gone-isolate", version: 1, location: "AMS", lastFlush: Date.now() }, series: [{ name: "istio_requests_total", labels: text, value: 5 }] });
    // A negative delta is refused.
    await shard.add({ report: { isolate: "gone-isolate", version: 1, location: "AMS", lastFlush: Date.now() }, series: [{ name: "istio_requests_total", labels: text, value: -100 }] });
    await exports.default.fetch("http://gw/productpage", { headers: { host: "bookinfo.local" } });
    const after = total(await scrape(), "istio_requests_total", want);
    expect(after).toBeGreaterThanOrEqual(before + 6);
    const reports = await isolate.metrics.isolateReports(env);
    expect(reports.find((r) => r.isolate === "gone-isolate")).toMatchObject({ version: 1, location: "AMS" });
    const self = reports.find((r) => r.isolate !== "gone-isolate");
    expect(self).toMatchObject({ location: "local" });
    expect(self!.version).toBeGreaterThan(0);
  });
});
