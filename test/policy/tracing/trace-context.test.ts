/** Reading and writing trace context (W3C, B3 single, B3 multi) and the random sampler, as tables. */
import { describe, expect, it } from "vitest";
import { randomHexId, randomTraceAndSpanIds, readTraceContext, sampleRandomly, writeTraceHeaders } from "../../../src/policy/tracing/trace-context.js";

const T = "4bf92f3577b34da6a3ce929d0e0e4736";
const S = "00f067aa0ba902b7";

describe("readTraceContext", () => {
  it.each([
    ["W3C sampled", { traceparent: `00-${T}-${S}-01` }, { traceId: T, parentSpanId: S, sampled: true, format: "w3c" }],
    ["W3C not sampled, tracestate kept", { traceparent: `00-${T}-${S}-00`, tracestate: "congo=t61rcWkgMzE" }, { traceId: T, sampled: false, tracestate: "congo=t61rcWkgMzE" }],
    ["W3C upper case is read", { traceparent: `00-${T.toUpperCase()}-${S}-01` }, { traceId: T }],
    ["W3C future version with extra fields", { traceparent: `01-${T}-${S}-01-extra` }, { traceId: T, sampled: true }],
    ["B3 single with sampling and parent", { b3: `${T}-${S}-1-05e3ac9a4f6e3b90` }, { traceId: T, parentSpanId: S, sampled: true, b3: "single", format: "b3" }],
    ["B3 single, 64-bit trace id padded", { b3: `a3ce929d0e0e4736-${S}-0` }, { traceId: `0000000000000000a3ce929d0e0e4736`, sampled: false }],
    ["B3 single debug", { b3: `${T}-${S}-d` }, { sampled: true }],
    ["B3 single without decision", { b3: `${T}-${S}` }, { traceId: T, sampled: undefined }],
    ["B3 multi", { "x-b3-traceid": T, "x-b3-spanid": S, "x-b3-sampled": "1" }, { traceId: T, parentSpanId: S, sampled: true, b3: "multi", format: "b3-multi" }],
    ["B3 multi debug flag", { "x-b3-traceid": T, "x-b3-spanid": S, "x-b3-flags": "1" }, { sampled: true }],
    ["B3 multi, sampled=false spelled out", { "x-b3-traceid": T, "x-b3-spanid": S, "x-b3-sampled": "false" }, { sampled: false }],
    ["W3C wins over B3", { traceparent: `00-${T}-${S}-00`, "x-b3-traceid": "1".repeat(32), "x-b3-spanid": S, "x-b3-sampled": "1" }, { traceId: T, sampled: false }],
  ])("%s", (_, headers, expected) => {
    expect(readTraceContext(new Headers(headers))).toMatchObject(expected);
  });

  it.each([
    ["b3: 0 alone", { b3: "0" }, { sampled: false, b3: "single" }],
    ["x-b3-sampled: 1 alone", { "x-b3-sampled": "1" }, { sampled: true, b3: "multi" }],
  ])("a bare decision without ids: %s", (_, headers, expected) => {
    const got = readTraceContext(new Headers(headers));
    expect(got).toEqual(expected);
  });

  it.each([
    ["version ff", { traceparent: `ff-${T}-${S}-01` }],
    ["all-zero trace id", { traceparent: `00-${"0".repeat(32)}-${S}-01` }],
    ["all-zero span id", { traceparent: `00-${T}-${"0".repeat(16)}-01` }],
    ["version 00 with extra field", { traceparent: `00-${T}-${S}-01-x` }],
    ["short span", { traceparent: `00-${T}-abc-01` }],
    ["b3 garbage", { b3: "not-a-trace" }],
    ["b3 multi without span id", { "x-b3-traceid": T }],
    ["nothing", {}],
  ])("ignores %s", (_, headers) => {
    expect(readTraceContext(new Headers(headers))).toBeUndefined();
  });
});

describe("writeTraceHeaders", () => {
  it("writes traceparent (and tracestate) only when the caller did not speak B3; other trace headers pass as they came", () => {
    const h = new Headers({ tracestate: "a=b", "x-b3-traceid": "theirs" });
    writeTraceHeaders(h, { traceId: T, spanId: S, parentSpanId: "1111111111111111", sampled: true, tracestate: "vendor=1" });
    expect(h.get("traceparent")).toBe(`00-${T}-${S}-01`);
    expect(h.get("tracestate")).toBe("vendor=1");
    expect(h.get("x-b3-traceid")).toBe("theirs");
    expect(h.has("x-b3-spanid")).toBe(false);
    expect(h.has("b3")).toBe(false);
  });

  it("answers a B3 multi-header caller in kind", () => {
    const h = new Headers({ "x-b3-flags": "1", "x-b3-parentspanid": "stale" });
    writeTraceHeaders(h, { traceId: T, spanId: S, sampled: true, b3: "multi" });
    expect(h.get("traceparent")).toBe(`00-${T}-${S}-01`);
    expect(h.get("x-b3-traceid")).toBe(T);
    expect(h.get("x-b3-spanid")).toBe(S);
    expect(h.has("x-b3-parentspanid")).toBe(false);
    expect(h.get("x-b3-sampled")).toBe("1");
    expect(h.has("x-b3-flags")).toBe(false);
  });

  it("answers a B3 single-header caller in kind", () => {
    const h = new Headers();
    writeTraceHeaders(h, { traceId: T, spanId: S, parentSpanId: "1111111111111111", sampled: false, b3: "single" });
    expect(h.get("b3")).toBe(`${T}-${S}-0-1111111111111111`);
    expect(h.get("traceparent")).toBe(`00-${T}-${S}-00`);
    expect(h.has("x-b3-traceid")).toBe(false);
  });
});

describe("sampleRandomly (randomSamplingPercentage)", () => {
  it.each([
    [0, 0.0, false],
    [100, 0.9999, true],
    [1, 0.0099, true],
    [1, 0.01, false],
    [50, 0.49, true],
    [50, 0.5, false],
    [0.01, 0.00009, true],
  ])("%d%% with random %d → %s", (pct, r, expected) => {
    expect(sampleRandomly(pct, () => r)).toBe(expected);
  });

  it("samples about the percentage asked", () => {
    let n = 0;
    for (let i = 0; i < 20_000; i++) if (sampleRandomly(10, Math.random)) n++;
    expect(n / 20_000).toBeGreaterThan(0.08);
    expect(n / 20_000).toBeLessThan(0.12);
  });
});

describe("randomHexId", () => {
  it("makes lowercase hex ids of the asked length", () => {
    expect(randomHexId(8)).toMatch(/^[0-9a-f]{16}$/);
    expect(randomHexId(16)).toMatch(/^[0-9a-f]{32}$/);
    expect(randomHexId(16)).not.toBe(randomHexId(16));
    const a = randomTraceAndSpanIds();
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(randomTraceAndSpanIds().traceId).not.toBe(a.traceId);
  });
});
