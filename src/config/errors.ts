/**
 * Error and message values of the config pipeline. Every one names the resource and the field, so a
 * user can find what to fix (the admin API returns them as JSON; the CLI prints them istioctl-style).
 */

/** Where a resource came from, when it came from a file (CLI) or a request body (admin API). */
export interface SourceLocation {
  /** File name, or undefined for request bodies. */
  file?: string;
  /** 1-based line of the field (or of the document when the field has no node of its own). */
  line?: number;
}

/** An admission error: the resource is refused (422 from the admin API; IST0106 from `analyze`). */
export interface ConfigError extends SourceLocation {
  kind: string;
  namespace: string;
  name: string;
  /** Field path in the resource, dotted with [index] for arrays, e.g. `spec.http[0].route[1].weight`. */
  path: string;
  message: string;
  /** Machine-readable code: `FieldValueInvalid`, `FieldValueRequired`, `FieldUnknown`, `Conflict`, ... */
  code: ErrorCode;
}

export type ErrorCode =
  | "ParseError"
  | "FieldUnknown"
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueTypeInvalid"
  | "FieldMutuallyExclusive"
  | "KindUnknown"
  | "ApiVersionUnknown"
  | "Duplicate"
  | "Conflict"
  | "NotFound"
  | "TooLarge"
  | "Unauthorized"
  | "InternalError";

export type Level = "Error" | "Warning" | "Info";

/** An analyzer finding (Istio's `IST0xxx` messages). Findings never block an apply. */
export interface AnalyzerMessage extends SourceLocation {
  /** e.g. `IST0101` */
  code: string;
  /** Istio's message type name, e.g. `ReferencedResourceNotFound`. */
  type: string;
  level: Level;
  kind: string;
  namespace: string;
  name: string;
  /** Field path the message is about, when there is one. */
  path?: string;
  /** Istio's message text, e.g. `Referenced host not found: "reviews"`. */
  message: string;
}

/** istioctl's one-line form: `Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host not found: "reviews"` */
export function formatMessage(m: AnalyzerMessage): string {
  const file = m.file ? `${m.file}${m.line ? `:${m.line}` : ""}` : "";
  const what = m.kind ? `${m.kind} ${m.namespace}/${m.name}` : "";
  return `${m.level} [${m.code}] (${[what, file].filter(Boolean).join(" ") || "input"}) ${m.message}`;
}

/** Turns an admission error into the IST0106 analyzer message `istioctl analyze` would print. */
export function schemaErrorMessage(e: ConfigError): AnalyzerMessage {
  return {
    code: "IST0106",
    type: "SchemaValidationError",
    level: "Error",
    kind: e.kind,
    namespace: e.namespace,
    name: e.name,
    path: e.path,
    file: e.file,
    line: e.line,
    message: `Schema validation error: ${e.path ? `${e.path}: ` : ""}${e.message}`,
  };
}
