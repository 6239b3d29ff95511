/**
 * State that lives as long as the isolate and outlives config changes: requests in flight per endpoint
 * (LEAST_REQUEST), concurrency slots per cluster (connection pools), the shared-ejection view of each
 * cluster (outlier detection), local rate-limit counters, remote JWKS, metric deltas, span and OTLP log
 * batches, and the parsed MESH_CONFIG var.
 * Nothing here is derived from a snapshot; each snapshot's runtime (hydrate.ts) is handed this one object.
 */
import { parseMeshConfig, type MeshConfig } from "../../config/mesh-config.js";
import { meshTracing, type MeshTracing } from "../../config/tracing-settings.js";
import { ConcurrencyLimiters } from "../../policy/concurrency-limit.js";
import { InflightRequests } from "../../policy/load-balancer/index.js";
import type { CircuitView } from "../../policy/outlier/index.js";
import { JwksStore } from "../../policy/jwt/index.js";
import { LeaseBook, LocalCounters } from "../../policy/ratelimit/index.js";
import { SpanExporter } from "../tracing/span-exporter.js";
import { MetricsReporter } from "./metrics-flush.js";
import { OtlpLogQueue } from "./otlp-logs.js";

export interface IsolateState {
  readonly inflight: InflightRequests;
  readonly concurrency: ConcurrencyLimiters;
  /** Outlier-detection views by cluster name. */
  readonly circuits: Map<string, CircuitView>;
  readonly localCounters: LocalCounters;
  /** Global-limit budget lent to this isolate by the RateLimiter objects (lease-book.ts). */
  readonly leases: LeaseBook;
  /** Remote JWKS, shared by every snapshot's authenticators (a new config does not refetch keys). */
  readonly jwks: JwksStore;
  /** The Cloudflare location (colo) this isolate runs in, from its first edge request's `cf.colo`. */
  location?: string;
  /** The first edge request's `cf` was read (it has no colo in local workerd; reading it again would not tell more). */
  locationRead?: boolean;
  /** Istio metric deltas and their flushes to the metrics Durable Object. */
  readonly metrics: MetricsReporter;
  /** Finished spans waiting for their batch to be exported. */
  readonly spans: SpanExporter;
  /** `envoyOtelAls` access-log records waiting for their batch. */
  readonly otlpLogs: OtlpLogQueue;
  /** Istio's MeshConfig subset from the MESH_CONFIG var, parsed when the var changes. */
  meshConfig(env: Env): MeshConfig;
  /** The MESH_CONFIG's tracing providers and defaults, parsed when the var changes. */
  meshTracing(env: Env): MeshTracing;
}

export function createIsolateState(): IsolateState {
  let parsed: { text: string | undefined; config: MeshConfig } | undefined;
  let tracing: { text: string | undefined; settings: MeshTracing } | undefined;
  return {
    inflight: new InflightRequests(),
    concurrency: new ConcurrencyLimiters(),
    circuits: new Map(),
    localCounters: new LocalCounters(),
    leases: new LeaseBook(),
    jwks: new JwksStore(),
    metrics: new MetricsReporter(),
    spans: new SpanExporter(),
    otlpLogs: new OtlpLogQueue(),
    meshConfig(env) {
      const text = env.MESH_CONFIG;
      if (!parsed || parsed.text !== text) {
        const result = parseMeshConfig(text);
        for (const e of result.errors) console.error(`MESH_CONFIG: ${typeof e === "string" ? e : JSON.stringify(e)}`);
        for (const w of result.warnings) console.warn(`MESH_CONFIG: ${typeof w === "string" ? w : JSON.stringify(w)}`);
        parsed = { text, config: result.config };
      }
      return parsed.config;
    },
    meshTracing(env) {
      const text = env.MESH_CONFIG;
      if (!tracing || tracing.text !== text) tracing = { text, settings: meshTracing(text) };
      return tracing.settings;
    },
  };
}

/** This isolate's state. */
export const isolate: IsolateState = createIsolateState();
