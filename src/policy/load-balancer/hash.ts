/**
 * The 32-bit hash used for consistent hashing (hash keys, ring positions, Maglev permutations):
 * MurmurHash3 x86_32 over the string's UTF-16 code units (two per 32-bit block), so no bytes are
 * allocated per call. Envoy uses xxHash64; the exact function does not matter to users (endpoint names
 * differ from Envoy's anyway), only that it is stable and well mixed.
 */
export function hash32(text: string, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const n = text.length;
  let h = seed >>> 0;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    let k = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = text.charCodeAt(i);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= n * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
