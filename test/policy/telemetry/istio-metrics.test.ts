/** The metric model in-process: deltas, merging and the text format (promtool's rules, test/helpers/prometheus-text.ts). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALL_METRICS_MASK, METRIC_BIT, MetricDeltas, mergeSeries, parseLabels, renderLabels, renderSeries, toSeries } from "../../../src/policy/telemetry/istio-metrics.js";
import { checkPrometheusText } from "../../helpers/prometheus-text.js";

describe("istio metrics", () => {
  it("renders valid text for awkward label values, and for no series at all", () => {
    const acc = new MetricDeltas();
    const labels = renderLabels([["reporter", "source"], ["destination_service", 'a"b\\c\nd'], ["response_code", "200"]]);
    acc.record(labels, ALL_METRICS_MASK, 0.2, 0, 12);
    acc.record(labels, ALL_METRICS_MASK, 7000, 5, 20_000_000);
    acc.record(renderLabels([["reporter", "destination"]]), METRIC_BIT.REQUEST_COUNT | METRIC_BIT.REQUEST_DURATION, 3, 1, 1);
    const text = renderSeries(toSeries(acc.drain()));
    const { problems, samples } = checkPrometheusText(text);
    expect(problems).toEqual([]);
    expect(samples.find((s) => s.name === "istio_requests_total" && s.labels.reporter === "source")).toMatchObject({ value: 2, labels: { destination_service: 'a"b\\c\nd' } });
    const buckets = samples.filter((s) => s.name === "istio_request_duration_milliseconds_bucket" && s.labels.reporter === "source");
    expect(buckets.find((b) => b.labels.le === "0.5")!.value).toBe(1);
    expect(buckets.find((b) => b.labels.le === "5000")!.value).toBe(1);
    expect(buckets.find((b) => b.labels.le === "10000")!.value).toBe(2);
    expect(samples.find((s) => s.name === "istio_response_bytes_bucket" && s.labels.le === "10000000")!.value).toBe(1);
    // The destination series has only the metrics of its mask.
    expect(samples.some((s) => s.name === "istio_request_bytes_count" && s.labels.reporter === "destination")).toBe(false);
    expect(checkPrometheusText(renderSeries([])).problems).toEqual([]);
    expect(parseLabels(labels)).toEqual({ reporter: "source", destination_service: 'a"b\\c\nd', response_code: "200" });
  });

  it("merges shards and restores a failed flush without losing counts", () => {
    const acc = new MetricDeltas();
    acc.record('a="1"', ALL_METRICS_MASK, 1, 1, 1);
    const failed = acc.drain();
    acc.record('a="1"', ALL_METRICS_MASK, 1, 1, 1);
    acc.restore(failed);
    const series = toSeries(acc.drain());
    expect(series.find((s) => s.name === "istio_requests_total")!.value).toBe(2);
    const merged = mergeSeries(series, series);
    expect(merged.find((s) => s.name === "istio_requests_total")!.value).toBe(4);
    expect(merged.find((s) => s.name === "istio_request_duration_milliseconds")).toMatchObject({ count: 4, sum: 4 });
  });

  it("the checker catches what promtool refuses", () => {
    expect(checkPrometheusText("# HELP x_total h\n# TYPE x_total counter\nx_total{a=\"1\"} 1\nx_total{a=\"1\"} 2\n").problems.join()).toMatch(/duplicate series/);
    expect(checkPrometheusText("# HELP x h\n# TYPE x counter\nx 1\n").problems.join()).toMatch(/_total/);
    expect(checkPrometheusText("# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n").problems.join()).toMatch(/cumulative/);
  });

  it("renders promtool-valid text for any label values and observations", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ value: fc.string({ maxLength: 20 }), code: fc.integer({ min: 100, max: 599 }), ms: fc.double({ min: 0, max: 4e6, noNaN: true }), bytes: fc.nat() }), { maxLength: 20 }),
        (rows) => {
          const acc = new MetricDeltas();
          for (const r of rows) acc.record(renderLabels([["destination_service", r.value], ["response_code", String(r.code)]]), ALL_METRICS_MASK, r.ms, r.bytes, r.bytes);
          const series = toSeries(acc.drain());
          const { problems, samples } = checkPrometheusText(renderSeries(mergeSeries(series, series)));
          expect(problems).toEqual([]);
          expect(samples.filter((s) => s.name === "istio_requests_total").reduce((n, s) => n + s.value, 0)).toBe(rows.length * 2);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("numeric series keys (the hot path)", () => {
  it("distinct standard label sets get distinct keys; parts that do not fit get none", () => {
    const part = fc.tuple(fc.constantFrom(0 as const, 1 as const), fc.nat(16383), fc.nat(16383), fc.integer({ min: 0, max: 1023 }), fc.constantFrom("-", "UF", "UF,URX", "NR", "RL", "DI,FI"), fc.constantFrom(0 as const, 1 as const, 2 as const), fc.boolean());
    fc.assert(fc.property(part, part, (a, b) => {
      const acc = new MetricDeltas();
      const ka = acc.standardKey(...a);
      const kb = acc.standardKey(...b);
      expect(Number.isSafeInteger(ka)).toBe(true);
      expect(ka === kb).toBe(JSON.stringify(a) === JSON.stringify(b));
    }), { numRuns: 2000 });
    const acc = new MetricDeltas();
    expect(acc.standardKey(0, 1 << 14, 0, 200, "-", 0, false)).toBeUndefined();
    expect(acc.standardKey(0, 0, 0, 1024, "-", 0, false)).toBeUndefined();
  });

  it("counts under a key without rendering labels again; a new key renders them once", () => {
    const acc = new MetricDeltas();
    const key = acc.standardKey(0, 3, 4, 200, "-", 1, false)!;
    expect(acc.count(key, 1, 0, 10)).toBe(false);
    acc.countNew(key, 'reporter="source"', ALL_METRICS_MASK, 1, 0, 10);
    expect(acc.count(key, 2, 0, 10)).toBe(true);
    const series = toSeries(acc.drain());
    expect(series.find((s) => s.name === "istio_requests_total")).toMatchObject({ labels: 'reporter="source"', value: 2 });
  });
});
