/**
 * Outlier detection: compiled defaults, the OutlierState reducer (ejection thresholds, the max-ejection
 * rule, recovery on the interval sweep, the ejection-time multiplier and its decay) and the isolate's
 * CircuitView cache.
 */
import { describe, expect, it } from "vitest";
import type { OutlierDetection } from "../../../src/config/schemas/destination-rule.js";
import type { CircuitReport, CircuitSnapshot } from "../../../src/policy/outlier/circuit-api.js";
import { CircuitView } from "../../../src/policy/outlier/circuit-view.js";
import { compileOutlierDetection, type OutlierConfig } from "../../../src/config/compile/outlier-detection.js";
import { outlierOutcomeOf, type OutlierOutcome } from "../../../src/policy/outlier/outlier-outcome.js";
import { OutlierState } from "../../../src/policy/outlier/outlier-state.js";

describe("compileOutlierDetection", () => {
  it.each<[string, OutlierDetection | undefined, Partial<OutlierConfig> | undefined]>([
    ["absent ⇒ no detection", undefined, undefined],
    ["empty block ⇒ Envoy defaults as Istio sets them", {}, {
      consecutive5xxErrors: 5, consecutiveGatewayErrors: 0, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionTimeMs: 300_000, maxEjectionPercent: 10, minHealthPercent: 0,
    }],
    ["consecutive5xxErrors 0 disables", { consecutive5xxErrors: 0 }, { consecutive5xxErrors: 0 }],
    ["gateway errors", { consecutiveGatewayErrors: 3 }, { consecutiveGatewayErrors: 3, consecutive5xxErrors: 5 }],
    ["durations", { interval: "1s", baseEjectionTime: "2m" }, { intervalMs: 1000, baseEjectionTimeMs: 120_000, maxEjectionTimeMs: 300_000 }],
    ["base above 300s raises the max", { baseEjectionTime: "10m" }, { baseEjectionTimeMs: 600_000, maxEjectionTimeMs: 600_000 }],
    ["maxEjectionPercent 0 ⇒ 10 (Istio passes positive values only)", { maxEjectionPercent: 0 }, { maxEjectionPercent: 10 }],
    ["maxEjectionPercent 100", { maxEjectionPercent: 100 }, { maxEjectionPercent: 100 }],
    ["minHealthPercent", { minHealthPercent: 50 }, { minHealthPercent: 50 }],
    ["deprecated consecutiveErrors is ignored", { consecutiveErrors: 2 }, { consecutive5xxErrors: 5, consecutiveGatewayErrors: 0 }],
  ])("%s", (_n, od, expected) => {
    const c = compileOutlierDetection(od);
    if (expected === undefined) expect(c).toBeUndefined();
    else expect(c).toMatchObject(expected);
  });

  it.each<[Parameters<typeof outlierOutcomeOf>[0], OutlierOutcome | undefined]>([
    [200, "success"],
    [404, "success"],
    [500, "5xx"],
    [501, "5xx"],
    [502, "gateway-error"],
    [503, "gateway-error"],
    [504, "gateway-error"],
    [{ kind: "connect-failure" }, "gateway-error"],
    [{ kind: "reset" }, "gateway-error"],
    [{ kind: "per-try-timeout" }, "gateway-error"],
    [{ kind: "timeout" }, "gateway-error"],
    [{ kind: "overflow" }, undefined],
  ])("outcome %j counts as %s", (outcome, expected) => {
    expect(outlierOutcomeOf(outcome)).toBe(expected);
  });
});

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i}`);
const config = (od: OutlierDetection = {}) => compileOutlierDetection(od)!;

/** A state with `n` hosts at t = 0. */
function state(n: number, od: OutlierDetection = {}): OutlierState {
  const s = new OutlierState(config(od), 0);
  s.setHosts(hosts(n), 0);
  return s;
}

function feed(s: OutlierState, key: string, outcomes: OutlierOutcome[], at = 0): void {
  for (const o of outcomes) s.record(key, o, at);
}

const x = (o: OutlierOutcome, n: number): OutlierOutcome[] => new Array<OutlierOutcome>(n).fill(o);

describe("OutlierState: ejection", () => {
  const rows: Array<{ name: string; hosts: number; od: OutlierDetection; outcomes: OutlierOutcome[]; ejected: boolean }> = [
    { name: "5 consecutive 5xx eject (10 hosts)", hosts: 10, od: {}, outcomes: x("5xx", 5), ejected: true },
    { name: "4 consecutive 5xx do not", hosts: 10, od: {}, outcomes: x("5xx", 4), ejected: false },
    { name: "gateway errors count as 5xx", hosts: 10, od: {}, outcomes: x("gateway-error", 5), ejected: true },
    { name: "a success in between resets", hosts: 10, od: {}, outcomes: [...x("5xx", 4), "success", ...x("5xx", 4)], ejected: false },
    { name: "fewer than 10 hosts: default 10 % never ejects", hosts: 9, od: {}, outcomes: x("5xx", 50), ejected: false },
    { name: "maxEjectionPercent 100 ejects with 1 host", hosts: 1, od: { maxEjectionPercent: 100 }, outcomes: x("5xx", 5), ejected: true },
    { name: "maxEjectionPercent 50: 1 of 2 hosts", hosts: 2, od: { maxEjectionPercent: 50 }, outcomes: x("5xx", 5), ejected: true },
    { name: "consecutive5xxErrors 0 disables", hosts: 10, od: { consecutive5xxErrors: 0 }, outcomes: x("5xx", 20), ejected: false },
    { name: "custom consecutive5xxErrors 2", hosts: 10, od: { consecutive5xxErrors: 2 }, outcomes: x("5xx", 2), ejected: true },
    { name: "consecutiveGatewayErrors 3 ejects before 5xx's 5", hosts: 10, od: { consecutiveGatewayErrors: 3 }, outcomes: x("gateway-error", 3), ejected: true },
    { name: "a 500 resets the gateway count", hosts: 10, od: { consecutiveGatewayErrors: 3, consecutive5xxErrors: 0 }, outcomes: ["gateway-error", "gateway-error", "5xx", "gateway-error", "gateway-error"], ejected: false },
    { name: "500s do not count as gateway errors", hosts: 10, od: { consecutiveGatewayErrors: 3, consecutive5xxErrors: 0 }, outcomes: x("5xx", 10), ejected: false },
    { name: "gateway errors alone, 5xx off", hosts: 10, od: { consecutiveGatewayErrors: 3, consecutive5xxErrors: 0 }, outcomes: x("gateway-error", 3), ejected: true },
  ];
  it.each(rows)("$name", (row) => {
    const s = state(row.hosts, row.od);
    feed(s, "h0", row.outcomes);
    expect(s.isEjected("h0", 1)).toBe(row.ejected);
    expect(Object.keys(s.ejected(1))).toEqual(row.ejected ? ["h0"] : []);
  });

  it.each([
    // [hosts, maxEjectionPercent, how many of the failing hosts may be ejected]
    [10, 10, 1],
    [20, 10, 2],
    [4, 50, 2],
    [4, 100, 4],
    [3, 34, 1],
    [3, 67, 2],
  ])("%i hosts, maxEjectionPercent %i ⇒ at most %i ejected", (n, max, allowed) => {
    const s = state(n, { maxEjectionPercent: max });
    for (const h of hosts(n)) feed(s, h, x("5xx", 5));
    expect(Object.keys(s.ejected(1))).toHaveLength(allowed);
  });

  it("the counter that fired is reset even when the ejection overflowed", () => {
    const s = state(9);
    feed(s, "h0", x("5xx", 5));
    expect(s.host("h0")?.c5xx).toBe(0);
  });

  it("bumps the version only when the ejected set changes", () => {
    const s = state(10);
    feed(s, "h0", x("5xx", 4));
    expect(s.version).toBe(0);
    feed(s, "h0", ["5xx"]);
    expect(s.version).toBe(1);
  });

  it("unknown endpoints are tracked, removed ones forgotten", () => {
    const s = state(10, { maxEjectionPercent: 100 });
    feed(s, "new", x("5xx", 5));
    expect(s.isEjected("new", 1)).toBe(true);
    expect(s.setHosts(hosts(10), 2)).toBe(true);
    expect(s.isEjected("new", 3)).toBe(false);
    expect(s.host("new")).toBeUndefined();
  });
});

describe("OutlierState: recovery and the ejection-time multiplier", () => {
  it("comes back on the first sweep after baseEjectionTime", () => {
    const s = state(10);
    feed(s, "h0", x("5xx", 5), 0);
    expect(s.ejected(0)).toEqual({ h0: 30_000 });
    expect(s.isEjected("h0", 29_999)).toBe(true);
    expect(s.isEjected("h0", 30_000)).toBe(false);
    expect(s.sweep(30_000)).toBe(true);
    expect(s.host("h0")?.ejectedAt).toBeUndefined();
  });

  it("un-ejection waits for the interval sweep", () => {
    const s = state(10);
    // Ejected at 5 s: 30 s elapse at 35 s, the next sweep (every 10 s from 0) is at 40 s.
    feed(s, "h0", x("5xx", 5), 5_000);
    expect(s.ejected(5_000)).toEqual({ h0: 40_000 });
    expect(s.isEjected("h0", 39_999)).toBe(true);
    expect(s.isEjected("h0", 40_000)).toBe(false);
  });

  it("un-ejection resets the counters", () => {
    const s = state(10);
    feed(s, "h0", x("5xx", 5), 0);
    feed(s, "h0", x("5xx", 3), 1_000); // while ejected (in-flight requests)
    s.sweep(30_000);
    expect(s.host("h0")).toMatchObject({ c5xx: 0, cGateway: 0 });
    feed(s, "h0", x("5xx", 4), 30_001);
    expect(s.isEjected("h0", 30_002)).toBe(false);
  });

  it("a second ejection lasts base × 2, a third base × 3", () => {
    const s = state(10);
    feed(s, "h0", x("5xx", 5), 0);
    expect(s.ejected(0).h0).toBe(30_000);
    feed(s, "h0", x("5xx", 5), 30_000);
    expect(s.ejected(30_000).h0).toBe(90_000);
    feed(s, "h0", x("5xx", 5), 90_000);
    expect(s.ejected(90_000).h0).toBe(180_000);
    expect(s.host("h0")).toMatchObject({ backoff: 3, ejections: 3 });
  });

  it("the multiplier decays by one per interval spent healthy", () => {
    const s = state(10);
    feed(s, "h0", x("5xx", 5), 0);
    feed(s, "h0", x("5xx", 5), 30_000);
    s.sweep(90_000);
    expect(s.host("h0")?.backoff).toBe(2);
    // Two healthy sweeps (100 s, 110 s) bring it back to 0: the next ejection lasts 30 s again.
    s.sweep(110_000);
    expect(s.host("h0")?.backoff).toBe(0);
    feed(s, "h0", x("5xx", 5), 110_000);
    expect(s.ejected(110_000).h0).toBe(140_000);
  });

  it("ejection time is capped at max(300 s, base)", () => {
    const s = state(10, { baseEjectionTime: "100s" });
    let t = 0;
    for (let i = 0; i < 6; i++) {
      feed(s, "h0", x("5xx", 5), t);
      const until = s.ejected(t).h0!;
      expect(until - t).toBeLessThanOrEqual(300_000);
      t = until;
    }
    expect(s.host("h0")?.backoff).toBe(4);
  });

  it("long idle gaps are swept in one go", () => {
    const s = state(10);
    feed(s, "h0", x("5xx", 5), 0);
    s.sweep(365 * 24 * 3600 * 1000);
    expect(s.ejected(365 * 24 * 3600 * 1000)).toEqual({});
    expect(s.host("h0")?.backoff).toBe(0);
  });

  it("round-trips through JSON", () => {
    const s = state(10);
    feed(s, "h0", x("5xx", 5), 0);
    feed(s, "h1", x("5xx", 3), 0);
    const copy = new OutlierState(config(), 0, JSON.parse(JSON.stringify(s.toJSON())));
    expect(copy.ejected(1)).toEqual(s.ejected(1));
    expect(copy.version).toBe(s.version);
    feed(copy, "h1", x("5xx", 2), 2);
    // h1 would be the second ejection of 10 hosts: over 10 %.
    expect(copy.isEjected("h1", 3)).toBe(false);
    expect(copy.host("h1")?.c5xx).toBe(0);
  });
});

describe("CircuitView", () => {
  function view(opts: { refreshMs?: number; flushMs?: number; fail?: boolean } = {}) {
    let t = 0;
    const sent: CircuitReport[] = [];
    let fetches = 0;
    const shared = new OutlierState(config({ maxEjectionPercent: 100 }), 0);
    const waits: Array<Promise<unknown>> = [];
    const snapshot = (): CircuitSnapshot => ({ ejected: shared.ejected(t), version: shared.version });
    const v = new CircuitView({
      now: () => t,
      config: config({ maxEjectionPercent: 100 }),
      hosts: ["a", "b"],
      refreshMs: opts.refreshMs ?? 1000,
      flushMs: opts.flushMs ?? 1000,
      fetchState: async () => {
        fetches++;
        if (opts.fail) throw new Error("down");
        return snapshot();
      },
      sendReports: async (batch) => {
        sent.push(batch);
        if (opts.fail) throw new Error("down");
        shared.setHosts(batch.hosts ?? [], t);
        for (const [k, o] of batch.outcomes) shared.record(k, o, t);
        return snapshot();
      },
    });
    const sync = async () => {
      v.sync((p) => waits.push(p));
      await Promise.all(waits.splice(0));
    };
    return { v, sent, sync, fetches: () => fetches, at: (ms: number) => (t = ms), shared };
  }

  it("starts empty and never waits: the first sync fetches in the background", async () => {
    const { v, sync, fetches } = view();
    expect(v.isEjected("a")).toBe(false);
    expect(v.ejectedPredicate(["a", "b"])).toBeUndefined();
    await sync();
    expect(fetches()).toBe(1);
    await sync();
    expect(fetches()).toBe(1); // refreshed at most every refreshMs
  });

  it("errors are sent at the next sync; the returned state ejects", async () => {
    const { v, sent, sync, at } = view();
    at(10);
    for (let i = 0; i < 5; i++) v.record("a", "5xx");
    await sync();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.outcomes).toHaveLength(5);
    expect(sent[0]!.hosts).toEqual(["a", "b"]);
    expect(v.isEjected("a")).toBe(true);
    const pred = v.ejectedPredicate(["b", "a"])!;
    expect([pred(0), pred(1)]).toEqual([false, true]);
    // The cached entry expires locally at its un-ejection time (the first sweep ≥ 30 s after 10 ms).
    expect(v.snapshot.ejected).toEqual({ a: 40_000 });
    at(40_000);
    expect(v.isEjected("a")).toBe(false);
    expect(v.ejectedPredicate(["a", "b"])).toBeUndefined();
  });

  it("successes are batched until flushMs", async () => {
    const { v, sent, sync, at } = view({ refreshMs: 60_000, flushMs: 1000 });
    at(0);
    await sync(); // initial fetch
    at(100);
    v.record("a", "success");
    await sync();
    expect(sent).toHaveLength(0);
    at(1100);
    await sync();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.outcomes).toEqual([["a", "success"]]);
  });

  it("overflows (undefined outcomes) are not recorded", async () => {
    const { v, sent, sync } = view();
    v.record("a", undefined);
    await sync();
    expect(sent).toHaveLength(0);
  });

  it("a failing Circuit keeps the old state and retries after refreshMs", async () => {
    const { v, sync, fetches, at } = view({ fail: true });
    await sync();
    await sync();
    expect(fetches()).toBe(1);
    at(1000);
    await sync();
    expect(fetches()).toBe(2);
    expect(v.snapshot).toEqual({ ejected: {}, version: 0 });
  });

  it("one call in flight at a time", () => {
    const { v } = view();
    const waits: Array<Promise<unknown>> = [];
    v.record("a", "5xx");
    v.sync((p) => waits.push(p));
    v.record("a", "5xx");
    v.sync((p) => waits.push(p));
    expect(waits).toHaveLength(1);
  });
});
