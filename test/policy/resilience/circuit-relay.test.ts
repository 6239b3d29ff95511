/**
 * Circuits aggregated per location (docs/scale.md): isolates report to their location's relay (a
 * Circuit object named `relay:<colo>:<cluster>`), which forwards to the cluster's Circuit at most once
 * per RELAY_FORWARD_MS and answers from the state it last got back. Real objects in workerd, with the
 * relay's clock passed in.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Circuit } from "../../../src/durable/circuit.js";
import { RELAY_FORWARD_MS, relayName, type CircuitReport } from "../../../src/policy/outlier/circuit-api.js";
import { compileOutlierDetection } from "../../../src/config/compile/outlier-detection.js";

let seq = 0;
const cluster = () => `outbound|8080||relay-test-${Date.now()}-${++seq}.default.svc.cluster.local`;
const config = compileOutlierDetection({ consecutive5xxErrors: 3, maxEjectionPercent: 100 })!;
const hosts = ["10.0.0.1:8080", "10.0.0.2:8080"];
const err = (key = "10.0.0.1:8080"): CircuitReport => ({ config, hosts, outcomes: [[key, "5xx"]] });

describe("Circuit location relays", () => {
  it("forward at most once per interval; buffered outcomes go with the next forward", async () => {
    const c = cluster();
    const relay = env.CIRCUIT.getByName(relayName("AMS", c));
    const global = env.CIRCUIT.getByName(c);
    const t0 = Date.now();
    // Three errors in three calls within one interval: the first is forwarded at once, the others wait.
    expect(await relay.relay(c, err(), t0)).toEqual({ ejected: {}, version: 0 });
    await relay.relay(c, err(), t0 + 10);
    await relay.relay(c, err(), t0 + 20);
    expect((await global.state()).version).toBe(0);
    // The next call after the interval forwards the buffer: the endpoint is ejected mesh-wide.
    const after = await relay.relay(c, undefined, t0 + RELAY_FORWARD_MS);
    expect(Object.keys(after.ejected)).toEqual(["10.0.0.1:8080"]);
    expect(Object.keys((await global.state()).ejected)).toEqual(["10.0.0.1:8080"]);
  });

  it("an ejection decided through one location reaches another within one relay interval", async () => {
    const c = cluster();
    const ams = env.CIRCUIT.getByName(relayName("AMS", c));
    const sjc = env.CIRCUIT.getByName(relayName("SJC", c));
    const t0 = Date.now();
    expect((await sjc.relay(c, { config, hosts, outcomes: [] }, t0)).version).toBe(0);
    const ejected = await ams.relay(c, { config, hosts, outcomes: [["10.0.0.2:8080", "5xx"], ["10.0.0.2:8080", "5xx"], ["10.0.0.2:8080", "5xx"]] }, t0);
    expect(Object.keys(ejected.ejected)).toEqual(["10.0.0.2:8080"]);
    // SJC answers from what it last saw until its interval is over, then from the shared state.
    expect((await sjc.relay(c, undefined, t0 + RELAY_FORWARD_MS - 1)).version).toBe(0);
    expect(Object.keys((await sjc.relay(c, undefined, t0 + RELAY_FORWARD_MS)).ejected)).toEqual(["10.0.0.2:8080"]);
  });

  it("buffered outcomes are forwarded by the relay's alarm when no further call comes", async () => {
    const c = cluster();
    const relay = env.CIRCUIT.getByName(relayName("FRA", c));
    const t0 = Date.now();
    await relay.relay(c, err(), t0);
    await relay.relay(c, err(), t0 + 1);
    await relay.relay(c, err(), t0 + 2);
    const alarm = await runInDurableObject(relay, (_o: Circuit, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    await runInDurableObject(relay, (o: Circuit) => o.alarm());
    expect(Object.keys((await env.CIRCUIT.getByName(c).state()).ejected)).toEqual(["10.0.0.1:8080"]);
  });

  it("malformed input is refused or ignored, never stored", async () => {
    const c = cluster();
    const relay = env.CIRCUIT.getByName(relayName("LHR", c));
    expect(await relay.relay("", err())).toEqual({ ejected: {}, version: 0 });
    const bad = { config, hosts, outcomes: [["10.0.0.1:8080", "boom"], [42, "5xx"], "x"] } as unknown as CircuitReport;
    expect(await relay.relay(c, bad)).toEqual({ ejected: {}, version: 0 });
  });
});
