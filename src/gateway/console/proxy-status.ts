/**
 * Proxy status, like `istioctl proxy-status`: which config version each active gateway isolate serves,
 * where, and whether that is the ConfigStore's current version (SYNCED) or not (STALE).
 *
 * ADAPTER (merge point): isolates report `{proxy, location, version}` with their metric flushes to the
 * metrics Durable Object; `ProxyReportSource` is what the console and `GET /_mesh/proxy-status` read.
 * Until that is wired, `thisIsolateReport` reports the isolate that answers the call.
 */
export interface ProxyReport {
  /** An isolate id (`gateway-<hex>`). */
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

/** Where reports come from (the metrics aggregate, once it collects them). */
export type ProxyReportSource = () => Promise<ProxyReport[]>;

export function proxyStatus(storeVersion: number, reports: readonly ProxyReport[]): ProxyStatus {
  return {
    version: storeVersion,
    proxies: [...reports]
      .sort((a, b) => a.location.localeCompare(b.location) || a.proxy.localeCompare(b.proxy))
      .map((r) => ({ ...r, status: r.version >= storeVersion ? "SYNCED" : "STALE" })),
  };
}

let isolateId: string | undefined;

/** This isolate, as a report (the id is made on first use: no randomness at global scope in Workers). */
export function thisIsolateReport(version: number, request: Request): ProxyReport {
  if (!isolateId) {
    const b = new Uint8Array(4);
    crypto.getRandomValues(b);
    isolateId = `gateway-${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`;
  }
  const colo = (request as { cf?: { colo?: string } }).cf?.colo;
  return { proxy: isolateId, location: colo ?? "local", version, lastSeenMs: Date.now() };
}
