/**
 * Mirroring: which mirrors fire (one shared draw per request, percentages per million), their
 * distribution over many requests, the shadow request copy, and the compiler's percentages.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Mirror } from "../../../src/config/snapshot.js";
import type { HTTPRoute } from "../../../src/config/schemas/virtual-service.js";
import { mirrorDecisions, mirrorRequest, unsampleTrace } from "../../../src/policy/mirror.js";
import { buildRouter } from "../../../src/router/index.js";
import { compile, httpGateway, req, vs } from "../../config/compile/fixtures.js";
import { JUST_BELOW_ONE, seeded } from "./random.js";

const mirror = (subset: string, percentage: number): Mirror => ({ host: "m", subset, port: 80, cluster: `outbound|80|${subset}|m`, percentage });
const THREE = [mirror("p10", 10), mirror("p20", 20), mirror("p100", 100)];

describe("mirrorDecisions", () => {
  it.each([
    ["a low draw fires every mirror", THREE, 0.05, "GET", ["p10", "p20", "p100"]],
    ["one shared draw: 15 % fires the 20 % and 100 % mirrors", THREE, 0.15, "POST", ["p20", "p100"]],
    ["a high draw fires only the 100 % mirror", THREE, 0.5, "GET", ["p100"]],
    ["the top of the range still fires 100 %", THREE, JUST_BELOW_ONE, "GET", ["p100"]],
    ["exactly at the threshold does not fire", [mirror("p10", 10)], 0.1, "GET", []],
    ["0.0001 % fires only for the lowest millionth", [mirror("tiny", 0.0001)], 0, "GET", ["tiny"]],
    ["0.0001 % does not fire at 1/1e6", [mirror("tiny", 0.0001)], 0.000001, "GET", []],
    ["below the granularity never fires", [mirror("none", 0.00005)], 0, "GET", []],
    ["CONNECT is never mirrored", THREE, 0, "CONNECT", []],
  ] as const)("%s", (_n, mirrors, draw, method, expected) => {
    expect(mirrorDecisions(mirrors, () => draw, method).map((m) => m.subset)).toEqual(expected);
  });

  it("draws once per request, and not at all without mirrors", () => {
    let calls = 0;
    const counting = () => (calls++, 0.3);
    mirrorDecisions(THREE, counting, "GET");
    expect(calls).toBe(1);
    mirrorDecisions(undefined, counting);
    mirrorDecisions([], counting);
    expect(calls).toBe(1);
  });

  it.each([[25], [50], [0.5], [12.5], [99]])("distribution: %s %% over 20000 requests within 4 sigma", (pct) => {
    const rnd = seeded(Math.round(pct * 100));
    const N = 20_000;
    let fired = 0;
    for (let i = 0; i < N; i++) if (mirrorDecisions([mirror("x", pct)], rnd).length) fired++;
    const p = pct / 100;
    expect(Math.abs(fired - N * p)).toBeLessThanOrEqual(4 * Math.sqrt(N * p * (1 - p)));
  });

  it("property: mirrors fire as nested sets (a request mirrored at p is mirrored at every q ≥ p)", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.0001, max: 100, noNaN: true }), { minLength: 1, maxLength: 5 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (pcts, draw) => {
        const ms = pcts.map((p, i) => mirror(`m${i}`, p));
        const fired = new Set(mirrorDecisions(ms, () => draw).map((m) => m.subset));
        for (const a of ms) for (const b of ms) if (fired.has(a.subset) && b.percentage >= a.percentage) expect(fired.has(b.subset)).toBe(true);
        for (const m of ms) if (m.percentage >= 100) expect(fired.has(m.subset)).toBe(true);
      }),
    );
  });
});

describe("mirror percentages through the compiler", () => {
  it.each([
    ["mirror without percentage: 100 %", { mirror: { host: "m" } }, [100]],
    ["mirror with mirrorPercentage", { mirror: { host: "m" }, mirrorPercentage: { value: 12.5 } }, [12.5]],
    ["mirror with mirrorPercentage 0: none", { mirror: { host: "m" }, mirrorPercentage: { value: 0 } }, []],
    ["deprecated mirrorPercent", { mirror: { host: "m" }, mirrorPercent: 30 }, [30]],
    ["mirrors[] each with its own (unset = 100 %, 0 dropped)", { mirrors: [{ destination: { host: "m", subset: "a" }, percentage: { value: 5 } }, { destination: { host: "m", subset: "b" } }, { destination: { host: "m", subset: "c" }, percentage: { value: 0 } }] }, [5, 100]],
  ] as const)("%s", (_n, fields, expected) => {
    const router = buildRouter(compile([httpGateway("g", ["*"]), vs("v", { hosts: ["x.com"], gateways: ["g"], http: [{ route: [{ destination: { host: "r" } }], ...(fields as Partial<HTTPRoute>) }] })]));
    const m = router.route(req({ authority: "x.com", path: "/" }));
    if (m.outcome !== "matched") throw new Error("no match");
    expect((m.route.mirrors ?? []).map((x) => x.percentage)).toEqual(expected);
    const always = mirrorDecisions(m.route.mirrors, () => 0);
    expect(always).toHaveLength(expected.length);
  });
});

describe("mirrorRequest", () => {
  const upstream = (init: RequestInit & { url?: string } = {}) =>
    new Request(init.url ?? "http://reviews.default.svc.cluster.local/p?q=1", {
      method: init.method ?? "POST",
      headers: init.headers ?? { host: "bookinfo.local", "content-type": "application/json", "x-request-id": "abc", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
      body: init.body ?? (init.method === "GET" || init.method === "HEAD" ? null : '{"a":1}'),
    });

  it("copies method, headers and body to the target; Host kept; only the trace sampling changes", async () => {
    const body = new TextEncoder().encode('{"a":1}');
    const copy = mirrorRequest(upstream(), body, "http://127.0.0.1:9001/p?q=1")!;
    expect(copy.url).toBe("http://127.0.0.1:9001/p?q=1");
    expect(copy.method).toBe("POST");
    expect(copy.headers.get("host")).toBe("bookinfo.local");
    expect(copy.headers.get("x-request-id")).toBe("abc");
    expect(copy.headers.get("content-type")).toBe("application/json");
    expect(copy.headers.get("traceparent")).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
    expect(await copy.text()).toBe('{"a":1}');
    expect(copy.redirect).toBe("manual");
  });

  it("GET and HEAD carry no body", async () => {
    for (const method of ["GET", "HEAD"]) {
      const copy = mirrorRequest(upstream({ method }), undefined, "http://m/p")!;
      expect(copy.method).toBe(method);
      expect(copy.body).toBeNull();
    }
  });

  it("a body that was not buffered abandons the mirror", () => {
    expect(mirrorRequest(upstream(), undefined, "http://m/p")).toBeUndefined();
  });

  it("traceSampled keeps the trace context as is", () => {
    const copy = mirrorRequest(upstream({ method: "GET" }), undefined, "http://m/", { traceSampled: true })!;
    expect(copy.headers.get("traceparent")).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  });

  it.each([
    ["traceparent sampled → not sampled", { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }, { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00" }],
    ["traceparent other flags kept", { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03" }, { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-02" }],
    ["malformed traceparent untouched", { traceparent: "garbage" }, { traceparent: "garbage" }],
    ["x-b3-sampled and debug flag", { "x-b3-sampled": "1", "x-b3-flags": "1", "x-b3-traceid": "t" }, { "x-b3-sampled": "0", "x-b3-traceid": "t" }],
    ["b3 single header with sampling state", { b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90" }, { b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0-05e3ac9a4f6e3b90" }],
    ["b3 single header without sampling state", { b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1" }, { b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0" }],
    ["b3 sampling only", { b3: "d" }, { b3: "0" }],
    ["no trace headers: nothing added", { "x-other": "1" }, { "x-other": "1" }],
  ] as const)("unsampleTrace: %s", (_n, input, expected) => {
    const h = new Headers(input);
    unsampleTrace(h);
    expect(Object.fromEntries(h)).toEqual(expected);
  });
});
