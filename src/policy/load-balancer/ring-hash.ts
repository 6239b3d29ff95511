/**
 * Ring hash (ketama, Envoy's RING_HASH): endpoints own points on a 32-bit ring; a key belongs to the
 * first point at or after its hash, wrapping around.
 *
 * Point counts: every endpoint of the lightest weight gets `minimumRingSize` points and heavier ones
 * proportionally more (total capped at {@link MAXIMUM_RING_POINTS}), so the ring always has at least
 * `minimumRingSize` points, as the field promises. Unlike Envoy, which spreads `minimumRingSize` points
 * over all endpoints and re-scales the ring when one leaves (moving about 2/N of the keys), an
 * endpoint's points here do not depend on the others: removing or ejecting one of N endpoints moves
 * only its own ~1/N of the keys, and an ejected endpoint is simply skipped on the ring.
 */
import { hash32 } from "./hash.js";

export { DEFAULT_MINIMUM_RING_SIZE } from "../../config/compile/load-balancer.js";
/** Bound on the ring's memory and build time (Envoy's own cap is 8M); beyond it counts are scaled down. */
export const MAXIMUM_RING_POINTS = 1 << 17;
/** 2^21 endpoint ranks fit beside a 32-bit hash in a double's 53-bit integer range. */
const RANK_SPACE = 1 << 21;

export class RingHashTable {
  private constructor(
    /** Sorted ring positions. */
    private readonly points: Uint32Array,
    /** Endpoint index of each point. */
    private readonly owners: Uint32Array,
  ) {}

  /**
   * @param keys endpoint names (their points are the hashes of `<key>_<n>`)
   * @param weights endpoint weights (> 0)
   */
  static build(keys: readonly string[], weights: readonly number[], minimumRingSize: number): RingHashTable {
    if (keys.length === 0) return new RingHashTable(new Uint32Array(0), new Uint32Array(0));
    const perHost = Math.max(1, Math.ceil(minimumRingSize));
    const minWeight = Math.min(...weights);
    let counts = weights.map((w) => Math.ceil((perHost * w) / minWeight));
    const total = counts.reduce((s, c) => s + c, 0);
    if (total > MAXIMUM_RING_POINTS) counts = counts.map((c) => Math.max(1, Math.floor((c * MAXIMUM_RING_POINTS) / total)));
    // Pack (hash, rank of the endpoint's name) into one float so a native numeric sort orders the ring;
    // ties between endpoints on one position break by name, so list order never matters.
    const byName = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
    const rank = new Array<number>(keys.length);
    byName.forEach((owner, r) => (rank[owner] = r));
    const packed = new Float64Array(counts.reduce((s, c) => s + c, 0));
    let at = 0;
    counts.forEach((count, owner) => {
      const key = keys[owner]!;
      for (let n = 0; n < count; n++) packed[at++] = hash32(`${key}_${n}`) * RANK_SPACE + rank[owner]!;
    });
    packed.sort();
    const points = new Uint32Array(packed.length);
    const owners = new Uint32Array(packed.length);
    for (let i = 0; i < packed.length; i++) {
      const v = packed[i]!;
      const r = v % RANK_SPACE;
      points[i] = (v - r) / RANK_SPACE;
      owners[i] = byName[r]!;
    }
    return new RingHashTable(points, owners);
  }

  get size(): number {
    return this.points.length;
  }

  /**
   * The endpoint index for a 32-bit hash, or undefined on an empty ring (or when every endpoint is
   * skipped). Skipped endpoints are passed over as if their points were not on the ring.
   */
  lookup(hash: number, skip?: (index: number) => boolean): number | undefined {
    const points = this.points;
    const n = points.length;
    if (n === 0) return undefined;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    for (let step = 0; step < n; step++) {
      const owner = this.owners[(lo + step) % n]!;
      if (!skip || !skip(owner)) return owner;
    }
    return undefined;
  }
}
