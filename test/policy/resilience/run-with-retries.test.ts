/**
 * The attempt loop under a fake clock: attempt counts, per-try timeouts, the whole-request timeout,
 * back-off sleeps, overflow, and Envoy's local replies and flags.
 */
import { describe, expect, it } from "vitest";
import type { HTTPRetry } from "../../../src/config/schemas/virtual-service.js";
import { compileRetryPolicy } from "../../../src/config/compile/retry-policy.js";
import { runWithRetries, type AttemptContext, type AttemptResult } from "../../../src/policy/retry/run-with-retries.js";
import { FakeClock } from "./fake-clock.js";

type Step = number | "connect" | "reset" | "overflow" | "throw" | { slow: number; status?: number };

/** An upstream that answers the scripted steps in order (the last one repeats). */
function upstream(clock: FakeClock, steps: Step[]) {
  const seen: AttemptContext[] = [];
  const aborted: number[] = [];
  const fn = async (ctx: AttemptContext): Promise<AttemptResult> => {
    seen.push(ctx);
    const step = steps[Math.min(seen.length, steps.length) - 1]!;
    if (typeof step === "number") return new Response(`status ${step}`, { status: step });
    if (step === "connect") return { kind: "connect-failure" };
    if (step === "reset") return { kind: "reset" };
    if (step === "overflow") return { kind: "overflow" };
    if (step === "throw") throw new TypeError("Network connection lost.");
    await clock.sleep(step.slow, ctx.signal);
    if (ctx.signal.aborted) {
      aborted.push(ctx.attempt);
      throw ctx.signal.reason;
    }
    return new Response("slow", { status: step.status ?? 200 });
  };
  return { fn, seen, aborted };
}

async function run(retries: HTTPRetry | undefined | "default", steps: Step[], opts: { timeout?: number; random?: () => number } = {}) {
  const clock = new FakeClock();
  const up = upstream(clock, steps);
  const policy = retries === "default" ? compileRetryPolicy(undefined, opts.timeout) : retries === undefined ? undefined : compileRetryPolicy(retries, opts.timeout);
  const result = await clock.run(runWithRetries(up.fn, policy, { now: clock.now, sleep: clock.sleep, random: opts.random ?? (() => 0.5) }, opts.timeout));
  const body = result.kind === "response" ? await result.response.text() : result.reply.body;
  const status = result.kind === "response" ? result.response.status : result.reply.status;
  return { result, body, status, clock, up };
}

const CONNECT = "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure";
const CONNECT_RETRIED = "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure";

describe("runWithRetries", () => {
  const rows: Array<{
    name: string;
    retries: HTTPRetry | undefined | "default";
    steps: Step[];
    timeout?: number;
    attempts: number;
    status: number;
    body?: string;
    flags: string[];
    kind: "response" | "local";
  }> = [
    { name: "default policy retries connect failures twice, then 503 URX", retries: "default", steps: ["connect"], attempts: 3, status: 503, body: CONNECT_RETRIED, flags: ["UF", "URX"], kind: "local" },
    { name: "default policy: a connect failure then success", retries: "default", steps: ["connect", 200], attempts: 2, status: 200, body: "status 200", flags: [], kind: "response" },
    { name: "default policy does not retry an upstream 503", retries: "default", steps: [503, 200], attempts: 1, status: 503, body: "status 503", flags: [], kind: "response" },
    { name: "default policy does not retry a reset", retries: "default", steps: ["reset", 200], attempts: 1, status: 503, flags: ["UC"], kind: "local",
      body: "upstream connect error or disconnect/reset before headers. reset reason: connection termination" },
    { name: "retries disabled: one attempt, 503 UF", retries: { attempts: 0 }, steps: ["connect", 200], attempts: 1, status: 503, body: CONNECT, flags: ["UF"], kind: "local" },
    { name: "no policy at all: one attempt", retries: undefined, steps: ["connect"], attempts: 1, status: 503, body: CONNECT, flags: ["UF"], kind: "local" },
    { name: "5xx: two 500s then 200", retries: { attempts: 3, retryOn: "5xx" }, steps: [500, 500, 200], attempts: 3, status: 200, flags: [], kind: "response" },
    { name: "5xx exhausted returns the last upstream response with URX", retries: { attempts: 2, retryOn: "5xx" }, steps: [500, 502, 503], attempts: 3, status: 503, body: "status 503", flags: ["URX"], kind: "response" },
    { name: "retriable-4xx retries 409", retries: { attempts: 1, retryOn: "retriable-4xx" }, steps: [409, 201], attempts: 2, status: 201, flags: [], kind: "response" },
    { name: "an integer code retries that code only", retries: { attempts: 4, retryOn: "503" }, steps: [503, 500], attempts: 2, status: 500, flags: [], kind: "response" },
    { name: "overflow is never retried", retries: { attempts: 5, retryOn: "5xx,reset,connect-failure" }, steps: ["overflow", 200], attempts: 1, status: 503, flags: ["UO"], kind: "local",
      body: "upstream connect error or disconnect/reset before headers. reset reason: overflow" },
    { name: "a thrown fetch error counts as a connect failure", retries: "default", steps: ["throw", 200], attempts: 2, status: 200, flags: [], kind: "response" },
  ];
  it.each(rows)("$name", async (row) => {
    const { result, body, status } = await run(row.retries, row.steps, { timeout: row.timeout });
    expect(result.kind).toBe(row.kind);
    expect(result.attempts).toBe(row.attempts);
    expect(status).toBe(row.status);
    expect(result.flags).toEqual(row.flags);
    if (row.body !== undefined) expect(body).toBe(row.body);
    expect(result.outcomes).toHaveLength(row.attempts);
  });

  it("passes 1-based attempt numbers; untimed attempts share one never-aborted signal (no controller per request)", async () => {
    const { up } = await run({ attempts: 2, retryOn: "5xx" }, [500]);
    expect(up.seen.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(new Set(up.seen.map((c) => c.signal)).size).toBe(1);
    expect(up.seen.every((c) => !c.signal.aborted)).toBe(true);
  });

  it("gives each timed attempt a fresh signal", async () => {
    const { up } = await run({ attempts: 2, retryOn: "5xx", perTryTimeout: "1s" }, [500]);
    expect(up.seen.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(new Set(up.seen.map((c) => c.signal)).size).toBe(3);
  });

  it("sleeps the jittered back-off between attempts", async () => {
    // random ≈ 1: waits 24, 74 and 174 ms before retries 1, 2 and 3.
    const { clock, result } = await run({ attempts: 3, retryOn: "connect-failure" }, ["connect"], { random: () => 0.999 });
    expect(result.attempts).toBe(4);
    expect(clock.t).toBe(24 + 74 + 174);
    expect(clock.pending).toBe(0);
  });

  describe("perTryTimeout", () => {
    it("is retried under 5xx, then ends in 504 UT with URX", async () => {
      const { result, status, body, clock, up } = await run({ attempts: 2, retryOn: "5xx", perTryTimeout: "100ms" }, [{ slow: 1000 }], { random: () => 0 });
      expect(result.attempts).toBe(3);
      expect(status).toBe(504);
      expect(body).toBe("upstream request timeout");
      expect(result.flags).toEqual(["UT", "URX"]);
      expect(up.aborted).toEqual([1, 2, 3]);
      expect(clock.t).toBe(300);
      expect(result.outcomes.map((o) => o.kind)).toEqual(["per-try-timeout", "per-try-timeout", "per-try-timeout"]);
    });

    it("a slow first attempt, a fast second", async () => {
      const { result, status } = await run({ attempts: 2, retryOn: "gateway-error", perTryTimeout: "100ms" }, [{ slow: 1000 }, 200]);
      expect(result.attempts).toBe(2);
      expect(status).toBe(200);
    });

    it("is not retried when retryOn has no reset-like token: 504 UT after one attempt", async () => {
      const { result, status, clock } = await run({ attempts: 3, retryOn: "connect-failure", perTryTimeout: "100ms" }, [{ slow: 1000 }, 200]);
      expect(result.attempts).toBe(1);
      expect(status).toBe(504);
      expect(result.flags).toEqual(["UT"]);
      expect(clock.t).toBe(100);
    });

    it("an answer within the per-try timeout is used", async () => {
      const { result, status } = await run({ attempts: 2, retryOn: "5xx", perTryTimeout: "100ms" }, [{ slow: 99, status: 201 }]);
      expect(result.attempts).toBe(1);
      expect(status).toBe(201);
    });
  });

  describe("route timeout", () => {
    it("bounds a single slow attempt: 504 UT, the attempt aborted", async () => {
      const { result, status, body, clock, up } = await run(undefined, [{ slow: 10_000 }], { timeout: 250 });
      expect(status).toBe(504);
      expect(body).toBe("upstream request timeout");
      expect(result.flags).toEqual(["UT"]);
      expect(result.attempts).toBe(1);
      expect(clock.t).toBe(250);
      expect(up.aborted).toEqual([1]);
      expect(result.outcomes.map((o) => o.kind)).toEqual(["timeout"]);
    });

    it("bounds retries and back-off: stops at the deadline", async () => {
      // Each attempt takes 100 ms and fails with 500; back-off 0.
      const { result, status, clock } = await run({ attempts: 10, retryOn: "5xx" }, [{ slow: 100, status: 500 }], { timeout: 350, random: () => 0 });
      expect(status).toBe(504);
      expect(result.flags).toEqual(["UT"]);
      expect(result.attempts).toBe(4);
      expect(clock.t).toBe(350);
    });

    it("fires during a back-off sleep", async () => {
      // 500 at once; the first back-off (random ≈ 1 ⇒ 24 ms) outlasts the 10 ms budget.
      const { status, result, clock } = await run({ attempts: 3, retryOn: "5xx" }, [500], { timeout: 10, random: () => 0.999 });
      expect(status).toBe(504);
      expect(result.attempts).toBe(1);
      expect(clock.t).toBe(10);
    });

    it("takes over from a per-try timeout that would end later", async () => {
      const { status, result, clock } = await run({ attempts: 3, retryOn: "5xx", perTryTimeout: "200ms" }, [{ slow: 1000 }], { timeout: 300, random: () => 0 });
      expect(status).toBe(504);
      expect(result.attempts).toBe(2);
      expect(clock.t).toBe(300);
      expect(result.outcomes.map((o) => o.kind)).toEqual(["per-try-timeout", "timeout"]);
    });
  });
});
