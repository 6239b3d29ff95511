/**
 * Access logs for `envoyOtelAls` providers, exported as OTLP/HTTP JSON log records (`POST <service>/v1/logs`):
 * buffered per isolate and provider, sent with `waitUntil` when 50 records are waiting or 2 s have passed
 * since the last send — never awaited by a request. A collector that is down costs requests nothing: the
 * batch is dropped (and counted in the error line), as Envoy's gRPC access-log sink drops on failure.
 *
 * `service` forms: `binding:<NAME>` (a service binding of the gateway Worker), an `http(s)://` base URL,
 * or Istio's `[<namespace>/]<host>` with `port` (sent to `http://<host>:<port>`).
 */
import type { OtelAlsProvider } from "../../config/mesh-telemetry.js";
import type { OtlpLogRecord } from "../../policy/telemetry/otlp-log-record.js";

export const OTLP_BATCH = 50;
export const OTLP_INTERVAL_MS = 2000;


type Fetcher = { fetch: (input: string, init?: RequestInit) => Promise<Response> };

/** Where a provider's logs go, and how. */
export function otlpTarget(provider: OtelAlsProvider, env: Env): { fetcher: Fetcher; url: string } | undefined {
  const s = provider.service;
  if (s.startsWith("binding:")) {
    const b = (env as unknown as Record<string, Fetcher | undefined>)[s.slice("binding:".length)];
    return b && typeof b.fetch === "function" ? { fetcher: b, url: "http://otel-collector/v1/logs" } : undefined;
  }
  if (/^https?:\/\//i.test(s)) return { fetcher: { fetch: (u, i) => fetch(u, i) }, url: s.replace(/\/+$/, "") + "/v1/logs" };
  const host = s.includes("/") ? s.slice(s.indexOf("/") + 1) : s;
  return { fetcher: { fetch: (u, i) => fetch(u, i) }, url: `http://${host}:${provider.port ?? 4318}/v1/logs` };
}

interface Buffer {
  records: OtlpLogRecord[];
  lastSend: number;
}

/** The isolate's OTLP log batches, one per provider (runtime/isolate.ts owns the one instance). */
export class OtlpLogQueue {
  private readonly buffers = new Map<string, Buffer>();

  /** Queues one record; schedules a send when the batch is full or due. */
  enqueue(provider: OtelAlsProvider, record: OtlpLogRecord, env: Env, waitUntil: (p: Promise<unknown>) => void, now = Date.now()): void {
    let b = this.buffers.get(provider.name);
    if (!b) this.buffers.set(provider.name, (b = { records: [], lastSend: now }));
    b.records.push(record);
    if (b.records.length >= OTLP_BATCH || now - b.lastSend >= OTLP_INTERVAL_MS) waitUntil(this.send(provider, env, now));
  }

  /** Sends what is buffered for `provider` (the batch trigger calls it; tests may). */
  send(provider: OtelAlsProvider, env: Env, now = Date.now()): Promise<void> {
    const b = this.buffers.get(provider.name);
    if (!b || b.records.length === 0) return Promise.resolve();
    const records = b.records;
    b.records = [];
    b.lastSend = now;
    return exportRecords(provider, env, records);
  }
}

/** POSTs one batch; a collector that is down or refuses costs an error line, never an exception. */
async function exportRecords(provider: OtelAlsProvider, env: Env, records: OtlpLogRecord[]): Promise<void> {
  const target = otlpTarget(provider, env);
  if (!target) {
    console.error(JSON.stringify({ error: "OTLP access log: provider service not reachable", provider: provider.name, dropped: records.length }));
    return;
  }
  const body = {
    resourceLogs: [{
      resource: { attributes: [{ key: "service.name", value: { stringValue: "isthmus-gateway" } }] },
      scopeLogs: [{ scope: { name: "isthmus.access_log" }, logRecords: records }],
    }],
  };
  try {
    const res = await target.fetcher.fetch(target.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`collector answered ${res.status}`);
  } catch (e) {
    console.error(JSON.stringify({ error: "OTLP access log export failed", provider: provider.name, dropped: records.length, message: String((e as Error)?.message ?? e) }));
  }
}
