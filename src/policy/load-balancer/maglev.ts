/**
 * Envoy's Maglev load balancer: a lookup table of `tableSize` slots (a prime, Istio/Envoy default
 * 65537) filled by each endpoint's permutation (offset + skip·j mod size), endpoints taking turns in
 * proportion to their weight (Maglev paper algorithm 3, weighted as in Envoy). A key hashes to slot
 * `hash mod size`. Removing an endpoint moves its slots and only a small number of others.
 */
import { hash32 } from "./hash.js";

export { DEFAULT_MAGLEV_TABLE_SIZE } from "../../config/compile/load-balancer.js";

export class MaglevTable {
  private constructor(private readonly table: Int32Array) {}

  /**
   * @param keys endpoint names (seeds of their permutation)
   * @param weights endpoint weights (> 0)
   * @param indexes which endpoints take part (default all); the table answers their original indexes
   */
  static build(keys: readonly string[], weights: readonly number[], tableSize: number, indexes?: readonly number[]): MaglevTable {
    // Endpoints take turns in name order, so the table does not depend on the order they are listed in.
    const members = [...(indexes ?? keys.map((_, i) => i))].sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
    const size = Math.max(1, Math.floor(tableSize));
    const table = new Int32Array(size).fill(-1);
    if (members.length === 0) return new MaglevTable(new Int32Array(0));
    const maxWeight = Math.max(...members.map((i) => weights[i]!));
    const entries = members.map((i) => ({
      index: i,
      offset: hash32(keys[i]!, 0) % size,
      skip: size > 1 ? (hash32(keys[i]!, 1) % (size - 1)) + 1 : 1,
      weight: weights[i]! / maxWeight,
      target: 0,
      next: 0,
    }));
    let filled = 0;
    for (let iteration = 1; filled < size; iteration++) {
      for (const e of entries) {
        if (filled >= size) break;
        // An endpoint with the largest weight takes a slot every iteration; one with a third of it
        // every third iteration.
        if (iteration * e.weight < e.target) continue;
        e.target += 1;
        let c = (e.offset + e.skip * e.next) % size;
        while (table[c] !== -1) {
          e.next++;
          c = (e.offset + e.skip * e.next) % size;
        }
        table[c] = e.index;
        e.next++;
        filled++;
      }
    }
    return new MaglevTable(table);
  }

  get size(): number {
    return this.table.length;
  }

  /** The endpoint index for a 32-bit hash, or undefined on an empty table. */
  lookup(hash: number): number | undefined {
    if (this.table.length === 0) return undefined;
    return this.table[hash % this.table.length];
  }
}
