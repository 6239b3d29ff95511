/**
 * The Circuit Durable Object for real (workerd, SQLite storage, RPC): report/state round trip, one
 * object per cluster, malformed outcomes ignored, the state surviving a new instance, and a CircuitView
 * wired to it the way the gateway wires it (background calls only).
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Circuit } from "../../../src/durable/circuit.js";
import type { CircuitReport } from "../../../src/policy/outlier/circuit-api.js";
import { CircuitView } from "../../../src/policy/outlier/circuit-view.js";
import { compileOutlierDetection } from "../../../src/config/compile/outlier-detection.js";

let seq = 0;
const cluster = () => `outbound|8080||circuit-test-${Date.now()}-${++seq}.default.svc.cluster.local`;
const config = compileOutlierDetection({ consecutive5xxErrors: 3, maxEjectionPercent: 100 })!;
const hosts = ["10.0.0.1:8080", "10.0.0.2:8080"];

describe("Circuit Durable Object", () => {
  it("report / state round trip", async () => {
    const stub = env.CIRCUIT.getByName(cluster());
    expect(await stub.state()).toEqual({ ejected: {}, version: 0 });

    const before = Date.now();
    const r = await stub.report({ config, hosts, outcomes: [["10.0.0.1:8080", "5xx"], ["10.0.0.1:8080", "gateway-error"], ["10.0.0.2:8080", "success"]] });
    expect(r).toEqual({ ejected: {}, version: 0 });

    const ejected = await stub.report({ config, hosts, outcomes: [["10.0.0.1:8080", "5xx"]] });
    expect(Object.keys(ejected.ejected)).toEqual(["10.0.0.1:8080"]);
    expect(ejected.version).toBe(1);
    // Back on the first 10 s sweep after 30 s.
    const until = ejected.ejected["10.0.0.1:8080"]!;
    expect(until).toBeGreaterThanOrEqual(before + 30_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 40_000);

    expect(await stub.state()).toEqual(ejected);
  });

  it("one object per cluster", async () => {
    const a = env.CIRCUIT.getByName(cluster());
    const b = env.CIRCUIT.getByName(cluster());
    await a.report({ config, hosts, outcomes: [["10.0.0.1:8080", "5xx"], ["10.0.0.1:8080", "5xx"], ["10.0.0.1:8080", "5xx"]] });
    expect(Object.keys((await a.state()).ejected)).toHaveLength(1);
    expect(await b.state()).toEqual({ ejected: {}, version: 0 });
  });

  it("Istio defaults: with fewer than 10 endpoints nothing is ejected", async () => {
    const stub = env.CIRCUIT.getByName(cluster());
    const outcomes: CircuitReport["outcomes"] = Array.from({ length: 20 }, () => ["10.0.0.1:8080", "gateway-error"]);
    expect(await stub.report({ config: compileOutlierDetection({})!, hosts, outcomes })).toEqual({ ejected: {}, version: 0 });
  });

  it("ignores malformed outcomes", async () => {
    const stub = env.CIRCUIT.getByName(cluster());
    const bad = { config, hosts, outcomes: [["10.0.0.1:8080", "boom"], [42, "5xx"], ["10.0.0.1:8080", "5xx"]] } as unknown as CircuitReport;
    expect(await stub.report(bad)).toEqual({ ejected: {}, version: 0 });
  });

  it("keeps the ejected set in SQLite: a new instance reads it back", async () => {
    const stub = env.CIRCUIT.getByName(cluster());
    const r = await stub.report({ config, hosts, outcomes: [["10.0.0.2:8080", "5xx"], ["10.0.0.2:8080", "5xx"], ["10.0.0.2:8080", "5xx"]] });
    const reloaded = await runInDurableObject(stub, async (_instance: Circuit, state) => {
      const copy = new Circuit(state, env);
      return copy.state();
    });
    expect(reloaded).toEqual(r);
  });

  it("a CircuitView reports and refreshes in the background", async () => {
    const name = cluster();
    const waits: Array<Promise<unknown>> = [];
    const view = new CircuitView({
      config,
      hosts,
      now: () => Date.now(),
      fetchState: () => env.CIRCUIT.getByName(name).state(),
      sendReports: (batch) => env.CIRCUIT.getByName(name).report(batch),
    });
    for (let i = 0; i < 3; i++) {
      // One "request" each: check the cache, record the outcome, sync without waiting.
      expect(view.isEjected("10.0.0.1:8080")).toBe(false);
      view.record("10.0.0.1:8080", "gateway-error");
      view.sync((p) => waits.push(p));
      await Promise.all(waits.splice(0));
    }
    expect(view.isEjected("10.0.0.1:8080")).toBe(true);
    expect(view.isEjected("10.0.0.2:8080")).toBe(false);
    expect(await env.CIRCUIT.getByName(name).state()).toEqual(view.snapshot);
  });
});
