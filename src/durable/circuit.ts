/**
 * Circuit: the shared outlier-detection state of one cluster (DESIGN §1), one object per cluster name
 * (`env.CIRCUIT.getByName("outbound|9080|v1|reviews.default.svc.cluster.local")`).
 *
 * Gateway isolates never wait for it on the request path: they keep a `CircuitView` (cached ejected
 * set), send batched outcomes with `ctx.waitUntil`, and get the fresh state back from the same call.
 * The logic is the pure `OutlierState` reducer; this class only applies batches in arrival order with
 * its own clock and keeps the state in SQLite when the ejected set or the config changes (counters are
 * soft state: losing them on eviction only delays an ejection).
 */
import { DurableObject } from "cloudflare:workers";
import type { CircuitApi, CircuitReport, CircuitSnapshot } from "../policy/outlier/circuit-api.js";
import type { OutlierConfig } from "../config/compile/outlier-detection.js";
import type { OutlierOutcome } from "../policy/outlier/outlier-outcome.js";
import { OutlierState, type OutlierStateData } from "../policy/outlier/outlier-state.js";

/** Outcomes accepted per call (a batch is normally far smaller). */
const MAX_OUTCOMES = 10_000;
const OUTCOMES: ReadonlySet<string> = new Set<OutlierOutcome>(["5xx", "gateway-error", "success"]);

interface Saved {
  config: OutlierConfig;
  state: OutlierStateData;
}

export class Circuit extends DurableObject<Env> implements CircuitApi {
  private outlier?: OutlierState;
  private config?: OutlierConfig;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // SQLite storage is synchronous: the state is loaded before any call is delivered.
    try {
      this.load();
    } catch (e) {
      console.error("Circuit load failed; starting empty", e);
    }
  }

  async report(batch: CircuitReport): Promise<CircuitSnapshot> {
    const now = Date.now();
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
