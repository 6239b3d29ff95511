/**
 * Remote JWKS, fetched on first need and kept for the life of the isolate (one store per isolate,
 * shared by every snapshot version): a JWKS used by two config versions is fetched once.
 *
 * - Fetched only when a token needs it: requests without a token never cause a fetch.
 * - Each fetch (and OIDC discovery, `<issuer>/.well-known/openid-configuration` → `jwks_uri`) is bounded by
 *   the rule's timeout (default 5 s); a down, slow or garbage endpoint is a failed fetch.
 * - Good keys are refreshed in the background every 20 minutes (Istio's
 *   `PILOT_JWT_PUB_KEY_REFRESH_INTERVAL`), and on a token whose `kid` is unknown, at most once per
 *   cooldown so unknown kids cannot make us hammer the IdP. A failed refresh keeps the last good keys.
 * - Without good keys, a failure is remembered briefly (Envoy's `failed_refetch_duration`, 1 s) so a
 *   burst of tokens during an outage does not become a burst of fetches; concurrent needs share one
 *   fetch, each waiting with its own deadline.
 */
import { KeySet } from "./key-set.js";
import { DeadlineExceeded, withDeadline } from "../deadline.js";

export type RemoteJwksSource = { kind: "uri"; uri: string } | { kind: "discovery"; issuer: string };

/** What the store needs from the request it runs in (Workers APIs injected, for tests and purity). */
export interface JwksFetchContext {
  fetch: typeof fetch;
  now(): number;
  /** Keeps a background refresh alive after the response (Workers `ctx.waitUntil`). */
  waitUntil?(p: Promise<unknown>): void;
  onEvent?(event: JwksFetchEvent): void;
}

export interface JwksFetchEvent {
  type: "jwks_fetch";
  /** The JWKS URI, or the discovery document URL when discovery failed. */
  uri: string;
  ok: boolean;
  /** Why a fetch failed (for logs): `timeout`, `status 503`, `not a JWKS`, ... */
  error?: string;
}

export interface JwksStoreOptions {
  /** Refresh good keys after this long (default 20 min). */
  refreshIntervalMs: number;
  /** Minimum time between refreshes caused by unknown `kid`s, or retries after a failed refresh when keys are held (default 30 s). */
  unknownKidCooldownMs: number;
  /** With no good keys, answer "fetch failed" without refetching for this long after a failure (default 1 s). */
  failedRefetchMs: number;
  /** Larger documents are refused (default 1 MiB). */
  maxBytes: number;
}

export const DEFAULT_JWKS_STORE_OPTIONS: JwksStoreOptions = {
  refreshIntervalMs: 20 * 60_000,
  unknownKidCooldownMs: 30_000,
  failedRefetchMs: 1000,
  maxBytes: 1 << 20,
};

interface Entry {
  keys?: KeySet;
  /** When the held keys were fetched. */
  fetchedAt: number;
  /** When the last fetch (good or bad) started. */
  attemptedAt: number;
  lastFailedAt?: number;
  inflight?: { promise: Promise<KeySet | undefined>; startedAt: number };
}

export class JwksStore {
  private readonly entries = new Map<string, Entry>();
  private readonly options: JwksStoreOptions;

  constructor(options: Partial<JwksStoreOptions> = {}) {
    this.options = { ...DEFAULT_JWKS_STORE_OPTIONS, ...options };
  }

  /**
   * Keys for `source`, fetching if none are held (or if `kid` is unknown and the cooldown allows).
   * Undefined when there are no good keys and fetching failed.
   */
  async keys(source: RemoteJwksSource, timeoutMs: number, ctx: JwksFetchContext, kid = ""): Promise<KeySet | undefined> {
    const key = source.kind === "uri" ? `uri:${source.uri}` : `oidc:${source.issuer}`;
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = { fetchedAt: 0, attemptedAt: 0 }));
    const now = ctx.now();
    const o = this.options;

    if (!entry.keys) {
      if (!entry.inflight && entry.lastFailedAt !== undefined && now - entry.lastFailedAt < o.failedRefetchMs) return undefined;
      return this.refresh(entry, source, timeoutMs, ctx);
    }
    if (kid !== "" && !entry.keys.hasKid(kid) && (entry.inflight || now - entry.attemptedAt >= o.unknownKidCooldownMs)) {
      return (await this.refresh(entry, source, timeoutMs, ctx)) ?? entry.keys;
    }
    const retryAfter = entry.lastFailedAt !== undefined && entry.lastFailedAt >= entry.fetchedAt ? o.unknownKidCooldownMs : 0;
    if (!entry.inflight && now - entry.fetchedAt >= o.refreshIntervalMs && now - entry.attemptedAt >= retryAfter) {
      const background = this.refresh(entry, source, timeoutMs, ctx);
      if (ctx.waitUntil) ctx.waitUntil(background);
    }
    return entry.keys;
  }

  /** Forget everything (tests, or an operator flushing keys). */
  clear(): void {
    this.entries.clear();
  }

  /** Starts (or joins) a fetch and waits for it at most the rule's deadline. */
  private refresh(entry: Entry, source: RemoteJwksSource, timeoutMs: number, ctx: JwksFetchContext): Promise<KeySet | undefined> {
    const now = ctx.now();
    // Each HTTP fetch has the rule's timeout; the whole load (discovery is two fetches) a little more,
    // so a fetch's own timeout is what normally ends it (and gets logged).
    const budget = (source.kind === "discovery" ? 2 : 1) * timeoutMs + DEADLINE_SLACK_MS;
    // A fetch started by another request that is long overdue (its request may be gone) is not joined.
    if (!entry.inflight || now - entry.inflight.startedAt > budget) {
      entry.attemptedAt = now;
      // Bounded by its own deadline too, so a hung endpoint counts as a failure (negative-cached).
      const promise: Promise<KeySet | undefined> = withDeadline(budget, () => this.load(source, timeoutMs, ctx))
        .catch(() => undefined)
        .then((keys) => {
          if (keys) {
            entry.keys = keys;
            entry.fetchedAt = ctx.now();
          } else entry.lastFailedAt = ctx.now();
          if (entry.inflight?.promise === promise) entry.inflight = undefined;
          return keys;
        });
      entry.inflight = { promise, startedAt: now };
    }
    const inflight = entry.inflight.promise;
    return withDeadline(budget, () => inflight).catch(() => undefined);
  }

  private async load(source: RemoteJwksSource, timeoutMs: number, ctx: JwksFetchContext): Promise<KeySet | undefined> {
    let uri: string;
    if (source.kind === "uri") uri = source.uri;
    else {
      const discovered = await this.discover(source.issuer, timeoutMs, ctx);
      if (!discovered) return undefined;
      uri = discovered;
    }
    let keys: KeySet | undefined;
    let error: string | undefined;
    try {
      const text = await this.fetchText(uri, timeoutMs, ctx);
      keys = KeySet.parse(text, { allowSymmetric: false });
      if (!keys || keys.size === 0) {
        error = "not a JWKS with usable keys";
        keys = undefined;
      }
    } catch (e) {
      error = errorText(e);
    }
    ctx.onEvent?.({ type: "jwks_fetch", uri, ok: keys !== undefined, ...(error ? { error } : {}) });
    return keys;
  }

  /** OpenID Connect discovery: the `jwks_uri` of the issuer's configuration document. */
  private async discover(issuer: string, timeoutMs: number, ctx: JwksFetchContext): Promise<string | undefined> {
    const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    let error: string;
    try {
      if (!isHttpUrl(issuer)) throw new Error("issuer is not an http(s) URL");
      const doc = JSON.parse(await this.fetchText(url, timeoutMs, ctx)) as unknown;
      const jwksUri = doc !== null && typeof doc === "object" ? (doc as Record<string, unknown>).jwks_uri : undefined;
      if (typeof jwksUri === "string" && isHttpUrl(jwksUri)) return jwksUri;
      error = "no http(s) jwks_uri in the discovery document";
    } catch (e) {
      error = errorText(e);
    }
    ctx.onEvent?.({ type: "jwks_fetch", uri: url, ok: false, error });
    return undefined;
  }

  private fetchText(uri: string, timeoutMs: number, ctx: JwksFetchContext): Promise<string> {
    const { maxBytes } = this.options;
    const run = async (signal: AbortSignal) => {
      // Called unbound: Workers' global fetch throws "Illegal invocation" when `this` is another object.
      const doFetch = ctx.fetch;
      const res = await doFetch(uri, { signal, headers: { accept: "application/json" } });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`status ${res.status}`);
      }
      const declared = Number(res.headers.get("content-length") ?? "0");
      if (declared > maxBytes) {
        await res.body?.cancel();
        throw new Error(`larger than ${maxBytes} bytes`);
      }
      const text = await res.text();
      if (text.length > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
      return text;
    };
    // The abort signal stops a real fetch; the deadline also covers a fetch that ignores it.
    return withDeadline(timeoutMs, run);
  }
}


const DEADLINE_SLACK_MS = 50;

function errorText(e: unknown): string {
  if (e instanceof DeadlineExceeded) return "timeout";
  if (e instanceof Error) return e.name === "TimeoutError" ? "timeout" : e.message;
  return String(e);
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
