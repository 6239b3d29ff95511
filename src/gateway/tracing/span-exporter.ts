/**
 * Spans leave the gateway in batches, per isolate: a request that finished a sampled trace adds its
 * spans and, when no flush is pending, schedules one with its own `waitUntil` (after `delayMs`, so the
 * spans of requests close in time share one export). Nothing is awaited by a request; a collector
 * that is slow, down or answering errors costs the request nothing — the batch is dropped and counted.
 * The buffer is bounded: past `maxQueued` spans new ones are dropped (and counted), as Envoy's
 * OpenTelemetry tracer does.
 *
 * @example
 *   isolate.spans.add(spans, { provider, resource, env, waitUntil: (p) => ctx.waitUntil(p) });
 */
import type { OtelTracingProvider } from "../../config/tracing-settings.js";
import { encodeOtlpJson } from "../../policy/tracing/otlp-json.js";
import { encodeOtlpProtobuf } from "../../policy/tracing/otlp-protobuf.js";
import type { FinishedSpan, TraceResource } from "../../policy/tracing/span.js";

export interface SpanExporterOptions {
  /** How long the first span waits for company (default 200 ms). */
  delayMs?: number;
  /** Spans per export request (default 512). */
  maxBatch?: number;
  /** Spans held at most (default 4096). */
  maxQueued?: number;
}

export interface ExportTarget {
  provider: OtelTracingProvider;
  resource: TraceResource;
  env: Env;
  waitUntil: (p: Promise<unknown>) => void;
}

export interface SpanExporterStats {
  exported: number;
  dropped: number;
  failedExports: number;
  queued: number;
  lastError?: string;
}

export class SpanExporter {
  private queue: FinishedSpan[] = [];
  private target?: ExportTarget;
  private scheduled = false;
  private lastWarnAt = 0;
  readonly stats: SpanExporterStats = { exported: 0, dropped: 0, failedExports: 0, queued: 0 };
  private readonly delayMs: number;
  private readonly maxBatch: number;
  private readonly maxQueued: number;

  constructor(options: SpanExporterOptions = {}) {
    this.delayMs = options.delayMs ?? 200;
    this.maxBatch = options.maxBatch ?? 512;
    this.maxQueued = options.maxQueued ?? 4096;
  }

  add(spans: readonly FinishedSpan[], target: ExportTarget): void {
    // A provider change sends what was queued for the old one first.
    if (this.target && this.target.provider !== target.provider && this.queue.length) this.flushNow(this.target);
    this.target = target;
    const room = this.maxQueued - this.queue.length;
    if (room < spans.length) this.stats.dropped += spans.length - Math.max(room, 0);
    for (let i = 0; i < Math.min(room, spans.length); i++) this.queue.push(spans[i]!);
    this.stats.queued = this.queue.length;
    if (this.queue.length >= this.maxBatch) {
      this.flushNow(target);
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    target.waitUntil(
      new Promise((ok) => setTimeout(ok, this.delayMs)).then(() => {
        this.scheduled = false;
        return this.flush(this.target ?? target);
      }),
    );
  }

  private flushNow(target: ExportTarget): void {
    target.waitUntil(this.flush(target));
  }

  /** Sends everything queued, in batches; never throws. */
  async flush(target: ExportTarget): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.stats.queued = this.queue.length;
      try {
        await send(target, batch);
        this.stats.exported += batch.length;
      } catch (e) {
        this.stats.failedExports++;
        this.stats.dropped += batch.length;
        this.stats.lastError = String((e as Error)?.message ?? e);
        const now = Date.now();
        if (now - this.lastWarnAt > 60_000) {
          this.lastWarnAt = now;
          console.warn(JSON.stringify({ warning: "trace export failed; spans dropped", provider: target.provider.name, spans: batch.length, error: this.stats.lastError }));
        }
      }
    }
  }
}

/** One OTLP/HTTP export request to the provider's service. */
async function send(target: ExportTarget, spans: readonly FinishedSpan[]): Promise<void> {
  const { provider, resource, env } = target;
  const protobuf = provider.encoding === "protobuf";
  const body = protobuf ? encodeOtlpProtobuf(resource, spans) : encodeOtlpJson(resource, spans);
  const headers = new Headers(provider.headers);
  headers.set("content-type", protobuf ? "application/x-protobuf" : "application/json");
  const init: RequestInit = { method: "POST", headers, body, signal: AbortSignal.timeout(provider.timeoutMs) };
  let response: Response;
  if (provider.service.kind === "binding") {
    const binding = (env as unknown as Record<string, Fetcher | undefined>)[provider.service.binding];
    if (!binding || typeof binding.fetch !== "function") throw new Error(`no service binding named ${provider.service.binding}`);
    response = await binding.fetch(`http://${provider.name}${provider.path}`, init);
  } else {
    response = await fetch(provider.service.url + provider.path, init);
  }
  await response.body?.cancel();
  if (!response.ok) throw new Error(`collector answered ${response.status}`);
}
