/**
 * Outlier detection for one cluster, as Envoy's DetectorImpl runs it (consecutive-errors ejection only;
 * Istio disables success-rate ejection):
 *
 * - each endpoint counts consecutive 5xx and consecutive gateway errors; a success resets both, a
 *   non-gateway 5xx resets the gateway counter;
 * - reaching `consecutiveGatewayErrors` or `consecutive5xxErrors` (exactly, as Envoy's `==`) ejects the
 *   endpoint at once, unless (ejected + 1) / endpoints > `maxEjectionPercent` — so with the default 10 %
 *   and fewer than 10 endpoints nothing is ever ejected; the counter that fired is reset either way;
 * - an ejection lasts min(baseEjectionTime × backoff, max ejection time), where backoff grows by one per
 *   ejection and shrinks by one per `interval` the endpoint spends un-ejected; un-ejection happens on
 *   the interval sweep (a timer every `interval`), which also resets the endpoint's counters.
 *
 * Pure and deterministic: time comes in as `now` (ms), sweeps run lazily for every interval tick that
 * has passed, and the whole state is plain JSON (`toJSON`) so the Circuit Durable Object can store it.
 */
import type { OutlierConfig } from "../../config/compile/outlier-detection.js";
import type { OutlierOutcome } from "./outlier-outcome.js";

export interface OutlierHostData {
  /** Consecutive 5xx (gateway errors included). */
  c5xx: number;
  /** Consecutive gateway errors (502/503/504, connect failures, resets, timeouts). */
  cGateway: number;
  /** Envoy's eject-time backoff multiplier. */
  backoff: number;
  /** Times ejected (for explain / metrics). */
  ejections: number;
  /** Set while ejected. */
  ejectedAt?: number;
  /** Set while ejected: the sweep tick at which the endpoint comes back. */
  until?: number;
}

export interface OutlierStateData {
  /** Time of the last interval sweep; sweeps happen at lastTickMs + k × interval. */
  lastTickMs: number;
  /** Bumped whenever the set of ejected endpoints changes. */
  version: number;
  hosts: Record<string, OutlierHostData>;
}

export class OutlierState {
  private config: OutlierConfig;
  private readonly data: OutlierStateData;

  /**
   * @param now the time the detector starts (its first sweep is one interval later)
   * @param data a state saved with `toJSON()`
   */
  constructor(config: OutlierConfig, now: number, data?: OutlierStateData) {
    this.config = config;
    this.data = data ? structuredClone(data) : { lastTickMs: now, version: 0, hosts: {} };
  }

  get version(): number {
    return this.data.version;
  }

  /** Takes a new config; sweeps continue from the last sweep at the new interval. */
  setConfig(config: OutlierConfig, now: number): void {
    this.sweep(now);
    this.config = config;
  }

  /** The cluster's endpoints (the denominator of maxEjectionPercent). Unknown endpoints' state is dropped. */
  setHosts(keys: readonly string[], now: number): boolean {
    this.sweep(now);
    const wanted = new Set(keys);
    let changed = false;
    for (const key of Object.keys(this.data.hosts)) {
      if (wanted.has(key)) continue;
      if (this.data.hosts[key]!.until !== undefined) changed = true;
      delete this.data.hosts[key];
    }
    for (const key of wanted) this.data.hosts[key] ??= newHost();
    if (changed) this.data.version++;
    return changed;
  }

  /**
   * Counts one attempt's outcome against an endpoint.
   * @returns true when the set of ejected endpoints changed (by this outcome or a sweep it triggered)
   */
  record(key: string, outcome: OutlierOutcome, now: number): boolean {
    let changed = this.sweep(now);
    const h = (this.data.hosts[key] ??= newHost());
    const c = this.config;
    if (outcome === "success") {
      h.c5xx = 0;
      h.cGateway = 0;
      return changed;
    }
    if (outcome === "gateway-error") {
      h.cGateway++;
      if (c.consecutiveGatewayErrors > 0 && h.cGateway === c.consecutiveGatewayErrors && h.until === undefined) {
        changed = this.eject(h, now) || changed;
        h.cGateway = 0;
      }
    } else {
      h.cGateway = 0;
    }
    h.c5xx++;
    if (c.consecutive5xxErrors > 0 && h.c5xx === c.consecutive5xxErrors && h.until === undefined) {
      changed = this.eject(h, now) || changed;
      h.c5xx = 0;
    }
    return changed;
  }

  /** Runs the interval sweeps due by `now`. @returns true when an endpoint came back. */
  sweep(now: number): boolean {
    const interval = Math.max(1, this.config.intervalMs);
    let changed = false;
    while (this.data.lastTickMs + interval <= now) {
      if (this.quiescent()) {
        // Nothing ejected and no backoff left: the remaining ticks would change nothing.
        this.data.lastTickMs += Math.floor((now - this.data.lastTickMs) / interval) * interval;
        break;
      }
      this.data.lastTickMs += interval;
      changed = this.tick(this.data.lastTickMs) || changed;
    }
    return changed;
  }

  isEjected(key: string, now: number): boolean {
    const until = this.data.hosts[key]?.until;
    return until !== undefined && now < until;
  }

  /** Ejected endpoints and when they come back (ms). */
  ejected(now: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, h] of Object.entries(this.data.hosts)) if (h.until !== undefined && now < h.until) out[key] = h.until;
    return out;
  }

  host(key: string): Readonly<OutlierHostData> | undefined {
    return this.data.hosts[key];
  }

  toJSON(): OutlierStateData {
    return structuredClone(this.data);
  }

  private eject(h: OutlierHostData, now: number): boolean {
    const c = this.config;
    const hosts = Object.values(this.data.hosts);
    const ejectedCount = hosts.filter((x) => x.until !== undefined).length;
    // Envoy: eject only while (ejected + 1) / hosts stays within maxEjectionPercent.
    if ((100 * (ejectedCount + 1)) / hosts.length > c.maxEjectionPercent) return false;
    h.ejectedAt = now;
    h.ejections++;
    if (h.backoff * c.baseEjectionTimeMs < c.maxEjectionTimeMs + c.baseEjectionTimeMs) h.backoff++;
    const duration = Math.min(c.baseEjectionTimeMs * h.backoff, c.maxEjectionTimeMs);
    const interval = Math.max(1, c.intervalMs);
    const last = this.data.lastTickMs;
    // The first sweep at or after the ejection time has elapsed.
    h.until = last + Math.max(1, Math.ceil((now + duration - last) / interval)) * interval;
    this.data.version++;
    return true;
  }

  private tick(t: number): boolean {
    const c = this.config;
    let changed = false;
    for (const h of Object.values(this.data.hosts)) {
      if (h.ejectedAt === undefined) {
        if (h.backoff > 0) h.backoff--;
        continue;
      }
      if (t - h.ejectedAt >= Math.min(c.baseEjectionTimeMs * h.backoff, c.maxEjectionTimeMs)) {
        delete h.ejectedAt;
        delete h.until;
        h.c5xx = 0;
        h.cGateway = 0;
        changed = true;
      }
    }
    if (changed) this.data.version++;
    return changed;
  }

  private quiescent(): boolean {
    for (const h of Object.values(this.data.hosts)) if (h.ejectedAt !== undefined || h.backoff > 0) return false;
    return true;
  }
}

function newHost(): OutlierHostData {
  return { c5xx: 0, cGateway: 0, backoff: 0, ejections: 0 };
}
