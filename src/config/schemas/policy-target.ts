/**
 * What the security and telemetry kinds share: how a policy names the workloads it applies to
 * (`selector`, or `targetRef`/`targetRefs`), and Istio's rule that only AuthorizationPolicy may carry
 * the `istio.io/dry-run` annotation. The checks follow Istio's CRD schema and validation webhook
 * (`validateOneOfSelectorType`, `validateWorkloadSelector`, `validatePolicyTargetReference`,
 * `checkDryRunAnnotation`).
 */
import { z } from "zod";
import { joinPath } from "../loader.js";
import { policyTargetReference, workloadSelector } from "./common.js";
import type { RuleContext } from "./registry.js";

export type WorkloadSelector = z.infer<typeof workloadSelector>;
export type PolicyTargetReference = z.infer<typeof policyTargetReference>;

/** The targeting fields of RequestAuthentication, AuthorizationPolicy and Telemetry. */
export const targetingFields = {
  selector: workloadSelector.optional(),
  /** Hidden singular form, still served by the CRD. */
  targetRef: policyTargetReference.optional(),
  targetRefs: z.array(policyTargetReference).max(16, { error: (i) => `at most 16 targetRefs may be set, got ${(i.input as unknown[]).length}` }).optional(),
};

export interface Targeting {
  selector?: WorkloadSelector | undefined;
  targetRef?: PolicyTargetReference | undefined;
  targetRefs?: PolicyTargetReference[] | undefined;
}

/** `group/kind` pairs a policy may target (group "" means the core group). */
export const ALLOWED_TARGET_KINDS: readonly { group: string; kind: string }[] = [
  { group: "core", kind: "Service" },
  { group: "networking.istio.io", kind: "ServiceEntry" },
  { group: "gateway.networking.k8s.io", kind: "Gateway" },
  { group: "gateway.networking.k8s.io", kind: "GatewayClass" },
];

/** Shadow evaluation of an AuthorizationPolicy: stats only, never enforced. */
export const DRY_RUN_ANNOTATION = "istio.io/dry-run";

/** selector, targetRef and targetRefs are alternatives: at most one may be set. */
export function checkTargeting(spec: Targeting, ctx: RuleContext): void {
  const set = (["selector", "targetRef", "targetRefs"] as const).filter((k) =>
    k === "targetRefs" ? (spec.targetRefs?.length ?? 0) > 0 : spec[k] !== undefined,
  );
  if (set.length > 1)
    ctx.error(`spec.${set[1]}`, `only one of targetRefs or selector can be set, got ${set.join(" and ")}`, "FieldMutuallyExclusive");
  if (spec.selector) checkWorkloadSelector(spec.selector, "spec.selector", ctx);
  if (spec.targetRef) checkTargetReference(spec.targetRef, "spec.targetRef", ctx);
  spec.targetRefs?.forEach((ref, i) => checkTargetReference(ref, `spec.targetRefs[${i}]`, ctx));
}

/** Label keys must be non-empty; keys and values carry no wildcard; values are label values (≤63). */
export function checkWorkloadSelector(selector: WorkloadSelector, path: string, ctx: RuleContext): void {
  const labels = selector.matchLabels ?? {};
  const base = joinPath(path, "matchLabels");
  for (const [key, value] of Object.entries(labels)) {
    const at = joinPath(base, key);
    if (key === "") ctx.error(at, `empty key is not supported in selector: ${JSON.stringify(`${key}=${value}`)}`);
    if (key.includes("*") || value.includes("*"))
      ctx.error(at, `wildcard is not supported in selector: ${JSON.stringify(`${key}=${value}`)}`);
    if (value.length > 63) ctx.error(at, `label value ${JSON.stringify(value)} is longer than 63 characters`);
  }
  if (Object.keys(labels).length > 4096) ctx.error(base, `at most 4096 labels may be set, got ${Object.keys(labels).length}`);
}

const KIND_PATTERN = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

export function checkTargetReference(ref: PolicyTargetReference, path: string, ctx: RuleContext): void {
  if (ref.name === "") ctx.error(joinPath(path, "name"), "targetRef name must be set", "FieldValueRequired");
  else if (ref.name.length > 253) ctx.error(joinPath(path, "name"), `targetRef name ${JSON.stringify(ref.name)} is longer than 253 characters`);
  if (ref.namespace !== undefined && ref.namespace !== "")
    ctx.error(joinPath(path, "namespace"), `targetRef namespace must not be set, got ${JSON.stringify(ref.namespace)}: cross namespace referencing is not supported`);
  if (ref.kind === "" || ref.kind.length > 63 || !KIND_PATTERN.test(ref.kind)) {
    ctx.error(joinPath(path, "kind"), `invalid targetRef kind ${JSON.stringify(ref.kind)}`);
    return;
  }
  const group = ref.group === undefined || ref.group === "" ? "core" : ref.group;
  if (!ALLOWED_TARGET_KINDS.some((a) => a.group === group && a.kind === ref.kind)) {
    const allowed = ALLOWED_TARGET_KINDS.map((a) => `${a.group}/${a.kind}`).join(", ");
    ctx.error(path, `targetRef must be to one of ${allowed} but was ${ref.group ?? ""}/${ref.kind}`);
  }
}

/** Go's strconv.ParseBool, which is how Istio reads the dry-run annotation. */
export function parseGoBool(value: string): boolean | undefined {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(value)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(value)) return false;
  return undefined;
}

/**
 * `istio.io/dry-run` is understood by AuthorizationPolicy with action ALLOW or DENY only; Istio rejects
 * it on every other kind and action so nobody believes a policy is shadowed when it is enforced.
 * `action` is the policy's action for AuthorizationPolicy, undefined for the other kinds.
 */
export function checkDryRunAnnotation(ctx: RuleContext, kind: string, action?: string): void {
  const value = ctx.metadata.annotations?.[DRY_RUN_ANNOTATION];
  if (value === undefined) return;
  const path = joinPath("metadata.annotations", DRY_RUN_ANNOTATION);
  const who = `${ctx.metadata.namespace}/${ctx.metadata.name}`;
  if (kind !== "AuthorizationPolicy") {
    ctx.error(path, `${kind} ${who} has unsupported annotation ${DRY_RUN_ANNOTATION}, please remove the annotation`);
    return;
  }
  if (action !== "ALLOW" && action !== "DENY") {
    ctx.error(path, `the annotation ${DRY_RUN_ANNOTATION} currently only supports action ALLOW/DENY, found action ${action} in ${who}`);
    return;
  }
  if (parseGoBool(value) === undefined)
    ctx.error(path, `annotation ${DRY_RUN_ANNOTATION} has invalid value ${JSON.stringify(value)}: must be "true" or "false"`);
}
