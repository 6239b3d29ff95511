/**
 * Config through the location tier (docs/scale.md): followers (one per simulated isolate) over a real
 * ConfigStore Durable Object and a real Cache API cache in workerd (one `caches.open` per simulated
 * location). One isolate per location per pointer TTL asks the store; cold isolates load snapshots from
 * their location; a tier outage or miss falls back to the store; a store outage keeps serving.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Resource } from "../../src/config/resource.js";
import type { ConfigStoreApi, VersionedSnapshot } from "../../src/config/store-api.js";
import { ConfigFollower } from "../../src/gateway/runtime/config-follower.js";
import { cacheTier, locationTier, type ConfigTier } from "../../src/gateway/runtime/config-tier.js";
import { applyYaml, version } from "../helpers/admin.js";

let seq = 0;
const unique = (what: string) => `${what}-${Date.now()}-${++seq}`;

const se = (name: string): Resource => ({
  apiVersion: "networking.istio.io/v1",
  kind: "ServiceEntry",
  metadata: { name, namespace: "default" },
  spec: { hosts: [`${name}.example.internal`], resolution: "STATIC", ports: [{ number: 80, name: "http", protocol: "HTTP" }], endpoints: [{ address: "127.0.0.1" }] },
});

interface Served { version: number; epoch?: number; json: string }

/** A store whose calls can be made to fail, over a real ConfigStore object of its own. */
function outageStore(name = unique("tier-store")) {
  const real = env.CONFIG_STORE.getByName(name) as unknown as ConfigStoreApi;
  const state = { down: false };
  const guard = <T>(f: () => Promise<T>) => (state.down ? Promise.reject(new Error("store unavailable")) : f());
  return {
    real,
    state,
    api: { head: () => guard(() => real.head()), snapshot: (v?: number) => guard(() => real.snapshot(v)) },
  };
}

/** A tier whose calls can be made to fail. */
function outageTier(inner: ConfigTier) {
  const state = { down: false };
  const guard = <T>(f: () => Promise<T>) => (state.down ? Promise.reject(new Error("cache unavailable")) : f());
  const tier: ConfigTier = {
    readPointer: () => guard(() => inner.readPointer()),
    writePointer: (p) => guard(() => inner.writePointer(p)),
    readSnapshot: (h) => guard(() => inner.readSnapshot(h)),
    writeSnapshot: (h, j) => guard(() => inner.writeSnapshot(h, j)),
  };
  return { tier, state };
}

function follower(store: Pick<ConfigStoreApi, "head" | "snapshot">, tier: ConfigTier | undefined, clock: { t: number }, replica?: Pick<ConfigStoreApi, "replica">) {
  return new ConfigFollower<Served>({
    store: () => store,
    tier: () => tier,
    replica: () => replica,
    install: (vs: VersionedSnapshot) => ({ version: vs.version, epoch: vs.epoch, json: vs.json }),
    now: () => clock.t,
  });
}

async function location(name = unique("loc")) {
  return cacheTier(await caches.open(name), "scope");
}

describe("config through the location tier", () => {
  it("one isolate per location asks the store; the others read the pointer and the snapshot from the cache", async () => {
    const { real, api } = outageStore();
    const v = (await real.apply([se(unique("a"))])) as { version: number };
    const clock = { t: 1_000_000 };
    const loc = await location();
    const isolates = Array.from({ length: 8 }, () => follower(api, loc, clock));
    await isolates[0]!.refresh();
    for (const f of isolates.slice(1)) await f.refresh();
    for (const f of isolates) expect(f.current?.version).toBe(v.version);
    const sum = (k: "storeHeads" | "storeSnapshots" | "tierSnapshotHits") => isolates.reduce((n, f) => n + f.stats[k], 0);
    expect(sum("storeHeads")).toBe(1);
    expect(sum("storeSnapshots")).toBe(1);
    expect(sum("tierSnapshotHits")).toBe(7);

    // Within the pointer TTL nobody asks again; after it, one isolate does.
    clock.t += 600;
    for (const f of isolates) await f.refresh();
    expect(sum("storeHeads")).toBe(1);
    clock.t += 600;
    for (const f of isolates) await f.refresh();
    expect(sum("storeHeads")).toBe(2);
  });

  it("converges after an apply within refresh interval + pointer TTL, fetching the new snapshot once per location", async () => {
    const { real, api } = outageStore();
    await real.apply([se(unique("b"))]);
    const clock = { t: 2_000_000 };
    const locs = [await location(), await location()];
    const isolates = locs.flatMap((loc) => Array.from({ length: 4 }, () => follower(api, loc, clock)));
    for (const f of isolates) await f.refresh();
    const applied = (await real.apply([se(unique("b2"))])) as { version: number };
    const snapshotsBefore = isolates.reduce((n, f) => n + f.stats.storeSnapshots, 0);
    const appliedAt = clock.t;
    // Isolates check every 500 ms; advance in 100 ms steps until all serve the new version.
    while (isolates.some((f) => f.current!.version < applied.version)) {
      clock.t += 100;
      for (const f of isolates) if (clock.t % 500 === 0) await f.refresh();
      expect(clock.t - appliedAt).toBeLessThanOrEqual(2000);
    }
    expect(clock.t - appliedAt).toBeLessThanOrEqual(1500);
    // One store snapshot per location; the rest came from the location's cache.
    expect(isolates.reduce((n, f) => n + f.stats.storeSnapshots, 0) - snapshotsBefore).toBe(2);
  });

  it("snapshot loads go through a read replica: the store serves one load per replica, not one per location", async () => {
    const name = unique("tier-store");
    const { real, api } = outageStore(name);
    await real.apply([se(unique("r"))]);
    const replicaStub = env.CONFIG_STORE.getByName(unique("replica")) as unknown as ConfigStoreApi;
    const replica = { replica: (h: Parameters<ConfigStoreApi["replica"]>[0]) => replicaStub.replica(h, name) };
    const clock = { t: 2_500_000 };
    const locs = [await location(), await location(), await location()];
    const isolates = locs.flatMap((loc) => [follower(api, loc, clock, replica), follower(api, loc, clock, replica)]);
    await Promise.all(isolates.map((f) => f.refresh()));
    const v = (await real.apply([se(unique("r2"))])) as { version: number };
    clock.t += 1500;
    for (const f of isolates) await f.refresh();
    for (const f of isolates) expect(f.current?.version).toBe(v.version);
    // Each location loaded the new version once, from the replica; the store served none of them.
    expect(isolates.reduce((n, f) => n + f.stats.replicaLoads, 0)).toBeGreaterThanOrEqual(3);
    expect(isolates.reduce((n, f) => n + f.stats.storeSnapshots, 0)).toBe(0);
    // A replica that fails sends the isolate to the store.
    const broken = { replica: () => Promise.reject(new Error("replica down")) };
    const g = follower(api, await location(), clock, broken);
    await g.refresh();
    expect(g.current?.version).toBe(v.version);
    expect(g.stats.replicaErrors).toBe(1);
    expect(g.stats.storeSnapshots).toBe(1);
  });

  it("a cache miss (snapshot evicted) falls back to the store and fills the cache again", async () => {
    const { real, api } = outageStore();
    const v = (await real.apply([se(unique("c"))])) as { version: number };
    const clock = { t: 3_000_000 };
    const name = unique("loc");
    const cache = await caches.open(name);
    const loc = cacheTier(cache, "scope");
    const a = follower(api, loc, clock);
    await a.refresh();
    const head = await real.head();
    expect(await cache.delete(`https://config.isthmus.internal/scope/snapshot/${head.epoch}/${head.version}-${head.hash}`)).toBe(true);
    const b = follower(api, loc, clock);
    await b.refresh();
    expect(b.current?.version).toBe(v.version);
    expect(b.stats.storeSnapshots).toBe(1);
    expect(await loc.readSnapshot(head)).toBeDefined();
  });

  it("a snapshot copy that does not match its hash is not served", async () => {
    const { real, api } = outageStore();
    await real.apply([se(unique("h"))]);
    const clock = { t: 3_500_000 };
    const loc = await location();
    const head = await real.head();
    await loc.writePointer({ ...head, checkedAt: clock.t });
    await loc.writeSnapshot(head, JSON.stringify({ tampered: true }));
    const f = follower(api, loc, clock);
    await f.refresh();
    expect(f.stats.tierSnapshotHits).toBe(0);
    expect(f.stats.storeSnapshots).toBe(1);
    expect(JSON.parse(f.current!.json)).not.toEqual({ tampered: true });
  });

  it("a tier outage falls back to the store, with the same result", async () => {
    const { real, api } = outageStore();
    const v = (await real.apply([se(unique("d"))])) as { version: number };
    const clock = { t: 4_000_000 };
    const { tier, state } = outageTier(await location());
    state.down = true;
    const f = follower(api, tier, clock);
    await f.refresh();
    expect(f.current?.version).toBe(v.version);
    expect(f.stats.tierErrors).toBeGreaterThan(0);
    expect(f.stats.storeHeads).toBe(1);
    expect(f.stats.storeSnapshots).toBe(1);
    // Still down: every check asks the store, and a new version arrives.
    const v2 = (await real.apply([se(unique("d2"))])) as { version: number };
    clock.t += 500;
    await f.refresh();
    expect(f.current?.version).toBe(v2.version);
  });

  it("a store outage keeps the served snapshot; a cold isolate starts from its location's copy", async () => {
    const { real, api, state } = outageStore();
    const v = (await real.apply([se(unique("e"))])) as { version: number };
    const clock = { t: 5_000_000 };
    const loc = await location();
    const warm = follower(api, loc, clock);
    await warm.refresh();
    state.down = true;
    clock.t += 5000; // the pointer is stale: the next check goes to the (failing) store
    await expect(warm.refresh()).rejects.toThrow(/store unavailable/);
    expect(warm.current?.version).toBe(v.version);

    clock.t += 1000; // past the failed isolate's claim
    const cold = follower(api, loc, clock);
    await cold.refresh();
    expect(cold.current?.version).toBe(v.version);
    expect(cold.stats.storeErrors).toBe(1);

    // Store and tier both down: a cold isolate has nothing to serve and says so.
    const { tier, state: tierState } = outageTier(loc);
    tierState.down = true;
    await expect(follower(api, tier, clock).refresh()).rejects.toThrow(/store unavailable/);
  });

  it("a stale pointer is claimed: the other isolates of the location keep off the store meanwhile", async () => {
    const { real, api } = outageStore();
    await real.apply([se(unique("f"))]);
    const clock = { t: 6_000_000 };
    const loc = await location();
    const isolates = Array.from({ length: 5 }, () => follower(api, loc, clock));
    await isolates[0]!.refresh();
    clock.t += 1500;
    // The first isolate to find the pointer stale claims it before asking the store.
    for (const f of isolates) await f.refresh();
    expect(isolates.reduce((n, f) => n + f.stats.storeHeads, 0)).toBe(2);
    // The claim alone (an isolate that died asking) keeps the others off for claimMs only.
    clock.t += 1500;
    const pointer = (await loc.readPointer())!;
    await loc.writePointer({ ...pointer, checkedAt: clock.t - 1000 + 250 });
    for (const f of isolates.slice(1)) await f.refresh();
    expect(isolates.reduce((n, f) => n + f.stats.storeHeads, 0)).toBe(2);
    clock.t += 300;
    for (const f of isolates.slice(1)) await f.refresh();
    expect(isolates.reduce((n, f) => n + f.stats.storeHeads, 0)).toBe(3);
  });

  it("versions of another store lineage are adopted from the store only", async () => {
    const a = outageStore();
    const b = outageStore();
    await a.real.apply([se(unique("g1")), se(unique("g2")), se(unique("g3"))]);
    await a.real.apply([se(unique("g4"))]);
    const headB = (await b.real.apply([se(unique("g5"))])) as { version: number };
    const clock = { t: 7_000_000 };
    const loc = await location();
    const f = follower(a.api, loc, clock);
    await f.refresh();
    const epochA = f.current!.epoch;
    // The same location now fronts store b (a wiped store counts from 1 again under a new epoch).
    const g = follower(b.api, loc, clock);
    await g.refresh(); // fresh pointer of lineage a: a cold isolate takes it ...
    expect(g.current?.epoch).toBe(epochA);
    clock.t += 1500; // ... until the pointer is stale and the store answers with its lineage
    await g.refresh();
    expect(g.current?.version).toBe(headB.version);
    expect(g.current?.epoch).not.toBe(epochA);
    // A fresh pointer of the old lineage does not move it back.
    await loc.writePointer({ ...(await a.real.head()), checkedAt: clock.t });
    clock.t += 500;
    await g.refresh();
    expect(g.current?.epoch).not.toBe(epochA);
  });

  it("the gateway fills its location's cache and keeps read-your-writes", async () => {
    const name = unique("rw");
    const res = await applyYaml(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: default}
spec: {hosts: [${name}.example.internal], resolution: STATIC, ports: [{number: 80, name: http, protocol: HTTP}], endpoints: [{address: 127.0.0.1}]}
`);
    expect(res.status).toBe(200);
    const applied = ((await res.json()) as { version: number }).version;
    expect(await version()).toBe(applied);
    const dump = (await (await exports.default.fetch("http://gateway.test/_mesh/config_dump", { headers: { authorization: "Bearer test-admin-token" } })).json()) as { version: number };
    expect(dump.version).toBe(applied);
    // A request makes the isolate check its location (in the background); the pointer then names the store's head.
    await exports.default.fetch("http://nowhere.test/");
    const tier = locationTier(env)!;
    let pointer = await tier.readPointer();
    for (let i = 0; i < 20 && pointer?.version !== applied; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await exports.default.fetch("http://nowhere.test/");
      pointer = await tier.readPointer();
    }
    expect(pointer?.version).toBe(applied);
    expect(await tier.readSnapshot(pointer!)).toBeDefined();
  });
});
