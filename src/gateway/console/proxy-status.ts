/**
 * Proxy status, like `istioctl proxy-status`: which config version each active gateway isolate serves,
 * where, and whether that is the ConfigStore's current version (SYNCED) or not (STALE).
 *
 * Isolates report `{isolate, location, version, lastFlush}` with their metric flushes to the metrics
 * Durable Object (runtime/metrics-flush.ts `isolateReports`); the answering isolate is added with what
 * it serves now (`withThisIsolate`).
 */
export interface ProxyReport {
  /** An isolate id (random, chosen when the isolate started). */
  proxy: string;
  /** Cloudflare location (`cf.colo`), `local` in dev. */
  location: string;
  /** Config version it serves. */
  version: number;
  /** When it last reported (ms since epoch). */
  lastSeenMs: number;
}

export interface ProxyStatusRow extends ProxyReport {
  status: "SYNCED" | "STALE";
}

export interface ProxyStatus {
  /** The ConfigStore's current version. */
  version: number;
  proxies: ProxyStatusRow[];
}

export function proxyStatus(storeVersion: number, reports: readonly ProxyReport[]): ProxyStatus {
  return {
    version: storeVersion,
    proxies: [...reports]
      .sort((a, b) => a.location.localeCompare(b.location) || a.proxy.localeCompare(b.proxy))
      .map((r) => ({ ...r, status: r.version >= storeVersion ? "SYNCED" : "STALE" })),
  };
}

/**
 * The reports, with the isolate that answers the call added (or refreshed) from what it serves now:
 * an isolate that has not flushed yet still shows.
 */
export function withThisIsolate(reports: readonly ProxyReport[], self: { proxy: string; version: number; request: Request }): ProxyReport[] {
  const colo = (self.request as { cf?: { colo?: string } }).cf?.colo;
  const mine: ProxyReport = { proxy: self.proxy, location: colo ?? "local", version: self.version, lastSeenMs: Date.now() };
  return [...reports.filter((r) => r.proxy !== self.proxy), mine];
}
