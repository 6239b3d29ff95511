/**
 * A 64-bit content hash of a text (two independent 32-bit lanes, murmur-style mixing), as 16 hex
 * digits. It names immutable snapshot copies in the location tier (`<version>-<hash>`), so a copy
 * can never be mistaken for another content at the same version (a ConfigStore that was reset and
 * counts again). Not a cryptographic digest: it detects accidents, not forgeries. Synchronous, so the
 * ConfigStore computes it inside its single-threaded write path (about 5 ms per MiB).
 */
export function contentHash(text: string): string {
  let h1 = 0xdeadbeef ^ text.length;
  let h2 = 0x41c6ce57 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0");
}
