/**
 * An isolate's cached view of one cluster's Circuit (outlier detection shared across isolates), so the
 * request path never waits for the Durable Object:
 *
 * - `isEjected` / `ejectedPredicate` read the cached ejected set (an entry expires locally at its
 *   un-ejection time, without asking);
 * - `record` buffers attempt outcomes; `sync(waitUntil)` (call it once per request, after the response)
 *   sends them in the background — at once when an error is waiting, otherwise once `flushMs` old or
 *   `maxBatch` long — and re-reads the state at most every `refreshMs`. One call in flight at a time; a
 *   failed call keeps the old state (its outcomes are dropped: they are soft state) and the next one
 *   goes after `refreshMs`.
 *
 * Time and transport are injected (`now`, `fetchState`, `sendReports`), so this is testable without
 * Workers; in the gateway they are `Date.now` and RPC calls on `env.CIRCUIT.getByName(cluster)`.
 */
import type { CircuitReport, CircuitSnapshot } from "./circuit-api.js";
import type { OutlierConfig } from "../../config/compile/outlier-detection.js";
import type { OutlierOutcome } from "./outlier-outcome.js";

export interface CircuitViewOptions {
  fetchState(): Promise<CircuitSnapshot>;
  sendReports(batch: CircuitReport): Promise<CircuitSnapshot>;
  now(): number;
  config: OutlierConfig;
  /** The cluster's endpoint keys (`endpointKey`). */
  hosts: readonly string[];
  /** Re-read the shared state at most this often (default 1000 ms). */
  refreshMs?: number;
  /** Buffered successes are sent within this time (default 1000 ms); errors go at the next sync. */
  flushMs?: number;
  /** Send as soon as this many outcomes wait (default 64). */
  maxBatch?: number;
  /** Outcomes kept while a call is failing; the oldest beyond it are dropped (default 1024). */
  maxBuffer?: number;
}

export class CircuitView {
  private snapshotValue: CircuitSnapshot = { ejected: {}, version: 0 };
  private buffer: Array<[string, OutlierOutcome]> = [];
  private oldestAt = 0;
  private errorWaiting = false;
  private lastCallAt = -Infinity;
  private inflight?: Promise<void>;
  private config: OutlierConfig;
  private hosts: string[];

  constructor(private readonly opts: CircuitViewOptions) {
    this.config = opts.config;
    this.hosts = [...opts.hosts];
  }

  /** The snapshot changed the cluster's config or endpoints. */
  update(config: OutlierConfig, hosts: readonly string[]): void {
    this.config = config;
    this.hosts = [...hosts];
  }

  /** The cached shared state. */
  get snapshot(): CircuitSnapshot {
    return this.snapshotValue;
  }

  isEjected(key: string, now = this.opts.now()): boolean {
    const until = this.snapshotValue.ejected[key];
    return until !== undefined && now < until;
  }

  /**
   * For `Balancer.pick({ isEjected })`: index → ejected, over `keys` (the balancer's endpoint keys);
   * undefined when nothing is ejected, so the balancer skips the scan.
   */
  ejectedPredicate(keys: readonly string[], now = this.opts.now()): ((index: number) => boolean) | undefined {
    const ejected = this.snapshotValue.ejected;
    let any = false;
    for (const key in ejected) {
      if (now < ejected[key]!) {
        any = true;
        break;
      }
    }
    if (!any) return undefined;
    return (index) => {
      const until = ejected[keys[index]!];
      return until !== undefined && now < until;
    };
  }

  /** Buffers one attempt's outcome (undefined, e.g. an overflow, is not counted). */
  record(key: string, outcome: OutlierOutcome | undefined): void {
    if (outcome === undefined) return;
    if (this.buffer.length === 0) this.oldestAt = this.opts.now();
    this.buffer.push([key, outcome]);
    if (outcome !== "success") this.errorWaiting = true;
    const max = this.opts.maxBuffer ?? 1024;
    if (this.buffer.length > max) this.buffer.splice(0, this.buffer.length - max);
  }

  /** Starts a background report or refresh when one is due. Never waits. */
  sync(waitUntil: (promise: Promise<unknown>) => void): void {
    if (this.inflight) return;
    const now = this.opts.now();
    const pending = this.buffer.length > 0;
    const flushDue = pending && (this.errorWaiting || this.buffer.length >= (this.opts.maxBatch ?? 64) || now - this.oldestAt >= (this.opts.flushMs ?? 1000));
    const refreshDue = now - this.lastCallAt >= (this.opts.refreshMs ?? 1000);
    if (!flushDue && !refreshDue) return;
    this.lastCallAt = now;
    let call: Promise<CircuitSnapshot>;
    if (pending) {
      const batch: CircuitReport = { config: this.config, hosts: this.hosts, outcomes: this.buffer };
      this.buffer = [];
      this.errorWaiting = false;
      call = this.opts.sendReports(batch);
    } else {
      call = this.opts.fetchState();
    }
    const done = call.then(
      (snapshot) => {
        this.snapshotValue = snapshot;
      },
      () => undefined, // keep the old state; the next sync after refreshMs tries again
    ).finally(() => {
      this.inflight = undefined;
    });
    this.inflight = done;
    waitUntil(done);
  }
}
