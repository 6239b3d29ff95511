/**
 * The files of the vitest project `isthmus` share workerd runtimes; test/fresh-mesh.ts starts each from a
 * fresh mesh (test/helpers/fresh-mesh.ts). This file checks both halves: what it finds when it starts
 * (whatever file ran before it in this runtime), and that the reset wipes what a file leaves behind.
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import * as isolateModule from "../src/gateway/runtime/isolate.js";
import * as liveConfigModule from "../src/gateway/runtime/live-config.js";
import { admin, applyYaml, BOOKINFO_YAML, version } from "./helpers/admin.js";
import { configPointerKey, freshMesh } from "./helpers/fresh-mesh.js";

const productpage = () => exports.default.fetch("http://gw/productpage", { headers: { host: "bookinfo.local" } });
const history = async () => ((await (await admin("/history")).json()) as { items: unknown[] }).items;
/** The mesh-wide request count (every metrics shard, merged) as `GET /_mesh/metrics` reports it. */
const requestSeries = async () => (await (await admin("/metrics")).text()).split("\n").filter((l) => l.startsWith("istio_requests_total{"));
/** What a test left in the RateLimiter and Circuit objects it used, by namespace. */
async function leftBehind(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of ["RATE_LIMITER", "CIRCUIT"] as const) {
    out[name] = await runInDurableObject(env[name].getByName("left-behind") as DurableObjectStub, (_o, state) => state.storage.get("k"));
  }
  return out;
}
async function leaveBehind(): Promise<void> {
  for (const name of ["RATE_LIMITER", "CIRCUIT"] as const) {
    await runInDurableObject(env[name].getByName("left-behind") as DurableObjectStub, (_o, state) => state.storage.put("k", 1));
  }
}

describe("every file of the shared runtimes starts from a fresh mesh", () => {
  it("starts with fresh gateway modules, no location pointer, and empty Durable Objects", async () => {
    // Before this file's first request: no config followed by this file's module instances.
    expect(liveConfigModule.followerStats()).toMatchObject({ storeHeads: 0, storeSnapshots: 0, tierPointerReads: 0 });
    expect(await caches.default.match(configPointerKey())).toBeUndefined();
    expect(await version()).toBe(0);
    expect(await history()).toEqual([]);
    expect(await requestSeries()).toEqual([]);
    expect(await leftBehind()).toEqual({ RATE_LIMITER: undefined, CIRCUIT: undefined });
  });

  it("wipes the storage, location pointer and gateway module state a file leaves behind", async () => {
    expect((await applyYaml(BOOKINFO_YAML)).status).toBe(200);
    expect((await productpage()).status).toBe(200);
    await leaveBehind();
    expect(await leftBehind()).toEqual({ RATE_LIMITER: 1, CIRCUIT: 1 });
    expect(await version()).toBeGreaterThan(0);
    expect(await requestSeries()).not.toEqual([]);
    // The gateway served with this file's module instances: the config it follows is this file's.
    expect(liveConfigModule.followerStats().storeHeads).toBeGreaterThan(0);
    await expect.poll(() => caches.default.match(configPointerKey())).toBeDefined();

    await freshMesh();

    expect(await caches.default.match(configPointerKey())).toBeUndefined();
    const fresh = await import("../src/gateway/runtime/isolate.js");
    expect(fresh.isolate).not.toBe(isolateModule.isolate);
    expect(fresh.isolate.jwks).not.toBe(isolateModule.isolate.jwks);
    expect((await import("../src/gateway/runtime/live-config.js")).followerStats().storeHeads).toBe(0);
    expect(await leftBehind()).toEqual({ RATE_LIMITER: undefined, CIRCUIT: undefined });
    expect(await version()).toBe(0);
    expect(await history()).toEqual([]);
    expect(await requestSeries()).toEqual([]);
    // The gateway answers from the fresh modules and the empty store: Bookinfo is not routed any more.
    expect((await productpage()).status).toBe(404);
  });
});
