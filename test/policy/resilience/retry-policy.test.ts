/**
 * Retry policy compilation (Istio retry.ConvertPolicy), Envoy's retryOn token meanings (shouldRetry)
 * and the jittered back-off bounds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HTTPRetry } from "../../../src/config/schemas/virtual-service.js";
import { backoffCeilingMs, backoffMs } from "../../../src/policy/retry/backoff.js";
import { compileRetryPolicy, DEFAULT_RETRY_ON, type RetryPolicy } from "../../../src/config/compile/retry-policy.js";
import { shouldRetry, type UpstreamOutcome } from "../../../src/policy/retry/should-retry.js";

describe("compileRetryPolicy", () => {
  const rows: Array<[string, HTTPRetry | undefined, number | undefined, Partial<RetryPolicy> | undefined]> = [
    ["unset ⇒ Istio default", undefined, undefined, {
      attempts: 2, retryOn: DEFAULT_RETRY_ON.split(","), retriableStatusCodes: [], backoff: { baseMs: 25, maxMs: 250 }, retryIgnorePreviousHosts: true,
    }],
    ["attempts 0 ⇒ no retries", { attempts: 0 }, undefined, undefined],
    ["empty retries ⇒ attempts 0 ⇒ no retries", {}, undefined, undefined],
    ["attempts only keeps the default retryOn", { attempts: 5 }, undefined, { attempts: 5, retryOn: DEFAULT_RETRY_ON.split(",") }],
    ["integers move to retriableStatusCodes", { attempts: 3, retryOn: "5xx,409" }, undefined, {
      retryOn: ["5xx", "retriable-status-codes"], retriableStatusCodes: [409],
    }],
    ["retriable-status-codes not appended twice", { attempts: 1, retryOn: "retriable-status-codes,503" }, undefined, {
      retryOn: ["retriable-status-codes"], retriableStatusCodes: [503],
    }],
    ["unknown status integer stays a token (Go StatusText empty)", { attempts: 1, retryOn: "599" }, undefined, { retryOn: ["599"], retriableStatusCodes: [] }],
    ["perTryTimeout", { attempts: 2, perTryTimeout: "1.5s" }, undefined, { perTryTimeoutMs: 1500 }],
    ["perTryTimeout below the route timeout is kept", { attempts: 2, perTryTimeout: "1s" }, 3000, { perTryTimeoutMs: 1000 }],
    ["backoff sets base, max 10×", { attempts: 2, backoff: "100ms" }, undefined, { backoff: { baseMs: 100, maxMs: 1000 } }],
    ["retryIgnorePreviousHosts false", { attempts: 2, retryIgnorePreviousHosts: false }, undefined, { retryIgnorePreviousHosts: false }],
    ["retryRemoteLocalities", { attempts: 2, retryRemoteLocalities: true }, undefined, { retryRemoteLocalities: true }],
  ];
  it.each(rows)("%s", (_name, retries, timeout, expected) => {
    const p = compileRetryPolicy(retries, timeout);
    if (expected === undefined) expect(p).toBeUndefined();
    else expect(p).toMatchObject(expected);
  });

  it("drops a perTryTimeout that is not below the route timeout (Envoy finalTimeout)", () => {
    expect(compileRetryPolicy({ attempts: 2, perTryTimeout: "3s" }, 3000)?.perTryTimeoutMs).toBeUndefined();
    expect(compileRetryPolicy({ attempts: 2, perTryTimeout: "5s" }, 3000)?.perTryTimeoutMs).toBeUndefined();
  });

  it("drops the previous-hosts default under consistent hashing, unless set", () => {
    expect(compileRetryPolicy(undefined, undefined, { consistentHash: true })?.retryIgnorePreviousHosts).toBe(false);
    expect(compileRetryPolicy({ attempts: 1, retryIgnorePreviousHosts: true }, undefined, { consistentHash: true })?.retryIgnorePreviousHosts).toBe(true);
  });
});

describe("shouldRetry: Envoy retryOn tokens", () => {
  const h = (init: Record<string, string> = {}) => new Headers(init);
  const res = (status: number, headers: Record<string, string> = {}): UpstreamOutcome => ({ kind: "response", status, headers: h(headers) });
  const connect: UpstreamOutcome = { kind: "connect-failure" };
  const reset: UpstreamOutcome = { kind: "reset" };
  const refused: UpstreamOutcome = { kind: "reset", refusedStream: true };
  const resetBefore: UpstreamOutcome = { kind: "reset", beforeRequest: true };
  const perTry: UpstreamOutcome = { kind: "per-try-timeout" };
  const overflow: UpstreamOutcome = { kind: "overflow" };
  const timeout: UpstreamOutcome = { kind: "timeout" };

  const rows: Array<[retryOn: string, outcome: UpstreamOutcome, label: string, retried: boolean]> = [
    // 5xx: any 5xx response, and any reset / connect failure / per-try timeout
    ["5xx", res(500), "500", true],
    ["5xx", res(503), "503", true],
    ["5xx", res(599), "599", true],
    ["5xx", res(404), "404", false],
    ["5xx", res(409), "409", false],
    ["5xx", connect, "connect failure", true],
    ["5xx", reset, "reset", true],
    ["5xx", perTry, "per-try timeout", true],
    // gateway-error: 502/503/504 and resets
    ["gateway-error", res(502), "502", true],
    ["gateway-error", res(503), "503", true],
    ["gateway-error", res(504), "504", true],
    ["gateway-error", res(500), "500", false],
    ["gateway-error", reset, "reset", true],
    ["gateway-error", connect, "connect failure", true],
    ["gateway-error", perTry, "per-try timeout", true],
    // reset: no response at all (Envoy retries a per-try timeout's local reset too)
    ["reset", reset, "reset", true],
    ["reset", connect, "connect failure", true],
    ["reset", perTry, "per-try timeout", true],
    ["reset", res(503), "503", false],
    // reset-before-request: only when nothing was sent
    ["reset-before-request", resetBefore, "reset before request", true],
    ["reset-before-request", reset, "reset after request", false],
    ["reset-before-request", connect, "connect failure", true],
    ["reset-before-request", perTry, "per-try timeout", false],
    // connect-failure
    ["connect-failure", connect, "connect failure", true],
    ["connect-failure", reset, "reset", false],
    ["connect-failure", res(503), "503", false],
    ["connect-failure", perTry, "per-try timeout", false],
    // refused-stream
    ["refused-stream", refused, "REFUSED_STREAM", true],
    ["refused-stream", reset, "other reset", false],
    // retriable-4xx = 409 only
    ["retriable-4xx", res(409), "409", true],
    ["retriable-4xx", res(400), "400", false],
    ["retriable-4xx", res(429), "429", false],
    // integer codes (become retriable-status-codes)
    ["503", res(503), "503", true],
    ["503", res(502), "502", false],
    ["429,409", res(429), "429", true],
    ["retriable-status-codes", res(503), "503 without codes", false],
    // envoy-ratelimited: only via x-envoy-ratelimited, which also vetoes other tokens
    ["envoy-ratelimited", res(429, { "x-envoy-ratelimited": "true" }), "429 ratelimited", true],
    ["envoy-ratelimited", res(429), "429 plain", false],
    ["5xx", res(503, { "x-envoy-ratelimited": "true" }), "503 ratelimited under 5xx", false],
    // gRPC tokens read grpc-status from the response headers
    ["cancelled", res(200, { "grpc-status": "1" }), "grpc CANCELLED", true],
    ["deadline-exceeded", res(200, { "grpc-status": "4" }), "grpc DEADLINE_EXCEEDED", true],
    ["resource-exhausted", res(200, { "grpc-status": "8" }), "grpc RESOURCE_EXHAUSTED", true],
    ["internal", res(200, { "grpc-status": "13" }), "grpc INTERNAL", true],
    ["unavailable", res(200, { "grpc-status": "14" }), "grpc UNAVAILABLE", true],
    ["unavailable", res(200, { "grpc-status": "1" }), "grpc CANCELLED under unavailable", false],
    ["unavailable", res(200, { "grpc-status": "abc" }), "grpc bad status", false],
    ["unavailable", res(503), "503 without grpc-status", false],
    // retriable-headers has no matchers in Istio
    ["retriable-headers", res(503, { "x-retry": "1" }), "any header", false],
    // overflow and the total timeout are never retried
    ["5xx,gateway-error,reset,connect-failure", overflow, "overflow", false],
    ["5xx,gateway-error,reset,connect-failure", timeout, "route timeout", false],
  ];
  it.each(rows)("retryOn %s, %s (%s) ⇒ %s", (retryOn, outcome, _label, retried) => {
    const policy = compileRetryPolicy({ attempts: 1, retryOn })!;
    expect(shouldRetry(policy, outcome)).toBe(retried);
  });

  it.each([
    [connect, true],
    [refused, true],
    [res(200, { "grpc-status": "14" }), true],
    [res(200, { "grpc-status": "1" }), true],
    [res(503), false],
    [res(500), false],
    [reset, false],
    [perTry, false],
  ])("Istio default policy: %o ⇒ %s", (outcome, retried) => {
    expect(shouldRetry(compileRetryPolicy(undefined)!, outcome)).toBe(retried);
  });
});

describe("backoffMs", () => {
  const policy = compileRetryPolicy(undefined)!;

  it("retry n draws from [0, (2ⁿ−1)·25) and never exceeds 250", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
        const b = backoffMs(n, policy, () => r);
        expect(Number.isInteger(b)).toBe(true);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThanOrEqual(250);
        expect(b).toBeLessThan((2 ** n - 1) * 25);
      }),
    );
  });

  it("bounds hold for any base", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (base, n, r) => {
        const b = backoffMs(n, { baseMs: base, maxMs: base * 10 }, () => r);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThanOrEqual(Math.min(base * 10, (2 ** Math.min(n, 4) - 1) * base - 1));
      }),
    );
  });

  it.each([
    [1, 25],
    [2, 75],
    [3, 175],
    [4, 375],
    [5, 375],
    [12, 375],
  ])("retry %i: ceiling %i (stops growing past the max)", (n, ceiling) => {
    expect(backoffCeilingMs(n, 25, 250)).toBe(ceiling);
    expect(backoffMs(n, policy, () => 0.999999)).toBe(Math.min(ceiling - 1, 250));
    expect(backoffMs(n, policy, () => 0)).toBe(0);
  });

  it("is uniform over the first interval", () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const counts = new Array<number>(25).fill(0);
    for (let i = 0; i < 5000; i++) counts[backoffMs(1, policy, rnd)]!++;
    for (const c of counts) expect(Math.abs(c - 200)).toBeLessThan(80);
  });
});
