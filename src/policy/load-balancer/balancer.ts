/**
 * DestinationRule `trafficPolicy.loadBalancer`: which endpoint of a cluster serves a request, as
 * Envoy's load balancers pick hosts (Istio sets the Envoy `lb_policy` in cluster_traffic_policy.go).
 *
 * - `LEAST_REQUEST` (the default, `UNSPECIFIED`, and the deprecated `LEAST_CONN`): with equal weights,
 *   power of two choices — two random endpoints, the one with fewer requests in flight in this isolate
 *   wins; with unequal weights, a weighted random pick with weight / (in-flight + 1) (Envoy uses an EDF
 *   schedule with the same effective weights).
 * - `ROUND_ROBIN`: rotation from a random start; with unequal weights, smooth weighted round robin.
 * - `RANDOM`: uniform, or weighted.
 * - `PASSTHROUGH`: Envoy forwards to the original destination address; a gateway has none, so the first
 *   endpoint is used.
 * - `consistentHash`: ring hash (`ringHash.minimumRingSize`, default 1024, or the deprecated
 *   `minimumRingSize`) or `maglev` (`tableSize`, default 65537) over the hash key; no key ⇒ random.
 *   Both keep keys put when endpoints come and go (about 1/N of the keys move per endpoint; see
 *   ring-hash.ts for how the ring differs from Envoy's to get there).
 *
 * Ejected endpoints (outlier detection) are left out; when the healthy share drops below
 * `minHealthPercent` (Envoy's panic threshold, 0 by default in Istio) all endpoints are used again.
 * Every endpoint ejected and no panic ⇒ no pick (503 `no healthy upstream`, `UH`).
 */
import type { Endpoint } from "../../config/snapshot.js";
import { compileLoadBalancer, DEFAULT_MAGLEV_TABLE_SIZE, DEFAULT_MINIMUM_RING_SIZE, type LoadBalancerConfig } from "../../config/compile/load-balancer.js";
import type { LoadBalancerSettings } from "../../config/schemas/destination-rule.js";
import { endpointKey, endpointWeight } from "./endpoint-key.js";
import { hashKey, type HashKeyContext } from "./hash-policy.js";
import { MaglevTable } from "./maglev.js";
import { RingHashTable } from "./ring-hash.js";

export { compileLoadBalancer, type LbAlgorithm, type LoadBalancerConfig } from "../../config/compile/load-balancer.js";

/** Requests in flight per endpoint key, in this isolate (LEAST_REQUEST's input). Survives rebuilds. */
export class InflightRequests {
  private readonly counts = new Map<string, number>();

  inc(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  dec(key: string): void {
    const n = (this.counts.get(key) ?? 0) - 1;
    if (n > 0) this.counts.set(key, n);
    else this.counts.delete(key);
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

export interface PickContext extends HashKeyContext {
  /** Endpoints ejected by outlier detection; omit it when nothing is ejected (saves a scan). */
  isEjected?: (index: number) => boolean;
  /**
   * Endpoints already tried by this request (retries with the previous-hosts predicate): re-picked up
   * to `maxSelectionAttempts` times (Istio: 5) when the pick is one of them. Ignored by hash balancers.
   */
  avoid?: ReadonlySet<number>;
  maxSelectionAttempts?: number;
}

export interface Pick {
  index: number;
  endpoint: Endpoint;
  /** `Set-Cookie` to add to the response: a generated `consistentHash.httpCookie`. */
  setCookie?: string;
  /** Chosen among all endpoints because too few were healthy (Envoy panic mode). */
  panic?: boolean;
}

export interface BalancerOptions {
  /** Shared in-flight counts (default: a private tracker). */
  inflight?: InflightRequests;
  /** `outlierDetection.minHealthPercent` (Istio default 0: panic mode off). */
  minHealthPercent?: number;
  /** Random source for the round-robin start (default Math.random). */
  random?: () => number;
}

export interface Balancer {
  readonly config: LoadBalancerConfig;
  readonly endpoints: readonly Endpoint[];
  /** `endpointKey` of each endpoint. */
  readonly keys: readonly string[];
  /** undefined ⇒ no endpoint to use (503 `UH`). */
  pick(ctx: PickContext): Pick | undefined;
  /** Track a request to endpoint `index` starting / finishing (LEAST_REQUEST reads these counts). */
  inc(index: number): void;
  dec(index: number): void;
}

/**
 * Built once per snapshot and cluster (hash tables are built here), then used per request.
 *
 * @example
 *   const lb = buildBalancer(cluster.trafficPolicy?.loadBalancer, cluster.endpoints, { inflight });
 *   const pick = lb.pick({ headers: req.headers, sourceIp, query: url.searchParams, random: Math.random });
 *   if (!pick) return toResponse(noHealthyUpstreamReply());
 *   lb.inc(pick.index); try { ... } finally { lb.dec(pick.index); }
 */
export function buildBalancer(lb: LoadBalancerSettings | LoadBalancerConfig | undefined, endpoints: readonly Endpoint[], options: BalancerOptions = {}): Balancer {
  const config = lb !== undefined && "algorithm" in lb ? lb : compileLoadBalancer(lb);
  return new EndpointBalancer(config, endpoints, options);
}

interface Candidates {
  /** Indexes to choose from; undefined = all endpoints. */
  indexes?: number[];
  panic: boolean;
}

class EndpointBalancer implements Balancer {
  readonly keys: readonly string[];
  private readonly weights: readonly number[];
  private readonly equalWeights: boolean;
  private readonly inflight: InflightRequests;
  private readonly minHealthPercent: number;
  /** Cumulative weights over all endpoints (weighted RANDOM without ejections). */
  private readonly cumulative: readonly number[];
  private rr: number;
  private readonly smooth: number[];
  private ring?: RingHashTable;
  private maglev?: MaglevTable;
  private maglevSubset?: { signature: string; table: MaglevTable };

  constructor(readonly config: LoadBalancerConfig, readonly endpoints: readonly Endpoint[], options: BalancerOptions) {
    this.keys = endpoints.map(endpointKey);
    this.weights = endpoints.map(endpointWeight);
    this.equalWeights = this.weights.every((w) => w === this.weights[0]);
    this.inflight = options.inflight ?? new InflightRequests();
    this.minHealthPercent = options.minHealthPercent ?? 0;
    let sum = 0;
    this.cumulative = this.weights.map((w) => (sum += w));
    // Envoy starts each worker's rotation at a random host so workers do not move in lockstep.
    this.rr = endpoints.length > 0 ? Math.floor((options.random ?? Math.random)() * endpoints.length) : 0;
    this.smooth = endpoints.map(() => 0);
    if (config.algorithm === "RING_HASH") this.ring = RingHashTable.build(this.keys, this.weights, config.minimumRingSize ?? DEFAULT_MINIMUM_RING_SIZE);
    if (config.algorithm === "MAGLEV") this.maglev = MaglevTable.build(this.keys, this.weights, config.tableSize ?? DEFAULT_MAGLEV_TABLE_SIZE);
  }

  inc(index: number): void {
    const key = this.keys[index];
    if (key !== undefined) this.inflight.inc(key);
  }

  dec(index: number): void {
    const key = this.keys[index];
    if (key !== undefined) this.inflight.dec(key);
  }

  pick(ctx: PickContext): Pick | undefined {
    if (this.endpoints.length === 0) return undefined;
    const cands = this.candidates(ctx);
    if (cands.indexes?.length === 0) return undefined;
    const algorithm = this.config.algorithm;
    if (algorithm === "RING_HASH" || algorithm === "MAGLEV") return this.pickHashed(ctx, cands);
    const tries = ctx.avoid && ctx.avoid.size > 0 ? Math.max(1, ctx.maxSelectionAttempts ?? 1) : 1;
    let index = 0;
    for (let attempt = 0; attempt < tries; attempt++) {
      index = this.pickSimple(ctx, cands.indexes);
      if (!ctx.avoid?.has(index)) break;
    }
    return this.result(index, cands.panic);
  }

  private result(index: number, panic: boolean, setCookie?: string): Pick {
    const pick: Pick = { index, endpoint: this.endpoints[index]! };
    if (setCookie !== undefined) pick.setCookie = setCookie;
    if (panic) pick.panic = true;
    return pick;
  }

  private candidates(ctx: PickContext): Candidates {
    const isEjected = ctx.isEjected;
    if (!isEjected) return { panic: false };
    const healthy: number[] = [];
    for (let i = 0; i < this.endpoints.length; i++) if (!isEjected(i)) healthy.push(i);
    if (healthy.length === this.endpoints.length) return { panic: false };
    if ((healthy.length * 100) / this.endpoints.length < this.minHealthPercent) return { panic: true };
    return { indexes: healthy, panic: false };
  }

  private pickSimple(ctx: PickContext, indexes: number[] | undefined): number {
    const n = indexes ? indexes.length : this.endpoints.length;
    const at = (k: number): number => (indexes ? indexes[k]! : k);
    const random = ctx.random;
    switch (this.config.algorithm) {
      case "PASSTHROUGH":
        return at(0);
      case "RANDOM":
        if (this.equalWeights) return at(Math.floor(random() * n));
        if (!indexes) return this.weightedAll(random());
        return this.weightedAmong(indexes, (i) => this.weights[i]!, random());
      case "ROUND_ROBIN":
        if (this.equalWeights) return at(this.rr++ % n);
        return this.smoothWeighted(indexes);
      default: {
        // LEAST_REQUEST
        if (!this.equalWeights) {
          return this.weightedAmong(indexes ?? this.endpoints.map((_, i) => i), (i) => this.weights[i]! / (this.inflight.get(this.keys[i]!) + 1), random());
        }
        // Power of two choices (Envoy's default choice_count 2); a tie keeps the first draw.
        const a = at(Math.floor(random() * n));
        const b = at(Math.floor(random() * n));
        return this.inflight.get(this.keys[b]!) < this.inflight.get(this.keys[a]!) ? b : a;
      }
    }
  }

  private weightedAll(r: number): number {
    const total = this.cumulative[this.cumulative.length - 1]!;
    const target = r * total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! <= target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private weightedAmong(indexes: readonly number[], weight: (i: number) => number, r: number): number {
    let total = 0;
    for (const i of indexes) total += weight(i);
    let target = r * total;
    for (const i of indexes) {
      target -= weight(i);
      if (target < 0) return i;
    }
    return indexes[indexes.length - 1]!;
  }

  /** Smooth weighted round robin (nginx): deterministic, spreads heavy endpoints out. */
  private smoothWeighted(indexes: number[] | undefined): number {
    const members = indexes ?? this.endpoints.map((_, i) => i);
    let total = 0;
    let best = members[0]!;
    for (const i of members) {
      this.smooth[i]! += this.weights[i]!;
      total += this.weights[i]!;
      if (this.smooth[i]! > this.smooth[best]!) best = i;
    }
    this.smooth[best]! -= total;
    return best;
  }

  private pickHashed(ctx: PickContext, cands: Candidates): Pick | undefined {
    const key = this.config.hashPolicy ? hashKey(this.config.hashPolicy, ctx) : {};
    const hash = key.hash ?? Math.floor(ctx.random() * 0x1_0000_0000) >>> 0;
    let index: number | undefined;
    if (this.ring) {
      // An endpoint's ring points do not depend on the others: skipping the ejected ones is the same
      // as a ring built without them.
      const healthy = cands.indexes ? new Set(cands.indexes) : undefined;
      index = this.ring.lookup(hash, healthy ? (i) => !healthy.has(i) : undefined);
    } else {
      index = (cands.indexes ? this.maglevFor(cands.indexes) : this.maglev!).lookup(hash);
    }
    return index === undefined ? undefined : this.result(index, cands.panic, key.setCookie);
  }

  /** Envoy rebuilds the Maglev table over the healthy hosts; the last healthy set's table is kept. */
  private maglevFor(indexes: number[]): MaglevTable {
    const signature = indexes.join(",");
    if (this.maglevSubset?.signature !== signature) {
      this.maglevSubset = { signature, table: MaglevTable.build(this.keys, this.weights, this.config.tableSize ?? DEFAULT_MAGLEV_TABLE_SIZE, indexes) };
    }
    return this.maglevSubset.table;
  }
}
