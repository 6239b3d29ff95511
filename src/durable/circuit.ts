/**
 * Circuit: the shared outlier-detection state of one cluster (DESIGN §1), one object per cluster name
 * (`env.CIRCUIT.getByName("outbound|9080|v1|reviews.default.svc.cluster.local")`).
 *
 * Gateway isolates never wait for it on the request path: they keep a `CircuitView` (cached ejected
 * set), send batched outcomes with `ctx.waitUntil`, and get the fresh state back from the same call.
 * The logic is the pure `OutlierState` reducer; this class only applies batches in arrival order with
 * its own clock and keeps the state in SQLite when the ejected set or the config changes (counters are
 * soft state: losing them on eviction only delays an ejection).
 *
 * The same class serves as a **location relay** (objects named `relay:<colo>:<cluster>`, created where
 * their first caller runs): isolates of one location send their batches to it, and it forwards them
 * to the cluster's Circuit at most once per RELAY_FORWARD_MS, answering isolates from the state it last
 * got back. So the cluster's Circuit sees about one call per location per second, not one per isolate
 * (docs/scale.md). The relay's buffer is soft state too.
 */
import { DurableObject } from "cloudflare:workers";
import { RELAY_FORWARD_MS, type CircuitApi, type CircuitReport, type CircuitSnapshot } from "../policy/outlier/circuit-api.js";
import type { OutlierConfig } from "../config/compile/outlier-detection.js";
import type { OutlierOutcome } from "../policy/outlier/outlier-outcome.js";
import { OutlierState, type OutlierStateData } from "../policy/outlier/outlier-state.js";

/** Outcomes accepted per call (a batch is normally far smaller). */
const MAX_OUTCOMES = 10_000;
const OUTCOMES: ReadonlySet<string> = new Set<OutlierOutcome>(["5xx", "gateway-error", "success"]);

/** Outcomes a relay holds between forwards; the oldest beyond it are dropped (soft state). */
const MAX_RELAY_BUFFER = 10_000;

interface RelayState {
  cluster: string;
  config?: OutlierConfig;
  hosts?: string[];
  buffer: Array<[string, OutlierOutcome]>;
  snapshot: CircuitSnapshot;
  lastForwardAt: number;
  inflight?: Promise<void>;
  /** The alarm set for buffered outcomes (real time), if any. */
  alarmAt?: number;
}

interface Saved {
  config: OutlierConfig;
  state: OutlierStateData;
}

export class Circuit extends DurableObject<Env> implements CircuitApi {
  private outlier?: OutlierState;
  private config?: OutlierConfig;
  private relayState?: RelayState;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // SQLite storage is synchronous: the state is loaded before any call is delivered.
    try {
      this.load();
    } catch (e) {
      console.error("Circuit load failed; starting empty", e);
    }
  }

  async report(batch: CircuitReport, at?: number): Promise<CircuitSnapshot> {
    const now = typeof at === "number" && Number.isFinite(at) ? at : Date.now();
    const configChanged = JSON.stringify(batch.config) !== JSON.stringify(this.config);
    if (!this.outlier) this.outlier = new OutlierState(batch.config, now);
    else if (configChanged) this.outlier.setConfig(batch.config, now);
    this.config = batch.config;
    const outlier = this.outlier;
    const before = outlier.version;
    if (Array.isArray(batch.hosts)) outlier.setHosts(batch.hosts.map(String), now);
    for (const [key, outcome] of (batch.outcomes ?? []).slice(0, MAX_OUTCOMES)) {
      if (typeof key === "string" && OUTCOMES.has(outcome)) outlier.record(key, outcome, now);
    }
    outlier.sweep(now);
    if (configChanged || outlier.version !== before) this.save();
    return { ejected: outlier.ejected(now), version: outlier.version };
  }

  async state(): Promise<CircuitSnapshot> {
    const outlier = this.outlier;
    if (!outlier) return { ejected: {}, version: 0 };
    const now = Date.now();
    if (outlier.sweep(now)) this.save();
    return { ejected: outlier.ejected(now), version: outlier.version };
  }

  async relay(cluster: string, batch: CircuitReport | undefined, at?: number): Promise<CircuitSnapshot> {
    const now = typeof at === "number" && Number.isFinite(at) ? at : Date.now();
    // A malformed call costs its caller nothing but an empty answer (a throw would surface as an uncaught RPC error).
    if (typeof cluster !== "string" || cluster === "") return { ejected: {}, version: 0 };
    const r = (this.relayState ??= { cluster, buffer: [], snapshot: { ejected: {}, version: 0 }, lastForwardAt: -Infinity });
    if (batch) {
      if (batch.config) r.config = batch.config;
      if (Array.isArray(batch.hosts)) r.hosts = batch.hosts.map(String);
      for (const o of (batch.outcomes ?? []).slice(0, MAX_OUTCOMES)) {
        if (Array.isArray(o) && typeof o[0] === "string" && OUTCOMES.has(o[1])) r.buffer.push([o[0], o[1]]);
      }
      if (r.buffer.length > MAX_RELAY_BUFFER) r.buffer.splice(0, r.buffer.length - MAX_RELAY_BUFFER);
    }
    if (now - r.lastForwardAt >= RELAY_FORWARD_MS && !r.inflight) {
      r.inflight = this.forward(r, now).finally(() => {
        r.inflight = undefined;
      });
      await r.inflight;
    } else if (r.buffer.length > 0 && r.alarmAt === undefined) {
      // Nothing else may come: make sure what is buffered goes within about the interval.
      r.alarmAt = Date.now() + RELAY_FORWARD_MS;
      await this.ctx.storage.setAlarm(r.alarmAt);
    }
    return r.snapshot;
  }

  /** The relay's alarm: forward what is still buffered. */
  override async alarm(): Promise<void> {
    const r = this.relayState;
    if (r) r.alarmAt = undefined;
    if (!r || r.buffer.length === 0 || r.inflight) return;
    const now = Date.now();
    r.inflight = this.forward(r, now).finally(() => {
      r.inflight = undefined;
    });
    await r.inflight;
  }

  private async forward(r: RelayState, now: number): Promise<void> {
    r.lastForwardAt = now;
    const global = this.env.CIRCUIT.getByName(r.cluster);
    const outcomes = r.buffer;
    r.buffer = [];
    try {
      r.snapshot = r.config
        ? ((await global.report({ config: r.config, ...(r.hosts ? { hosts: r.hosts } : {}), outcomes }, now)) as CircuitSnapshot)
        : ((await global.state()) as CircuitSnapshot);
    } catch (e) {
      // Soft state: the outcomes are dropped, the last state stays; the next call tries again.
      console.error(`Circuit relay for ${r.cluster}: forwarding failed`, e);
    }
  }

  private load(): void {
    const sql = this.ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS circuit (k TEXT PRIMARY KEY, v TEXT NOT NULL)`);
    const row = sql.exec<{ v: string }>(`SELECT v FROM circuit WHERE k = 'state'`).toArray()[0];
    if (!row) return;
    const saved = JSON.parse(row.v) as Saved;
    this.config = saved.config;
    this.outlier = new OutlierState(saved.config, Date.now(), saved.state);
  }

  private save(): void {
    if (!this.outlier || !this.config) return;
    const saved: Saved = { config: this.config, state: this.outlier.toJSON() };
    this.ctx.storage.sql.exec(`INSERT OR REPLACE INTO circuit (k, v) VALUES ('state', ?)`, JSON.stringify(saved));
  }
}
