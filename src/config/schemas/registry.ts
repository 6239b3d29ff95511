/**
 * What each kind contributes to validation: a strict zod schema for its `spec` (CRD schema: types,
 * enums, unknown fields) and optional webhook rules (cross-field checks Istio's validation webhook
 * applies). Both produce admission errors: the resource is refused, nothing is stored.
 */
import type { z } from "zod";
import type { ErrorCode } from "../errors.js";
import type { ObjectMeta } from "../resource.js";

export interface RuleContext {
  /** Reports an error at a path relative to the resource (`spec.http[0].route`). */
  error(path: string, message: string, code?: ErrorCode): void;
  metadata: ObjectMeta;
}

export interface KindValidator<Spec = unknown> {
  /** Strict schema of `spec`. */
  spec: z.ZodType<Spec>;
  /** Webhook rules run after the schema accepted the spec. */
  rules?: (spec: Spec, ctx: RuleContext) => void;
}
