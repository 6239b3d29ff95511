/**
 * Virtual host selection by `Host` as Envoy does it with Istio's settings: port ignored,
 * case-insensitive, exact domain first, then the longest `*.suffix`, then `*`. Lookups cost a map hit
 * per label of the host, never a scan of the domains.
 */
export class VirtualHostIndex<V> {
  private readonly exact = new Map<string, V>();
  /** Keyed by the suffix with its leading dot (`.example.com`). */
  private readonly suffix = new Map<string, V>();
  private star: V | undefined;

  /** Adds a domain; the first virtual host to claim a domain keeps it. */
  add(domain: string, value: V): void {
    const d = domain.toLowerCase();
    if (d === "*") this.star ??= value;
    else if (d.startsWith("*.")) {
      const key = d.slice(1);
      if (!this.suffix.has(key)) this.suffix.set(key, value);
    } else if (!this.exact.has(d)) this.exact.set(d, value);
  }

  /** `host` must already be lower-case and without port. */
  lookup(host: string): V | undefined {
    return this.exactOnly(host) ?? this.wildcard(host);
  }

  exactOnly(host: string): V | undefined {
    return this.exact.get(host);
  }

  /** Longest `*.suffix` (the wildcard must cover at least one character), then `*`. */
  wildcard(host: string): V | undefined {
    if (this.suffix.size > 0) {
      for (let i = host.indexOf("."); i >= 0; i = host.indexOf(".", i + 1)) {
        if (i === 0) continue;
        const v = this.suffix.get(host.slice(i));
        if (v !== undefined) return v;
      }
    }
    return this.star;
  }
}
