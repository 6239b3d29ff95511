/**
 * Schema building blocks shared by the Istio kinds: durations, RE2 regexes, StringMatch, selectors,
 * percentages. Objects are strict: an unknown field is an error, as with kubectl's strict validation.
 */
import { z } from "zod";
import { parseDuration } from "../duration.js";
import { regexError } from "../regex.js";

/** A protobuf Duration string (`5s`, `100ms`, `1h30m`). */
export const duration = z.string().superRefine((v, ctx) => {
  if (parseDuration(v) === undefined) ctx.addIssue({ code: "custom", message: `invalid duration ${JSON.stringify(v)}: expected a number with a unit (h, m, s, ms, us, ns), e.g. "5s"` });
});

/** A duration that must be at least 1ms (Istio's ValidateDuration). */
export const positiveDuration = duration.superRefine((v, ctx) => {
  const ms = parseDuration(v);
  if (ms !== undefined && ms < 1) ctx.addIssue({ code: "custom", message: `duration must be at least 1ms, got ${JSON.stringify(v)}` });
});

/** A regex that compiles with RE2 and is at most 1024 characters. */
export const re2 = z.string().superRefine((v, ctx) => {
  const err = regexError(v);
  if (err) ctx.addIssue({ code: "custom", message: err });
});

export const uint32 = z.number().int().min(0).max(4294967295);
export const int32 = z.number().int().min(-2147483648).max(2147483647);
export const port = z.number().int().min(1).max(65535);

/** protobuf wrapper types (UInt32Value, BoolValue, ...) accept the bare value in YAML. */
export const boolValue = z.boolean();

/** `Percent { value: double }`, 0–100. */
export const percent = z.strictObject({ value: z.number().min(0).max(100) });

/** StringMatch: exactly one of exact / prefix / regex. */
export const stringMatch = z
  .strictObject({ exact: z.string().optional(), prefix: z.string().optional(), regex: z.string().optional() })
  .superRefine((v, ctx) => {
    const set = (["exact", "prefix", "regex"] as const).filter((k) => v[k] !== undefined);
    if (set.length > 1) ctx.addIssue({ code: "custom", message: `only one of exact, prefix or regex may be set, got ${set.join(" and ")}` });
    if (v.regex !== undefined) {
      const err = regexError(v.regex);
      if (err) ctx.addIssue({ code: "custom", path: ["regex"], message: err });
    }
  });
export type StringMatch = z.infer<typeof stringMatch>;

/** `WorkloadSelector { matchLabels }` */
export const workloadSelector = z.strictObject({ matchLabels: z.record(z.string(), z.string()).optional() });

/** `PolicyTargetReference` (Gateway API style target of security/telemetry policies). */
export const policyTargetReference = z.strictObject({
  group: z.string().optional(),
  kind: z.string(),
  name: z.string(),
  namespace: z.string().optional(),
});

/** RFC 7230 token, the rule Istio applies to header names. */
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export function isHeaderName(name: string): boolean {
  return HEADER_NAME.test(name) || [":method", ":scheme", ":authority", ":path", ":status"].includes(name);
}

/** DNS-1123 label (namespaces) and subdomain (names) as Kubernetes checks metadata. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
