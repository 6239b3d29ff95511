/**
 * One access-log record for an `envoyOtelAls` provider, in OTLP's JSON encoding (logs.proto `LogRecord`),
 * as Istio's OpenTelemetry access log writes it: `logFormat.text` is the body; `logFormat.labels` become
 * the attributes (integers as `intValue`, missing values left out) with Istio's default text line as the
 * body. Batching and export are the gateway's (runtime/otlp-logs.ts).
 */
import type { AccessLogFormat } from "../../config/mesh-telemetry.js";
import { accessLogLabels, formatAccessLog, type AccessLogEntry } from "./access-log.js";

export interface OtlpLogRecord {
  timeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: { stringValue: string };
  attributes: { key: string; value: { stringValue: string } | { intValue: string } }[];
}

/** `defaultText`: the body of a labels-only format (Istio's default text format, parsed once by the caller). */
export function otlpLogRecord(format: AccessLogFormat, entry: AccessLogEntry, defaultText: AccessLogFormat): OtlpLogRecord {
  const body = formatAccessLog(format.kind === "text" ? format : defaultText, entry);
  const attributes: OtlpLogRecord["attributes"] = [];
  if (format.kind === "json") {
    const labels = accessLogLabels(format.labels, entry);
    for (const key of Object.keys(labels)) {
      const v = labels[key];
      if (v !== null && v !== undefined) attributes.push({ key, value: typeof v === "number" && Number.isInteger(v) ? { intValue: String(v) } : { stringValue: String(v) } });
    }
  }
  return { timeUnixNano: `${entry.startTime}000000`, severityNumber: 9, severityText: "INFO", body: { stringValue: body }, attributes };
}
