/**
 * DestinationRule `loadBalancer`: algorithm choice, distributions over ≥ 500 picks, weights, hash keys
 * (header, cookie with generation, source IP, query), ejection with panic mode, and the consistent-hash
 * stability property (removing one of N endpoints moves about 1/N of the keys).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LoadBalancerSettings } from "../../../src/config/schemas/destination-rule.js";
import type { Endpoint } from "../../../src/config/snapshot.js";
import {
  buildBalancer,
  compileLoadBalancer,
  InflightRequests,
  type Balancer,
  type PickContext,
} from "../../../src/policy/load-balancer/balancer.js";
import { endpointKey } from "../../../src/policy/load-balancer/endpoint-key.js";
import { cookieValue } from "../../../src/policy/load-balancer/hash-policy.js";
import { MaglevTable } from "../../../src/policy/load-balancer/maglev.js";
import { RingHashTable } from "../../../src/policy/load-balancer/ring-hash.js";

/** Deterministic uniform [0,1) source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ep = (i: number, weight?: number): Endpoint => ({ kind: "address", address: `10.0.0.${i}`, port: 8080, ...(weight ? { weight } : {}) });
const eps = (n: number, weights?: number[]): Endpoint[] => Array.from({ length: n }, (_, i) => ep(i + 1, weights?.[i]));

function counts(lb: Balancer, picks: number, ctx: (i: number) => PickContext): number[] {
  const out = new Array<number>(lb.endpoints.length).fill(0);
  for (let i = 0; i < picks; i++) out[lb.pick(ctx(i))!.index]!++;
  return out;
}

function expectShares(observed: number[], weights: number[], tolerance = 0.05): void {
  const total = observed.reduce((s, c) => s + c, 0);
  const wsum = weights.reduce((s, w) => s + w, 0);
  weights.forEach((w, i) => expect(Math.abs(observed[i]! / total - w / wsum)).toBeLessThan(tolerance));
}

describe("compileLoadBalancer", () => {
  it.each<[string, LoadBalancerSettings | undefined, object]>([
    ["unset ⇒ LEAST_REQUEST", undefined, { algorithm: "LEAST_REQUEST" }],
    ["UNSPECIFIED ⇒ LEAST_REQUEST", { simple: "UNSPECIFIED" }, { algorithm: "LEAST_REQUEST" }],
    ["LEAST_CONN ⇒ LEAST_REQUEST", { simple: "LEAST_CONN" }, { algorithm: "LEAST_REQUEST" }],
    ["ROUND_ROBIN", { simple: "ROUND_ROBIN" }, { algorithm: "ROUND_ROBIN" }],
    ["RANDOM", { simple: "RANDOM" }, { algorithm: "RANDOM" }],
    ["PASSTHROUGH", { simple: "PASSTHROUGH" }, { algorithm: "PASSTHROUGH" }],
    ["consistentHash defaults to ring hash 1024", { consistentHash: { httpHeaderName: "X-User" } }, { algorithm: "RING_HASH", minimumRingSize: 1024, hashPolicy: { kind: "header", name: "x-user" } }],
    ["ringHash.minimumRingSize", { consistentHash: { useSourceIp: true, ringHash: { minimumRingSize: 4096 } } }, { algorithm: "RING_HASH", minimumRingSize: 4096, hashPolicy: { kind: "sourceIp" } }],
    ["deprecated minimumRingSize", { consistentHash: { useSourceIp: true, minimumRingSize: 2048 } }, { algorithm: "RING_HASH", minimumRingSize: 2048 }],
    ["maglev", { consistentHash: { httpQueryParameterName: "u", maglev: { tableSize: 65537 } } }, { algorithm: "MAGLEV", tableSize: 65537, hashPolicy: { kind: "query", name: "u" } }],
    ["maglev tableSize 0 ⇒ 65537", { consistentHash: { useSourceIp: true, maglev: {} } }, { algorithm: "MAGLEV", tableSize: 65537 }],
    ["cookie with ttl", { consistentHash: { httpCookie: { name: "session", path: "/", ttl: "90.5s" } } }, { hashPolicy: { kind: "cookie", name: "session", path: "/", ttlSeconds: 90, attributes: [] } }],
  ])("%s", (_n, lb, expected) => {
    expect(compileLoadBalancer(lb)).toMatchObject(expected);
  });
});

describe("simple load balancers", () => {
  const N = 600;

  it("LEAST_REQUEST with no load spreads evenly", () => {
    const rnd = seeded(1);
    const lb = buildBalancer(undefined, eps(3));
    expectShares(counts(lb, N, () => ({ random: rnd })), [1, 1, 1]);
  });

  it("LEAST_REQUEST avoids the busy endpoint (power of two choices)", () => {
    const rnd = seeded(2);
    const lb = buildBalancer({ simple: "LEAST_REQUEST" }, eps(3));
    for (let i = 0; i < 5; i++) lb.inc(0);
    const c = counts(lb, N, () => ({ random: rnd }));
    // Endpoint 0 only wins when both draws land on it: 1/9.
    expect(c[0]! / N).toBeLessThan(0.18);
    expect(c[0]! / N).toBeGreaterThan(0.05);
    for (let i = 0; i < 5; i++) lb.dec(0);
    expectShares(counts(lb, N, () => ({ random: rnd })), [1, 1, 1]);
  });

  it("LEAST_REQUEST in-flight counts are shared through InflightRequests, by endpoint key", () => {
    const inflight = new InflightRequests();
    const a = buildBalancer(undefined, eps(2), { inflight });
    const b = buildBalancer(undefined, [...eps(2)].reverse(), { inflight });
    a.inc(0);
    expect(inflight.get(endpointKey(ep(1)))).toBe(1);
    // In b, endpoint 1 (10.0.0.1) is index 1: busy, so index 0 wins every tie-free draw pair.
    const c = counts(b, 200, () => ({ random: seeded(3) }));
    expect(c[1]).toBeLessThan(c[0]!);
    a.dec(0);
    expect(inflight.get(endpointKey(ep(1)))).toBe(0);
  });

  it("LEAST_REQUEST respects weights", () => {
    const rnd = seeded(4);
    expectShares(counts(buildBalancer(undefined, eps(2, [1, 3])), N, () => ({ random: rnd })), [1, 3]);
  });

  it("ROUND_ROBIN rotates", () => {
    const lb = buildBalancer({ simple: "ROUND_ROBIN" }, eps(3), { random: () => 0 });
    const seq = Array.from({ length: 7 }, () => lb.pick({ random: Math.random })!.index);
    expect(seq).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it("ROUND_ROBIN starts at a random endpoint", () => {
    const lb = buildBalancer({ simple: "ROUND_ROBIN" }, eps(4), { random: () => 0.6 });
    expect(lb.pick({ random: Math.random })!.index).toBe(2);
  });

  it("ROUND_ROBIN with weights is smooth and exact", () => {
    const lb = buildBalancer({ simple: "ROUND_ROBIN" }, eps(3, [1, 2, 3]));
    const c = counts(lb, N, () => ({ random: Math.random }));
    expect(c).toEqual([100, 200, 300]);
    const seq = Array.from({ length: 6 }, () => lb.pick({ random: Math.random })!.index);
    expect(seq).toEqual([2, 1, 0, 2, 1, 2]);
  });

  it.each([
    [[1, 1, 1, 1]],
    [[1, 1, 2]],
    [[10, 90]],
  ])("RANDOM distribution %j within tolerance over 1000 picks", (weights) => {
    const rnd = seeded(5);
    const lb = buildBalancer({ simple: "RANDOM" }, eps(weights.length, weights));
    expectShares(counts(lb, 1000, () => ({ random: rnd })), weights);
  });

  it("PASSTHROUGH uses the first endpoint", () => {
    const lb = buildBalancer({ simple: "PASSTHROUGH" }, eps(3));
    expect(counts(lb, 50, () => ({ random: Math.random }))).toEqual([50, 0, 0]);
  });

  it("no endpoints ⇒ no pick (503 UH)", () => {
    for (const lb of [undefined, { simple: "ROUND_ROBIN" as const }, { consistentHash: { useSourceIp: true } }]) {
      expect(buildBalancer(lb, []).pick({ random: Math.random })).toBeUndefined();
    }
  });

  it("avoid re-picks previously tried endpoints (retry previous-hosts predicate)", () => {
    const lb = buildBalancer({ simple: "RANDOM" }, eps(3));
    const rnd = seeded(6);
    for (let i = 0; i < 200; i++) {
      const p = lb.pick({ random: rnd, avoid: new Set([0, 1]), maxSelectionAttempts: 5 })!;
      // Five draws all landing on {0,1} has probability (2/3)^5 ≈ 13 %; most picks avoid them.
      expect([0, 1, 2]).toContain(p.index);
    }
    const c = counts(lb, 600, () => ({ random: rnd, avoid: new Set([0, 1]), maxSelectionAttempts: 5 }));
    expect(c[2]! / 600).toBeGreaterThan(0.8);
  });
});

describe("ejected endpoints and panic mode", () => {
  const N = 600;
  const algorithms: LoadBalancerSettings[] = [
    { simple: "LEAST_REQUEST" },
    { simple: "ROUND_ROBIN" },
    { simple: "RANDOM" },
    { simple: "PASSTHROUGH" },
    { consistentHash: { httpHeaderName: "x-user" } },
    { consistentHash: { httpHeaderName: "x-user", maglev: { tableSize: 65537 } } },
  ];

  it.each(algorithms)("%j never picks an ejected endpoint", (lb) => {
    const b = buildBalancer(lb, eps(4));
    const rnd = seeded(7);
    const c = counts(b, N, (i) => ({ random: rnd, headers: new Headers({ "x-user": `u${i}` }), isEjected: (j) => j === 0 || j === 2 }));
    expect(c[0]).toBe(0);
    expect(c[2]).toBe(0);
    expect(c[1]! + c[3]!).toBe(N);
  });

  it.each(algorithms)("%j: every endpoint ejected and minHealthPercent 0 ⇒ no pick", (lb) => {
    expect(buildBalancer(lb, eps(3)).pick({ random: Math.random, isEjected: () => true })).toBeUndefined();
  });

  it("healthy share below minHealthPercent ⇒ panic: all endpoints used", () => {
    const b = buildBalancer({ simple: "RANDOM" }, eps(4), { minHealthPercent: 50 });
    const rnd = seeded(8);
    // 1 of 4 healthy = 25 % < 50 % ⇒ panic.
    const c = counts(b, N, () => ({ random: rnd, isEjected: (j) => j !== 3 }));
    expectShares(c, [1, 1, 1, 1]);
    expect(b.pick({ random: rnd, isEjected: (j) => j !== 3 })!.panic).toBe(true);
    // 2 of 4 healthy = 50 % is not below 50 % ⇒ no panic.
    const d = counts(b, N, () => ({ random: rnd, isEjected: (j) => j < 2 }));
    expect(d[0]! + d[1]!).toBe(0);
  });
});

describe("consistent hash keys", () => {
  const lbs: Array<[string, LoadBalancerSettings["consistentHash"]]> = [
    ["ring hash", {}],
    ["maglev", { maglev: { tableSize: 65537 } }],
  ];

  it.each(lbs)("%s: the same header value always lands on the same endpoint", (_n, algo) => {
    const lb = buildBalancer({ consistentHash: { httpHeaderName: "x-user", ...algo } }, eps(5));
    const rnd = seeded(9);
    for (let u = 0; u < 100; u++) {
      const headers = new Headers({ "x-user": `user-${u}` });
      const first = lb.pick({ headers, random: rnd })!.index;
      for (let k = 0; k < 5; k++) expect(lb.pick({ headers, random: rnd })!.index).toBe(first);
    }
  });

  it.each(lbs)("%s: keys spread over endpoints (2000 keys, 4 endpoints)", (_n, algo) => {
    const lb = buildBalancer({ consistentHash: { httpHeaderName: "x-user", ...algo } }, eps(4));
    const c = counts(lb, 2000, (i) => ({ headers: new Headers({ "x-user": `k${i}` }), random: Math.random }));
    expectShares(c, [1, 1, 1, 1], 0.07);
  });

  it.each(lbs)("%s: weights shape the share of keys", (_n, algo) => {
    const lb = buildBalancer({ consistentHash: { httpHeaderName: "x-user", ...algo } }, eps(2, [1, 3]));
    const c = counts(lb, 2000, (i) => ({ headers: new Headers({ "x-user": `k${i}` }), random: Math.random }));
    expectShares(c, [1, 3], 0.07);
  });

  it.each(lbs)("%s: no key ⇒ random spread", (_n, algo) => {
    const lb = buildBalancer({ consistentHash: { httpHeaderName: "x-user", ...algo } }, eps(3));
    const rnd = seeded(10);
    expectShares(counts(lb, 900, () => ({ headers: new Headers(), random: rnd })), [1, 1, 1], 0.07);
  });

  it("source IP and query parameter keys", () => {
    const byIp = buildBalancer({ consistentHash: { useSourceIp: true } }, eps(5));
    const byQuery = buildBalancer({ consistentHash: { httpQueryParameterName: "user" } }, eps(5));
    for (let i = 0; i < 50; i++) {
      const ip = `203.0.113.${i}`;
      expect(byIp.pick({ sourceIp: ip, random: Math.random })!.index).toBe(byIp.pick({ sourceIp: ip, random: Math.random })!.index);
      const q = new URLSearchParams(`user=u${i}&user=other`);
      expect(byQuery.pick({ query: q, random: Math.random })!.index).toBe(byQuery.pick({ query: new URLSearchParams(`user=u${i}`), random: Math.random })!.index);
    }
  });

  describe("httpCookie", () => {
    it("present cookie: hashed, nothing set", () => {
      const lb = buildBalancer({ consistentHash: { httpCookie: { name: "sticky", ttl: "60s" } } }, eps(5));
      const headers = new Headers({ cookie: 'a=1; sticky="abc"; b=2' });
      const p = lb.pick({ headers, random: Math.random })!;
      expect(p.setCookie).toBeUndefined();
      expect(lb.pick({ headers: new Headers({ cookie: "sticky=abc" }), random: Math.random })!.index).toBe(p.index);
    });

    it.each([
      ["ttl and path", { name: "sticky", ttl: "3600s", path: "/api" }, /^sticky="[0-9a-f]{16}"; Max-Age=3600; Path=\/api; HttpOnly$/],
      ["ttl 0s ⇒ session cookie", { name: "sticky", ttl: "0s" }, /^sticky="[0-9a-f]{16}"; HttpOnly$/],
      ["attributes", { name: "s", ttl: "10s", attributes: [{ name: "SameSite", value: "Strict" }, { name: "Secure" }] }, /^s="[0-9a-f]{16}"; Max-Age=10; SameSite=Strict; Secure; HttpOnly$/],
    ])("absent cookie with %s: generated, Set-Cookie returned", (_n, cookie, pattern) => {
      const lb = buildBalancer({ consistentHash: { httpCookie: cookie } }, eps(5));
      const p = lb.pick({ headers: new Headers(), random: seeded(11) })!;
      expect(p.setCookie).toMatch(pattern);
      // The client sends the generated cookie back and sticks to the same endpoint.
      const value = cookieValue(new Headers({ cookie: p.setCookie!.split(";")[0]! }), cookie.name)!;
      expect(value).toMatch(/^[0-9a-f]{16}$/);
      for (let i = 0; i < 5; i++) expect(lb.pick({ cookies: { [cookie.name]: value }, random: Math.random })!.index).toBe(p.index);
    });

    it("absent cookie without ttl: random, nothing set", () => {
      const lb = buildBalancer({ consistentHash: { httpCookie: { name: "sticky" } } }, eps(5));
      expect(lb.pick({ headers: new Headers(), random: Math.random })!.setCookie).toBeUndefined();
    });
  });
});

describe("consistent hash stability", () => {
  /** Fraction of keys whose endpoint changes between two endpoint lists (compared by endpoint key). */
  function moved(algo: "ring" | "maglev", before: Endpoint[], after: Endpoint[], keys = 3000): number {
    const lb = (list: Endpoint[]) =>
      buildBalancer({ consistentHash: { httpHeaderName: "k", ...(algo === "maglev" ? { maglev: { tableSize: 65537 } } : {}) } }, list);
    const a = lb(before);
    const b = lb(after);
    let changed = 0;
    for (let i = 0; i < keys; i++) {
      const headers = new Headers({ k: `key-${i}` });
      if (a.keys[a.pick({ headers, random: Math.random })!.index] !== b.keys[b.pick({ headers, random: Math.random })!.index]) changed++;
    }
    return changed / keys;
  }

  for (const algo of ["ring", "maglev"] as const) {
    it(`${algo}: removing 1 of N endpoints moves about 1/N of the keys`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 4, max: 16 }), fc.nat(), (n, r) => {
          const list = eps(n);
          const removed = r % n;
          const after = list.filter((_, i) => i !== removed);
          const m = moved(algo, list, after, 2000);
          // The removed endpoint's keys (1/N) must move; re-scaling moves a few more, never 2/N.
          expect(m).toBeGreaterThan(0.5 / n);
          expect(m).toBeLessThan(2 / n);
        }),
        { numRuns: 12 },
      );
    });

    it(`${algo}: adding an endpoint moves about 1/(N+1) of the keys`, () => {
      const list = eps(10);
      const m = moved(algo, list, [...list, ep(11)]);
      expect(m).toBeLessThan(2 / 11);
      expect(m).toBeGreaterThan(0.5 / 11);
    });

    it(`${algo}: the order endpoints are listed in does not matter`, () => {
      const list = eps(8);
      expect(moved(algo, list, [...list].reverse())).toBe(0);
    });

    it(`${algo}: ejecting an endpoint moves only its keys`, () => {
      const lb = buildBalancer({ consistentHash: { httpHeaderName: "k", ...(algo === "maglev" ? { maglev: { tableSize: 65537 } } : {}) } }, eps(10));
      let movedOthers = 0;
      let onEjected = 0;
      for (let i = 0; i < 3000; i++) {
        const headers = new Headers({ k: `key-${i}` });
        const before = lb.pick({ headers, random: Math.random })!.index;
        const after = lb.pick({ headers, random: Math.random, isEjected: (j) => j === 3 })!.index;
        expect(after).not.toBe(3);
        if (before === 3) onEjected++;
        else if (before !== after) movedOthers++;
      }
      expect(onEjected).toBeGreaterThan(150);
      expect(movedOthers / 3000).toBeLessThan(0.1);
    });
  }

  it("ring and Maglev tables have the configured sizes", () => {
    const keys = eps(3).map(endpointKey);
    // minimumRingSize points per endpoint of the lightest weight, proportionally more for heavier ones.
    expect(RingHashTable.build(keys, [1, 1, 1], 1024).size).toBe(3072);
    expect(RingHashTable.build(keys, [1, 1, 2], 1024).size).toBe(4096);
    expect(RingHashTable.build(keys, [1, 1, 1], 10).size).toBe(30);
    expect(RingHashTable.build(eps(1000).map(endpointKey), new Array(1000).fill(1), 1024).size).toBeLessThanOrEqual(1 << 17);
    expect(MaglevTable.build(keys, [1, 1, 1], 65537).size).toBe(65537);
    expect(MaglevTable.build(keys, [1, 1, 1], 251).size).toBe(251);
  });
});
