/**
 * Admission: turns loaded documents into validated resources, or into errors that name the resource,
 * the field path and (for files) the line. What Istio's CRD schema or validation webhook rejects is an
 * error here; analyzer findings are not (see analyzer/).
 */
import { z } from "zod";
import type { ConfigError, ErrorCode } from "./errors.js";
import { joinPath, lineOfPath, type LoadedDocument } from "./loader.js";
import { DEFAULT_NAMESPACE, isServedApiVersion, kindInfoFor, KINDS, resourceKey, type Kind, type ObjectMeta, type Resource } from "./resource.js";
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from "./schemas/common.js";
import { networkingValidators } from "./schemas/networking.js";
import type { KindValidator, RuleContext } from "./schemas/registry.js";
import { securityValidators } from "./schemas/security.js";
import { telemetryValidators } from "./schemas/telemetry.js";
import { rateLimitValidators } from "./schemas/rate-limit-policy.js";
import { gatewayApiValidators } from "./schemas/gateway-api.js";

const validators: Record<Kind, KindValidator<any>> = {
  ...networkingValidators,
  ...securityValidators,
  ...telemetryValidators,
  ...rateLimitValidators,
  ...gatewayApiValidators,
};

const metadataSchema = z.strictObject({
  name: z.string(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.string().optional(),
  generation: z.number().int().optional(),
  uid: z.string().optional(),
  // Written by kubectl/istioctl exports; accepted and ignored.
  managedFields: z.array(z.unknown()).optional(),
  ownerReferences: z.array(z.unknown()).optional(),
  finalizers: z.array(z.string()).optional(),
  generateName: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  deletionGracePeriodSeconds: z.number().optional(),
});

const envelopeKeys = new Set(["apiVersion", "kind", "metadata", "spec", "status"]);

export interface ValidateResult {
  resource?: Resource;
  errors: ConfigError[];
}

export interface ValidateOptions {
  /** Namespace for resources that name none (the CLI's `-n`); default `default`. */
  defaultNamespace?: string;
}

/** Validates one loaded document. */
export function validateDocument(doc: LoadedDocument, opts: ValidateOptions = {}): ValidateResult {
  const raw = doc.raw as Record<string, unknown>;
  const errors: ConfigError[] = [];
  const ident = { kind: "", namespace: "", name: "" };
  const push = (path: string, message: string, code: ErrorCode) =>
    errors.push({ ...ident, path, message, code, file: doc.file, line: lineOfPath(doc, path) });

  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    push("", "a resource must be an object with apiVersion, kind, metadata and spec", "FieldValueTypeInvalid");
    return { errors };
  }
  const meta = (typeof raw.metadata === "object" && raw.metadata !== null ? raw.metadata : {}) as Record<string, unknown>;
  ident.kind = typeof raw.kind === "string" ? raw.kind : "";
  ident.name = typeof meta.name === "string" ? meta.name : "";
  ident.namespace = typeof meta.namespace === "string" ? meta.namespace : (opts.defaultNamespace ?? DEFAULT_NAMESPACE);

  const info = typeof raw.kind === "string" ? kindInfoFor(raw.apiVersion, raw.kind) : undefined;
  if (typeof raw.kind !== "string" || raw.kind === "") {
    push("kind", "kind is required", "FieldValueRequired");
  } else if (!info) {
    push("kind", `unknown kind ${JSON.stringify(raw.kind)}; supported kinds: ${[...new Set(KINDS.map((k) => k.wireKind ?? k.kind))].join(", ")}`, "KindUnknown");
  }
  if (typeof raw.apiVersion !== "string" || raw.apiVersion === "") {
    push("apiVersion", "apiVersion is required", "FieldValueRequired");
  } else if (info && !isServedApiVersion(info, raw.apiVersion)) {
    push("apiVersion", `${info.kind} is not served at ${JSON.stringify(raw.apiVersion)}; use one of ${info.versions.map((v) => `${info.group}/${v}`).join(", ")}`, "ApiVersionUnknown");
  }
  for (const key of Object.keys(raw)) {
    if (!envelopeKeys.has(key)) push(key, `unknown field ${JSON.stringify(key)}`, "FieldUnknown");
  }
  if (raw.metadata === undefined) {
    push("metadata", "metadata.name is required", "FieldValueRequired");
  } else {
    const m = metadataSchema.safeParse(raw.metadata, { reportInput: true });
    if (!m.success) for (const issue of m.error.issues) pushIssue(issue, "metadata", push);
    if (typeof meta.name === "string") {
      if (meta.name === "") push("metadata.name", "name is required", "FieldValueRequired");
      else if (meta.name.length > 253 || !DNS1123_SUBDOMAIN.test(meta.name))
        push("metadata.name", `invalid name ${JSON.stringify(meta.name)}: must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.')`, "FieldValueInvalid");
    }
    if (typeof meta.namespace === "string" && (meta.namespace.length > 63 || !DNS1123_LABEL.test(meta.namespace)))
      push("metadata.namespace", `invalid namespace ${JSON.stringify(meta.namespace)}: must be a lowercase RFC 1123 label`, "FieldValueInvalid");
  }
  if (errors.length || !info) return { errors };

  const tooDeep = pathDeeperThan(raw.spec, MAX_NESTING, "spec");
  if (tooDeep !== undefined) {
    push(tooDeep, `nested more than ${MAX_NESTING} levels deep; no resource needs that many, so it is refused here`, "FieldValueInvalid");
    return { errors };
  }
  const validator = validators[info.kind];
  // Kubernetes drops null fields before validating (they mean "unset"); so do we.
  const specRaw = raw.spec === undefined || raw.spec === null ? {} : dropNulls(raw.spec);
  const parsed = validator.spec.safeParse(specRaw, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) pushIssue(issue, "spec", push);
    return { errors };
  }
  const { managedFields: _drop, ...kept } = raw.metadata as Record<string, unknown>;
  const metadata = { ...kept, namespace: ident.namespace } as unknown as ObjectMeta;
  const ctx: RuleContext = {
    metadata,
    error: (path, message, code = "FieldValueInvalid") => push(path, message, code),
  };
  validator.rules?.(parsed.data, ctx);
  if (errors.length) return { errors };
  return {
    resource: { apiVersion: raw.apiVersion as string, kind: info.kind, metadata, spec: specRaw as Record<string, unknown> },
    errors,
  };
}

/**
 * Deepest nesting of objects and lists a resource may have. Istio's deepest resources need about 12;
 * the bound keeps every recursive walk over user input (null dropping, schemas, rules, storage)
 * far from the stack limit.
 */
export const MAX_NESTING = 64;

/** The path of the first value nested deeper than `max` levels, or undefined (iterative: never recurses). */
export function pathDeeperThan(value: unknown, max: number, base = ""): string | undefined {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: base, depth: 0 }];
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= max) return path;
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, path: joinPath(path, i), depth: depth + 1 }));
    else for (const [k, x] of Object.entries(v)) stack.push({ v: x, path: joinPath(path, k), depth: depth + 1 });
  }
  return undefined;
}

function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
  return out;
}

function pushIssue(issue: z.core.$ZodIssue, base: string, push: (path: string, message: string, code: ErrorCode) => void): void {
  let path = base;
  for (const seg of issue.path) path = joinPath(path, typeof seg === "number" ? seg : String(seg));
  if (issue.code === "unrecognized_keys") {
    for (const key of issue.keys) push(joinPath(path, key), `unknown field ${JSON.stringify(key)}`, "FieldUnknown");
    return;
  }
  if (issue.code === "invalid_type") {
    const got = issue.input === undefined ? "nothing" : Array.isArray(issue.input) ? "array" : issue.input === null ? "null" : typeof issue.input;
    if (issue.input === undefined) push(path, `required field is missing (expected ${issue.expected})`, "FieldValueRequired");
    else push(path, `expected ${issue.expected}, got ${got}`, "FieldValueTypeInvalid");
    return;
  }
  if (issue.code === "invalid_value") {
    push(path, `invalid value ${JSON.stringify(issue.input)}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`, "FieldValueInvalid");
    return;
  }
  push(path, issue.message, "FieldValueInvalid");
}

/**
 * Validates every document and checks that no two name the same resource. Admission is all or nothing
 * for the caller: when `errors` is non-empty nothing should be stored.
 */
export function validateDocuments(docs: LoadedDocument[], opts: ValidateOptions = {}): { resources: Resource[]; errors: ConfigError[] } {
  const resources: Resource[] = [];
  const errors: ConfigError[] = [];
  const seen = new Map<string, LoadedDocument>();
  for (const doc of docs) {
    const r = validateDocument(doc, opts);
    errors.push(...r.errors);
    if (!r.resource) continue;
    const key = resourceKey(r.resource);
    if (seen.has(key)) {
      errors.push({
        kind: r.resource.kind, namespace: r.resource.metadata.namespace, name: r.resource.metadata.name,
        path: "metadata.name", message: `${r.resource.kind} ${r.resource.metadata.namespace}/${r.resource.metadata.name} appears more than once in this request`,
        code: "Duplicate", file: doc.file, line: doc.line,
      });
      continue;
    }
    seen.set(key, doc);
    resources.push(r.resource);
  }
  return { resources, errors };
}
