/**
 * Reads what the test collector (test/members/otel.ts) received and has it decoded by the OTLP
 * receiver in test/global-setup.ts (OpenTelemetry's proto definitions), as flat spans.
 */
import { env } from "cloudflare:workers";
import { inject } from "vitest";

export interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, string | number | boolean>;
  status?: { code?: number };
  resource: Record<string, string | number | boolean>;
}

interface KeyValue { key: string; value: { stringValue?: string; intValue?: string; boolValue?: boolean; doubleValue?: number } }
interface Decoded {
  resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: (Omit<DecodedSpan, "attributes" | "resource"> & { attributes?: KeyValue[] })[] }[] }[];
}

export const otelCollector = (): Fetcher => (env as unknown as { TEST_OTEL: Fetcher }).TEST_OTEL;

const value = (v: KeyValue["value"]) => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.boolValue ?? v.doubleValue ?? "");
const attributes = (kvs: KeyValue[] = []) => Object.fromEntries(kvs.map((kv) => [kv.key, value(kv.value)]));

/** Decodes one export body with the receiver; throws with its message when it is not valid OTLP. */
export async function decodeExport(contentType: string, body: Uint8Array | string): Promise<Decoded> {
  const { otlp } = inject("origins");
  const res = await fetch(`http://127.0.0.1:${otlp}/decode`, { method: "POST", headers: { "content-type": contentType }, body });
  if (res.status !== 200) throw new Error(`OTLP receiver refused the export: ${await res.text()}`);
  return (await res.json()) as Decoded;
}

export function flatten(d: Decoded): DecodedSpan[] {
  return (d.resourceSpans ?? []).flatMap((rs) => {
    const resource = attributes(rs.resource?.attributes);
    return (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s) => ({ ...s, attributes: attributes(s.attributes), resource })));
  });
}

/** Every span the collector holds, decoded. */
export async function decodedSpans(): Promise<DecodedSpan[]> {
  const received = (await (await otelCollector().fetch("http://otel/__received")).json()) as { contentType: string; body: string }[];
  const out: DecodedSpan[] = [];
  for (const r of received) {
    const bytes = Uint8Array.from(atob(r.body), (c) => c.charCodeAt(0));
    out.push(...flatten(await decodeExport(r.contentType, bytes)));
  }
  return out;
}

export const spansOf = (spans: DecodedSpan[], traceId: string) => spans.filter((s) => s.traceId === traceId);

/** Polls the collector until the trace's spans arrive (and `until` holds), up to 5 s. */
export async function waitForSpans(traceId: string, until: (spans: DecodedSpan[]) => boolean = (s) => s.length > 0): Promise<DecodedSpan[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const spans = spansOf(await decodedSpans(), traceId);
    if (spans.length && until(spans)) return spans;
    if (Date.now() > deadline) throw new Error(`trace ${traceId}: ${spans.length} spans after 5 s: ${JSON.stringify(spans.map((s) => s.name))}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}
