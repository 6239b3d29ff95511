/**
 * Building blocks of the Kubernetes Gateway API schemas (gateway.networking.k8s.io, standard channel):
 * the OpenAPI patterns and bounds of the CRDs' shared types (`Hostname`, `SectionName`, `Duration`,
 * `HTTPHeaderName`, references). Objects are strict, as kubectl's strict field validation is.
 */
import { z } from "zod";

export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

const lenMsg = (what: string, max: number) => ({ error: (i: { input?: unknown }) => `${what} may have at most ${max} entries, got ${Array.isArray(i.input) ? i.input.length : "?"}` });
/** A list bounded as the CRD's `maxItems`. */
export const bounded = <T extends z.ZodType>(item: T, max: number, what: string) => z.array(item).max(max, lenMsg(what, max));

const patterned = (re: RegExp, what: string, min: number, max: number) =>
  z.string().superRefine((v, ctx) => {
    if (v.length < min) ctx.addIssue({ code: "custom", message: `${what} must be at least ${min} character${min === 1 ? "" : "s"} long` });
    else if (v.length > max) ctx.addIssue({ code: "custom", message: `${what} may be at most ${max} characters long, got ${v.length}` });
    else if (!re.test(v)) ctx.addIssue({ code: "custom", message: `invalid ${what} ${JSON.stringify(v)}: must match ${re.source}` });
  });

/** `Hostname`: a DNS name, optionally with one leading `*.` label; no IP, no port. */
export const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const hostname = patterned(HOSTNAME, "hostname", 1, 253);
/** `PreciseHostname`: no wildcard. */
export const preciseHostname = patterned(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "hostname", 1, 253);
/** `SectionName` / `ObjectName`-like DNS subdomain. */
export const sectionName = patterned(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "section name", 1, 253);
export const objectName = patterned(/^.+$/, "name", 1, 253);
export const namespaceName = patterned(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "namespace", 1, 63);
/** `Group`: empty (core) or a DNS subdomain. */
export const group = z.string().superRefine((v, ctx) => {
  if (v.length > 253 || (v !== "" && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(v)))
    ctx.addIssue({ code: "custom", message: `invalid group ${JSON.stringify(v)}: must be empty or a DNS subdomain` });
});
export const kind = patterned(/^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/, "kind", 1, 63);
export const portNumber = z.number().int().min(1).max(65535);
/** `HTTPHeaderName`: an RFC 7230 token. */
export const headerName = patterned(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, "header name", 1, 256);
/** Gateway API `Duration` (GEP-2257): 1–4 groups of up to 5 digits with h, m, s or ms. */
export const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
export const gwDuration = patterned(DURATION, "duration", 1, 64);

/** Milliseconds of a GEP-2257 duration (validated by `gwDuration`). */
export function gwDurationMs(v: string): number {
  let ms = 0;
  for (const m of v.matchAll(/([0-9]+)(ms|h|m|s)/g)) {
    const n = Number(m[1]);
    ms += m[2] === "h" ? n * 3_600_000 : m[2] === "m" ? n * 60_000 : m[2] === "s" ? n * 1000 : n;
  }
  return ms;
}

/** `ParentReference`. */
export const parentReference = z.strictObject({
  group: group.optional(),
  kind: kind.optional(),
  namespace: namespaceName.optional(),
  name: objectName,
  sectionName: sectionName.optional(),
  port: portNumber.optional(),
});
export type ParentReference = z.infer<typeof parentReference>;

/** `SecretObjectReference` (certificateRefs). */
export const secretObjectReference = z.strictObject({
  group: group.optional(),
  kind: kind.optional(),
  name: objectName,
  namespace: namespaceName.optional(),
});
export type SecretObjectReference = z.infer<typeof secretObjectReference>;

/** `BackendObjectReference`. */
export const backendObjectReference = z.strictObject({
  group: group.optional(),
  kind: kind.optional(),
  name: objectName,
  namespace: namespaceName.optional(),
  port: portNumber.optional(),
});
export type BackendObjectReference = z.infer<typeof backendObjectReference>;

/** CEL on backend references: `Must have port for Service reference`. */
export function backendPortRequired(ref: BackendObjectReference): boolean {
  return (ref.group ?? "") === "" && (ref.kind ?? "Service") === "Service" && ref.port === undefined;
}

/** `LabelSelector` (matchLabels, matchExpressions). */
export const labelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(z.strictObject({
    key: z.string(),
    operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
    values: z.array(z.string()).optional(),
  })).optional(),
});
export type LabelSelector = z.infer<typeof labelSelector>;

/** Does `labels` satisfy a Kubernetes label selector? (An empty selector selects everything.) */
export function labelSelectorMatches(sel: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const val = labels[e.key];
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
    if (e.operator === "In" && (!has || !(e.values ?? []).includes(val!))) return false;
    if (e.operator === "NotIn" && has && (e.values ?? []).includes(val!)) return false;
  }
  return true;
}
