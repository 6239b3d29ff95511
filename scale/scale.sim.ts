/**
 * `npm run scale`: many simulated isolates in many simulated locations, on one simulated clock, driving
 * the real Durable Object classes (ConfigStore, RateLimiter, Circuit) and the real Cache API in workerd,
 * through the same code the gateway runs (ConfigFollower, leasingStore, CircuitView). Measures calls per
 * second per object, convergence after an apply, over-admission (must be 0) and stranded budget of a hot
 * global limit, and the ejection delay; prints a report (docs/scale.md explains it and extrapolates).
 *
 * Isolates of one location act one after another within a tick (as their checks are spread in time in
 * reality); locations act concurrently. Sizes: SCALE_LOCATIONS × SCALE_ISOLATES (defaults below) — kept
 * small enough to finish in about a minute on a shared 2-core machine.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Resource } from "../src/config/resource.js";
import type { ConfigStoreApi, VersionedSnapshot } from "../src/config/store-api.js";
import { ConfigFollower } from "../src/gateway/runtime/config-follower.js";
import { cacheTier, type ConfigTier } from "../src/gateway/runtime/config-tier.js";
import type { GlobalRateLimitStore } from "../src/policy/ratelimit/global-store.js";
import { LeaseBook, leasingStore } from "../src/policy/ratelimit/lease-book.js";
import type { Limit } from "../src/policy/ratelimit/limit.js";
import type { TakeAllAnswer } from "../src/durable/rate-limiter.js";
import { CircuitView } from "../src/policy/outlier/circuit-view.js";
import { relayName, type CircuitSnapshot } from "../src/policy/outlier/circuit-api.js";
import { compileOutlierDetection } from "../src/config/compile/outlier-detection.js";

const LOCATIONS = 24;
const ISOLATES_PER_LOCATION = 50;
/** Config checks cost Cache API calls, the slowest part to simulate: fewer isolates there. */
const CONFIG_ISOLATES_PER_LOCATION = 20;
const ISOLATES = LOCATIONS * ISOLATES_PER_LOCATION;
const RUN = `${Date.now()}`;

/** Calls per object per simulated second. */
class CallMeter {
  private readonly bySecond = new Map<string, Map<number, number>>();
  count(object: string, now: number): void {
    const s = Math.floor(now / 1000);
    let m = this.bySecond.get(object);
    if (!m) this.bySecond.set(object, (m = new Map()));
    m.set(s, (m.get(s) ?? 0) + 1);
  }
  /** The busiest object's busiest whole second (objects matching `filter`). */
  max(filter: (object: string) => boolean = () => true): { object: string; perSecond: number } {
    let best = { object: "", perSecond: 0 };
    for (const [object, m] of this.bySecond) {
      if (!filter(object)) continue;
      for (const n of m.values()) if (n > best.perSecond) best = { object, perSecond: n };
    }
    return best;
  }
  /** Mean calls per second of one object over `seconds`. */
  mean(object: string, seconds: number): number {
    const m = this.bySecond.get(object);
    return m ? [...m.values()].reduce((a, b) => a + b, 0) / seconds : 0;
  }
  objects(filter: (object: string) => boolean = () => true): string[] {
    return [...this.bySecond.keys()].filter(filter);
  }
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

const report: string[] = [];
const line = (s: string) => {
  report.push(s);
  console.log(s);
};

/** Runs `f` for every location concurrently, and for every isolate of a location one after another. */
async function eachLocation<T>(isolates: T[][], f: (isolate: T, location: number, index: number) => Promise<void> | void): Promise<void> {
  await Promise.all(isolates.map(async (list, loc) => {
    for (let i = 0; i < list.length; i++) await f(list[i]!, loc, i);
  }));
}

const se = (name: string): Resource => ({
  apiVersion: "networking.istio.io/v1",
  kind: "ServiceEntry",
  metadata: { name, namespace: "default" },
  spec: { hosts: [`${name}.example.internal`], resolution: "STATIC", ports: [{ number: 80, name: "http", protocol: "HTTP" }], endpoints: [{ address: "127.0.0.1" }] },
});

describe(`scale simulation: ${LOCATIONS} locations × ${ISOLATES_PER_LOCATION} isolates = ${ISOLATES} isolates`, () => {
  it("config: calls per second on the ConfigStore, convergence after an apply", async () => {
    const meter = new CallMeter();
    const clock = { t: 1_000_000 };
    const real = env.CONFIG_STORE.getByName(`scale-${RUN}`) as unknown as ConfigStoreApi;
    await real.apply(Array.from({ length: 50 }, (_, i) => se(`svc-${i}`)));
    const store = {
      head: () => (meter.count("ConfigStore", clock.t), real.head()),
      snapshot: (v?: number) => (meter.count("ConfigStore", clock.t), meter.count("ConfigStore.snapshot", clock.t), real.snapshot(v)),
    };
    const tiers: ConfigTier[] = [];
    for (let l = 0; l < LOCATIONS; l++) {
      const inner = cacheTier(await caches.open(`scale-${RUN}-loc-${l}`), "sim");
      const name = `cache@loc-${l}`;
      tiers.push({
        readPointer: () => (meter.count(name, clock.t), inner.readPointer()),
        writePointer: (p) => (meter.count(name, clock.t), inner.writePointer(p)),
        readSnapshot: (h) => (meter.count(name, clock.t), inner.readSnapshot(h)),
        writeSnapshot: (h, j) => (meter.count(name, clock.t), inner.writeSnapshot(h, j)),
      });
    }
    // Snapshot read replicas (9, as the gateway has: one per region hint); location l uses replica l % 9.
    const replicas = Array.from({ length: 9 }, (_, i) => {
      const stub = env.CONFIG_STORE.getByName(`scale-${RUN}-replica-${i}`) as unknown as ConfigStoreApi;
      return { replica: (h: Parameters<ConfigStoreApi["replica"]>[0]) => (meter.count(`replica-${i}`, clock.t), stub.replica(h, `scale-${RUN}`)) };
    });
    type Iso = { f: ConfigFollower<{ version: number; epoch?: number }>; phase: number; convergedAt?: number };
    const isolates: Iso[][] = tiers.map((tier, l) =>
      Array.from({ length: CONFIG_ISOLATES_PER_LOCATION }, () => ({
        f: new ConfigFollower({ store: () => store, tier: () => tier, replica: () => replicas[l % replicas.length], install: (vs: VersionedSnapshot) => ({ version: vs.version, epoch: vs.epoch }), now: () => clock.t }),
        phase: Math.floor(Math.random() * 10) * 50,
      })));

    const tickMs = 50;
    const seconds = 5;
    // Any moment of the pointers' second (the worst is just after a location's pointer was refreshed).
    const applyAt = clock.t + 2000 + Math.floor(Math.random() * 20) * 50;
    let applied = Infinity;
    const end = clock.t + seconds * 1000;
    while (clock.t < end) {
      if (clock.t >= applyAt && applied === Infinity) {
        applied = ((await real.apply([se(`svc-new-${RUN}`)])) as { version: number }).version;
      }
      await eachLocation(isolates, async (iso) => {
        // A busy isolate: a request every tick; the follower decides whether a check is due.
        if (clock.t % 500 !== iso.phase) return;
        const pending: Promise<unknown>[] = [];
        const served = iso.f.serve((p) => pending.push(p), () => undefined);
        if (served instanceof Promise) await served;
        await Promise.all(pending);
        if (iso.convergedAt === undefined && iso.f.current!.version >= applied) iso.convergedAt = clock.t - applyAt;
      });
      clock.t += tickMs;
    }
    const convergence = isolates.flat().map((i) => i.convergedAt ?? Infinity);
    const steady = meter.max((o) => o === "ConfigStore");
    const cache = meter.max((o) => o.startsWith("cache@"));
    const configIsolates = LOCATIONS * CONFIG_ISOLATES_PER_LOCATION;
    line(`config: ConfigStore busiest second ${steady.perSecond} calls (${LOCATIONS} locations, ${configIsolates} isolates; store-only design: ~${configIsolates} /s)`);
    const replicaMax = meter.max((o) => o.startsWith("replica-"));
    line(`config: ConfigStore mean ${meter.mean("ConfigStore", seconds).toFixed(1)} calls/s; snapshot loads from the store by isolates ${meter.mean("ConfigStore.snapshot", seconds) * seconds} in ${seconds} s; busiest replica ${replicaMax.perSecond} loads/s (each replica loads a version from the store once)`);
    line(`config: busiest location cache ${cache.perSecond} ops/s`);
    line(`config: convergence after an apply p50 ${percentile(convergence, 50)} ms, p99 ${percentile(convergence, 99)} ms, max ${Math.max(...convergence)} ms`);
    expect(Math.max(...convergence)).toBeLessThanOrEqual(2000);
    expect(steady.perSecond).toBeLessThanOrEqual(LOCATIONS * 3);
  });

  it("global limit on a hot key: calls per object, over-admission, stranded budget", async () => {
    const meter = new CallMeter();
    const clock = { t: 2_000_000_000_000 };
    const prefix = `scale-${RUN}`;
    const kinds = { renewals: 0, awaited: 0 };
    const store: GlobalRateLimitStore = {
      async take(shard, key, takes) {
        meter.count(shard, clock.t);
        if (takes.every((t) => t.cost === 0)) kinds.renewals++;
        else kinds.awaited++;
        const answer = (await env.RATE_LIMITER.getByName(`${prefix}/${shard}`).takeAll(key, takes, clock.t)) as TakeAllAnswer;
        if ("error" in answer) throw new Error(answer.error);
        return answer.results;
      },
    };
    // Demand: every isolate sends ~8 req/s on one key (ISOLATES × 8 in all); the limit admits 3/4 of it.
    const perIsolate = 8;
    const demand = ISOLATES * perIsolate;
    const limit: Limit = { type: "fixedWindow", requests: Math.floor(demand * 0.75), unit: "second", windowMs: 1000 };
    const take = [{ rule: "default/hot/r", limit, cost: 1 }];
    type Iso = { book: LeaseBook; store: GlobalRateLimitStore };
    const fresh = (seed: number): Iso => {
      const book = new LeaseBook(seed);
      return { book, store: leasingStore(store, book, { now: () => clock.t }) };
    };
    const isolates: Iso[][] = Array.from({ length: LOCATIONS }, (_, l) => Array.from({ length: ISOLATES_PER_LOCATION }, (_, i) => fresh(l * 1000 + i)));
    const admitted = new Map<number, number>();
    const refused = new Map<number, number>();
    let died = 0;
    let strandedByDeath = 0;
    // Renewals ahead run in the background (the isolates' waitUntil); they finish within a tick.
    const background: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void background.push(p);
    const tickMs = 125;
    const seconds = 4;
    const end = clock.t + seconds * 1000;
    let tick = 0;
    while (clock.t < end) {
      // A RateLimiter restart in the middle of the run: every object evicted (in-memory state lost).
      if (tick === 14) {
        for (const shard of meter.objects()) await evictDurableObject(env.RATE_LIMITER.getByName(`${prefix}/${shard}`)).catch(() => undefined);
      }
      await eachLocation(isolates, async (iso, l, i) => {
        // 2 % of isolates die each second, with whatever they hold; a new one takes their place.
        if (Math.random() < 0.02 * (tickMs / 1000)) {
          died++;
          strandedByDeath += iso.book.held();
          isolates[l]![i] = iso = fresh(Math.floor(Math.random() * 2 ** 30));
        }
        const n = Math.random() < (perIsolate * tickMs / 1000) % 1 ? Math.ceil(perIsolate * tickMs / 1000) : Math.floor(perIsolate * tickMs / 1000);
        const w = Math.floor(clock.t / limit.windowMs);
        for (let k = 0; k < n; k++) {
          const r = await iso.store.take("rl:default/hot:r:", "", take, waitUntil);
          const m = r[0]!.allowed ? admitted : refused;
          m.set(w, (m.get(w) ?? 0) + 1);
        }
      });
      await Promise.all(background.splice(0));
      clock.t += tickMs;
      tick++;
    }
    const windows = [...admitted.keys()];
    const over = windows.map((w) => Math.max(0, admitted.get(w)! - limit.requests));
    // Stranded: budget not admitted in a window where requests were refused.
    const stranded = windows.filter((w) => (refused.get(w) ?? 0) > 0).map((w) => limit.requests - admitted.get(w)!);
    const shards = meter.objects();
    const busiest = meter.max();
    line(`ratelimit: demand ${demand} req/s, limit ${limit.requests}/s, ${shards.length} sub-shards; busiest object ${busiest.perSecond} calls/s (one call per request: ${demand} /s on one object)`);
    line(`ratelimit: over-admission ${Math.max(...over)} (max over ${windows.length} windows; must be 0); calls: ${kinds.awaited} awaited by a request, ${kinds.renewals} renewals in the background`);
    line(`ratelimit: stranded in exhausted windows mean ${(stranded.reduce((a, b) => a + b, 0) / Math.max(1, stranded.length)).toFixed(0)}, max ${Math.max(0, ...stranded)} units (${((100 * Math.max(0, ...stranded)) / limit.requests).toFixed(1)} % of the limit); ${died} isolates died holding ${strandedByDeath} units`);
    expect(Math.max(...over)).toBe(0);
  });

  it("circuits: calls on the cluster's Circuit and its relays, ejection delay", async () => {
    const meter = new CallMeter();
    const clock = { t: Date.now() };
    const cluster = `outbound|80||scale-${RUN}.default.svc.cluster.local`;
    const config = compileOutlierDetection({ consecutive5xxErrors: 5, interval: "1s", baseEjectionTime: "30s", maxEjectionPercent: 50 })!;
    const hosts = Array.from({ length: 10 }, (_, i) => `10.0.0.${i}:80`);
    const views: CircuitView[][] = Array.from({ length: LOCATIONS }, (_, l) => Array.from({ length: ISOLATES_PER_LOCATION }, () => {
      const relay = env.CIRCUIT.getByName(relayName(`L${l}`, cluster));
      const counted = <T>(p: Promise<T>) => {
        meter.count(`relay@L${l}`, clock.t);
        return p;
      };
      return new CircuitView({
        fetchState: () => counted(relay.relay(cluster, undefined, clock.t) as Promise<CircuitSnapshot>),
        sendReports: (batch) => counted(relay.relay(cluster, batch, clock.t) as Promise<CircuitSnapshot>),
        now: () => clock.t,
        config,
        hosts,
      });
    }));
    const bad = hosts[3]!;
    const tickMs = 100;
    const seconds = 8;
    const failAt = clock.t + 3000;
    const start = clock.t;
    const end = clock.t + seconds * 1000;
    const seen: number[] = [];
    const seenBy = new Set<CircuitView>();
    while (clock.t < end) {
      await eachLocation(views, async (view) => {
        // A request every tick to a random endpoint; the bad one fails for everyone from failAt.
        const host = hosts[Math.floor(Math.random() * hosts.length)]!;
        if (!view.isEjected(host)) view.record(host, clock.t >= failAt && host === bad ? "5xx" : "success");
        const pending: Promise<unknown>[] = [];
        view.sync((p) => pending.push(p));
        await Promise.all(pending);
        if (!seenBy.has(view) && view.isEjected(bad)) {
          seenBy.add(view);
          seen.push(clock.t - failAt);
        }
      });
      clock.t += tickMs;
    }
    // The cluster's Circuit: count its calls as the relays' forwards (one per relay per second at most).
    const relays = meter.objects((o) => o.startsWith("relay@"));
    const relayMax = meter.max((o) => o.startsWith("relay@"));
    const global = await env.CIRCUIT.getByName(cluster).state();
    line(`circuits: ${relays.length} relays, busiest relay ${relayMax.perSecond} calls/s (${ISOLATES_PER_LOCATION} isolates each); the cluster's Circuit gets ≤ 1 forward per relay per second = ≤ ${LOCATIONS}/s (one per isolate before: ~${ISOLATES}/s)`);
    line(`circuits: ejected mesh-wide: ${Object.keys(global.ejected).join(", ") || "nothing"}; isolates routing around it ${seen.length}/${ISOLATES}; ejection delay after the first failure p50 ${percentile(seen, 50)} ms, p99 ${percentile(seen, 99)} ms, max ${Math.max(...seen)} ms`);
    expect(Object.keys(global.ejected)).toContain(bad);
    expect(seen.length).toBe(ISOLATES);
    expect(start).toBeLessThan(end);
  });

  it("metrics flush (modelled: issue 8's object is built elsewhere): calls per object with per-location aggregation", () => {
    // Each isolate flushes deltas every 5 s to its location's aggregator, which flushes merged deltas every 5 s to one of S shards.
    const isolateFlushS = 5;
    const aggregatorFlushS = 5;
    const shards = 4;
    line(`metrics: location aggregator ${(ISOLATES_PER_LOCATION / isolateFlushS).toFixed(1)} calls/s; a global shard ${(LOCATIONS / aggregatorFlushS / shards).toFixed(1)} calls/s (direct flushes would be ${(ISOLATES / isolateFlushS / shards).toFixed(1)}/s)`);
    line("");
    line("report (copy to docs/scale.md):");
    for (const l of report.slice(0, -2)) console.log(`  ${l}`);
    expect(LOCATIONS / aggregatorFlushS / shards).toBeLessThan(500);
  });
});
