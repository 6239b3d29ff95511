/**
 * fault: translation (percentages per million, unset = 0 %), the abort replies (HTTP and gRPC), the
 * draw order (delay, then abort, independent), distributions over many draws, and properties.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HTTPFaultInjection } from "../../../src/config/schemas/virtual-service.js";
import { compileFault, httpToGrpcStatus, isGrpcRequest, translateFault } from "../../../src/policy/fault.js";
import { buildRouter } from "../../../src/router/index.js";
import { compile, httpGateway, req, vs } from "../../config/compile/fixtures.js";
import { JUST_BELOW_ONE, seeded, sequence } from "./random.js";

describe("translateFault", () => {
  it.each([
    ["delay with percentage", { delay: { fixedDelay: "5s", percentage: { value: 50 } } }, { delay: { fixedDelayMs: 5000, perMillion: 500_000 } }],
    ["delay without any percentage is 0 %", { delay: { fixedDelay: "5s" } }, { delay: { fixedDelayMs: 5000, perMillion: 0 } }],
    ["deprecated integer percent honoured", { delay: { fixedDelay: "100ms", percent: 30 } }, { delay: { fixedDelayMs: 100, perMillion: 300_000 } }],
    ["percentage wins over percent", { delay: { fixedDelay: "1s", percent: 90, percentage: { value: 10 } } }, { delay: { fixedDelayMs: 1000, perMillion: 100_000 } }],
    ["percentage {} (no value) is 0 % even with percent", { delay: { fixedDelay: "1s", percent: 90, percentage: {} } }, { delay: { fixedDelayMs: 1000, perMillion: 0 } }],
    ["smallest granularity 0.0001 %", { delay: { fixedDelay: "1s", percentage: { value: 0.0001 } } }, { delay: { fixedDelayMs: 1000, perMillion: 1 } }],
    ["Go truncation: 0.57 % is 5699 per million (0.57 × 10000 = 5699.99…)", { delay: { fixedDelay: "1s", percentage: { value: 0.57 } } }, { delay: { fixedDelayMs: 1000, perMillion: 5699 } }],
    ["Go truncation: 0.0003 % is 2 per million", { delay: { fixedDelay: "1s", percentage: { value: 0.0003 } } }, { delay: { fixedDelayMs: 1000, perMillion: 2 } }],
    ["33.3333 %", { delay: { fixedDelay: "1s", percentage: { value: 33.3333 } } }, { delay: { fixedDelayMs: 1000, perMillion: 333_333 } }],
    ["fractional seconds", { delay: { fixedDelay: "0.29s", percentage: { value: 100 } } }, { delay: { fixedDelayMs: 290, perMillion: 1_000_000 } }],
    ["sub-millisecond delay injects nothing", { delay: { fixedDelay: "500us", percentage: { value: 100 } } }, undefined],
    ["exponentialDelay injects nothing", { delay: { exponentialDelay: "1s", percentage: { value: 100 } } }, undefined],
    ["abort httpStatus", { abort: { httpStatus: 503, percentage: { value: 100 } } }, { abort: { perMillion: 1_000_000, httpStatus: 503 } }],
    ["abort without percentage is 0 %", { abort: { httpStatus: 500 } }, { abort: { perMillion: 0, httpStatus: 500 } }],
    ["abort grpcStatus by name", { abort: { grpcStatus: "UNAVAILABLE", percentage: { value: 5 } } }, { abort: { perMillion: 50_000, grpcStatus: 14 } }],
    ["abort grpcStatus OK is code 0", { abort: { grpcStatus: "OK", percentage: { value: 5 } } }, { abort: { perMillion: 50_000, grpcStatus: 0 } }],
    ["http2Error injects nothing", { abort: { http2Error: "REFUSED_STREAM", percentage: { value: 100 } } }, undefined],
    ["unknown grpcStatus injects nothing", { abort: { grpcStatus: "NOPE", percentage: { value: 100 } } }, undefined],
    ["both", { delay: { fixedDelay: "2s", percentage: { value: 1 } }, abort: { httpStatus: 400, percentage: { value: 2 } } },
      { delay: { fixedDelayMs: 2000, perMillion: 10_000 }, abort: { perMillion: 20_000, httpStatus: 400 } }],
    ["empty fault", {}, undefined],
  ] as const)("%s", (_n, spec, expected) => {
    expect(translateFault(spec as HTTPFaultInjection)).toEqual(expected);
  });
});

describe("fault decisions", () => {
  const both: HTTPFaultInjection = { delay: { fixedDelay: "3s", percentage: { value: 50 } }, abort: { httpStatus: 503, percentage: { value: 50 } } };
  const HTTP_ABORT = { status: 503, body: "fault filter abort", flag: "FI", details: "fault_filter_abort", headers: undefined };

  it.each([
    ["delay draw then abort draw: both fire", both, [0.1, 0.2], {}, { delayMs: 3000, abort: HTTP_ABORT }],
    ["delay fires, abort does not", both, [0.1, 0.9], {}, { delayMs: 3000 }],
    ["abort fires, delay does not", both, [0.9, 0.1], {}, { abort: HTTP_ABORT }],
    ["neither", both, [0.5, 0.5], {}, {}],
    ["just below the threshold fires", both, [0.499999, 0.499999], {}, { delayMs: 3000, abort: HTTP_ABORT }],
    ["no delay configured: the first draw is the abort's", { abort: { httpStatus: 418, percentage: { value: 50 } } }, [0.1], {},
      { abort: { status: 418, body: "fault filter abort", flag: "FI", details: "fault_filter_abort", headers: undefined } }],
    ["100 % fires at the top of the range", { abort: { httpStatus: 500, percentage: { value: 100 } } }, [JUST_BELOW_ONE], {},
      { abort: { status: 500, body: "fault filter abort", flag: "FI", details: "fault_filter_abort", headers: undefined } }],
    ["unset percentage never fires even at 0", { delay: { fixedDelay: "1s" }, abort: { httpStatus: 500 } }, [0, 0], {}, {}],
    ["grpcStatus abort of a plain request: 200 with the text body (as Envoy)", { abort: { grpcStatus: "UNAVAILABLE", percentage: { value: 100 } } }, [0], {},
      { abort: { status: 200, body: "fault filter abort", flag: "FI", details: "fault_filter_abort", headers: undefined } }],
    ["grpcStatus abort of a gRPC request: trailers-only reply", { abort: { grpcStatus: "NOT_FOUND", percentage: { value: 100 } } }, [0], { grpc: true },
      { abort: { status: 200, body: "", flag: "FI", details: "fault_filter_abort", headers: { "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "fault filter abort" } } }],
    ["httpStatus abort of a gRPC request maps the status", { abort: { httpStatus: 503, percentage: { value: 100 } } }, [0], { grpc: true },
      { abort: { status: 200, body: "", flag: "FI", details: "fault_filter_abort", headers: { "content-type": "application/grpc", "grpc-status": "14", "grpc-message": "fault filter abort" } } }],
    ["httpStatus 418 of a gRPC request is UNKNOWN", { abort: { httpStatus: 418, percentage: { value: 100 } } }, [0], { grpc: true },
      { abort: { status: 200, body: "", flag: "FI", details: "fault_filter_abort", headers: { "content-type": "application/grpc", "grpc-status": "2", "grpc-message": "fault filter abort" } } }],
  ] as const)("%s", (_n, spec, draws, request, expected) => {
    const f = compileFault(spec as HTTPFaultInjection)!;
    expect(f.decide(sequence(...draws), request)).toEqual(expected);
  });

  it.each([
    [10, 0],
    [50, 0],
    [0.5, 0],
    [33.3, 0],
    [0, 100],
    [100, 0],
    [2.5, 97.5],
  ])("distribution: delay %s %% / abort %s %% over 20000 requests within 4 sigma, independent", (delayPct, abortPct) => {
    const f = compileFault({ delay: { fixedDelay: "1ms", percentage: { value: delayPct } }, abort: { httpStatus: 500, percentage: { value: abortPct } } })!;
    const rnd = seeded(delayPct * 1000 + abortPct);
    const N = 20_000;
    let delayed = 0;
    let aborted = 0;
    let both = 0;
    for (let i = 0; i < N; i++) {
      const d = f.decide(rnd);
      if (d.delayMs) delayed++;
      if (d.abort) aborted++;
      if (d.delayMs && d.abort) both++;
    }
    const within = (count: number, p: number) => {
      const sigma = Math.sqrt(N * p * (1 - p));
      expect(Math.abs(count - N * p)).toBeLessThanOrEqual(4 * sigma + 1e-9);
    };
    within(delayed, delayPct / 100);
    within(aborted, abortPct / 100);
    within(both, (delayPct / 100) * (abortPct / 100));
    if (delayPct === 0) expect(delayed).toBe(0);
    if (delayPct === 100) expect(delayed).toBe(N);
    if (abortPct === 0) expect(aborted).toBe(0);
    if (abortPct === 100) expect(aborted).toBe(N);
  });

  it("abort replies are built once and shared", () => {
    const f = compileFault({ abort: { httpStatus: 503, percentage: { value: 100 } } })!;
    expect(f.decide(Math.random).abort).toBe(f.decide(Math.random).abort);
  });
});

describe("gRPC helpers", () => {
  it.each([
    [400, 13], [401, 16], [403, 7], [404, 12], [429, 14], [502, 14], [503, 14], [504, 14], [500, 2], [200, 2], [418, 2],
  ])("httpToGrpcStatus(%s) = %s", (http, grpc) => expect(httpToGrpcStatus(http)).toBe(grpc));

  it.each([
    ["application/grpc", true],
    ["application/grpc+proto", true],
    ["application/grpc;charset=utf-8", true],
    ["application/grpc-web", false],
    ["application/grpcx", false],
    ["application/json", false],
    [undefined, false],
  ] as const)("isGrpcRequest(%s) = %s", (ct, expected) => {
    const h = new Headers();
    if (ct) h.set("content-type", ct);
    expect(isGrpcRequest(h)).toBe(expected);
  });
});

describe("fault through the compiler", () => {
  it("routes carry the translated fault; the runtime half decides from it", () => {
    const router = buildRouter(
      compile([
        httpGateway("g", ["*"]),
        vs("v", {
          hosts: ["x.com"],
          gateways: ["g"],
          http: [
            { match: [{ uri: { prefix: "/f" } }], fault: { abort: { httpStatus: 503, percentage: { value: 100 } } }, route: [{ destination: { host: "r" } }] },
            { route: [{ destination: { host: "r" } }] },
          ],
        }),
      ]),
    );
    const f = router.route(req({ authority: "x.com", path: "/f" }));
    const plain = router.route(req({ authority: "x.com", path: "/" }));
    if (f.outcome !== "matched" || plain.outcome !== "matched") throw new Error("no match");
    expect(f.route.fault).toEqual({ abort: { perMillion: 1_000_000, httpStatus: 503 } });
    expect(compileFault(f.route.fault)!.decide(Math.random).abort?.status).toBe(503);
    expect(plain.route.fault).toBeUndefined();
  });
});

describe("fault properties", () => {
  const pct = fc.option(fc.record({ value: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: undefined }) }), { nil: undefined });

  it("0 % (unset, {} or value 0) never fires, for any draws", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(undefined, {}, { value: 0 }),
        fc.constantFrom(undefined, {}, { value: 0 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 2, maxLength: 2 }),
        (dp, ap, draws) => {
          const spec: HTTPFaultInjection = { delay: { fixedDelay: "1s" }, abort: { httpStatus: 500 } };
          if (dp) spec.delay!.percentage = dp;
          if (ap) spec.abort!.percentage = ap;
          expect(compileFault(spec)!.decide(sequence(...draws))).toEqual({});
        },
      ),
    );
  });

  it("never throws; fires only with a positive percentage; 100 % always fires", () => {
    fc.assert(
      fc.property(pct, pct, fc.integer({ min: 200, max: 599 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.boolean(), (dp, ap, status, draw, grpc) => {
        const spec: HTTPFaultInjection = { delay: { fixedDelay: "10ms", ...(dp ? { percentage: dp } : {}) }, abort: { httpStatus: status, ...(ap ? { percentage: ap } : {}) } };
        const d = compileFault(spec)!.decide(() => draw, { grpc });
        if (d.delayMs !== undefined) expect(dp?.value ?? 0).toBeGreaterThan(0);
        if (d.abort !== undefined) expect(ap?.value ?? 0).toBeGreaterThan(0);
        if (dp?.value === 100) expect(d.delayMs).toBe(10);
        if (ap?.value === 100) expect(d.abort?.status).toBe(grpc ? 200 : status);
      }),
    );
  });
});
