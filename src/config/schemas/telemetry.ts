/**
 * Telemetry (`telemetry.istio.io/v1`, `v1alpha1`): tracing, metrics and access logging per mesh,
 * namespace or workload. Schema from istio/api `telemetry/v1alpha1/telemetry.proto` and its CRD; rules
 * from Istio's `ValidateTelemetry` webhook. Istio's warnings (several tracing entries or providers,
 * empty tag names) are not errors here either.
 */
import { z } from "zod";
import { parseDuration } from "../duration.js";
import { joinPath } from "../loader.js";
import { celExpressionError } from "../cel.js";
import { duration } from "./common.js";
import { checkDryRunAnnotation, checkTargeting, targetingFields } from "./policy-target.js";
import type { KindValidator, RuleContext } from "./registry.js";

const nonEmpty = (what: string) => z.string().min(1, { error: `${what} must not be empty` });

export const WORKLOAD_MODES = ["CLIENT_AND_SERVER", "CLIENT", "SERVER"] as const;
export type WorkloadMode = (typeof WORKLOAD_MODES)[number];
const workloadMode = z.enum(WORKLOAD_MODES);

/** protobuf BoolValue / DoubleValue: the CRD marks them nullable (null = unset). */
const boolValue = z.boolean().nullable().optional();

export const providerRef = z.strictObject({ name: nonEmpty("providers.name") });
export type ProviderRef = z.infer<typeof providerRef>;
const providers = z.array(providerRef).optional();

export const customTag = z
  .strictObject({
    literal: z.strictObject({ value: nonEmpty("literal tag value") }).optional(),
    environment: z.strictObject({ name: nonEmpty("environment tag name"), defaultValue: z.string().optional() }).optional(),
    header: z.strictObject({ name: nonEmpty("header tag name"), defaultValue: z.string().optional() }).optional(),
    formatter: z.strictObject({ value: nonEmpty("formatter tag value") }).optional(),
  })
  .superRefine((tag, ctx) => {
    const set = (["literal", "environment", "header", "formatter"] as const).filter((k) => tag[k] !== undefined);
    if (set.length > 1) ctx.addIssue({ code: "custom", message: `only one of literal, environment, header or formatter may be set, got ${set.join(" and ")}` });
  });
export type CustomTag = z.infer<typeof customTag>;

export const tracing = z.strictObject({
  match: z.strictObject({ mode: workloadMode.optional() }).optional(),
  providers,
  randomSamplingPercentage: z
    .number()
    .min(0, { error: (i) => `randomSamplingPercentage must be in range [0.0, 100.0], got ${String(i.input)}` })
    .max(100, { error: (i) => `randomSamplingPercentage must be in range [0.0, 100.0], got ${String(i.input)}` })
    .nullable()
    .optional(),
  disableSpanReporting: boolValue,
  customTags: z.record(z.string(), customTag).optional(),
  useRequestIdForTraceSampling: boolValue,
  enableIstioTags: boolValue,
  disableContextPropagation: boolValue,
});
export type Tracing = z.infer<typeof tracing>;

export const ISTIO_METRICS = [
  "ALL_METRICS", "REQUEST_COUNT", "REQUEST_DURATION", "REQUEST_SIZE", "RESPONSE_SIZE",
  "TCP_OPENED_CONNECTIONS", "TCP_CLOSED_CONNECTIONS", "TCP_SENT_BYTES", "TCP_RECEIVED_BYTES",
  "GRPC_REQUEST_MESSAGES", "GRPC_RESPONSE_MESSAGES",
] as const;
export type IstioMetric = (typeof ISTIO_METRICS)[number];

export const metricSelector = z
  .strictObject({
    metric: z.enum(ISTIO_METRICS).optional(),
    customMetric: nonEmpty("customMetric").optional(),
    mode: workloadMode.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.metric !== undefined && m.customMetric !== undefined)
      ctx.addIssue({ code: "custom", path: ["customMetric"], message: `only one of metric or customMetric may be set, got metric ${m.metric} and customMetric ${JSON.stringify(m.customMetric)}` });
  });
export type MetricSelector = z.infer<typeof metricSelector>;

export const TAG_OPERATIONS = ["UPSERT", "REMOVE"] as const;
export const tagOverride = z.strictObject({
  /** Default UPSERT. */
  operation: z.enum(TAG_OPERATIONS).optional(),
  /** CEL expression for the tag value; required with UPSERT, forbidden with REMOVE. */
  value: z.string().optional(),
});
export type TagOverride = z.infer<typeof tagOverride>;

export const metricsOverrides = z.strictObject({
  match: metricSelector.optional(),
  disabled: boolValue,
  tagOverrides: z.record(z.string(), tagOverride).optional(),
});
export type MetricsOverrides = z.infer<typeof metricsOverrides>;

export const metrics = z.strictObject({
  providers,
  overrides: z.array(metricsOverrides).optional(),
  /** TCP metrics reporting interval; default 5s. */
  reportingInterval: duration.optional(),
});
export type Metrics = z.infer<typeof metrics>;

export const accessLogging = z.strictObject({
  match: z.strictObject({ mode: workloadMode.optional() }).optional(),
  providers,
  disabled: boolValue,
  /** CEL; only matching requests are logged (e.g. `response.code >= 400`). */
  filter: z.strictObject({ expression: z.string().optional() }).optional(),
});
export type AccessLogging = z.infer<typeof accessLogging>;

export const telemetrySpec = z.strictObject({
  ...targetingFields,
  tracing: z.array(tracing).optional(),
  metrics: z.array(metrics).optional(),
  accessLogging: z.array(accessLogging).optional(),
});
export type TelemetrySpec = z.infer<typeof telemetrySpec>;

export const telemetryValidator: KindValidator<TelemetrySpec> = {
  spec: telemetrySpec,
  rules(spec, ctx) {
    checkDryRunAnnotation(ctx, "Telemetry");
    checkTargeting(spec, ctx);
    spec.tracing?.forEach((t, i) => {
      for (const name of Object.keys(t.customTags ?? {}))
        if (name === "") ctx.error(joinPath(`spec.tracing[${i}].customTags`, name), "tag name may not be empty", "FieldValueRequired");
    });
    spec.metrics?.forEach((m, i) => checkMetrics(m, `spec.metrics[${i}]`, ctx));
    spec.accessLogging?.forEach((l, i) => {
      if (!l.filter) return;
      const at = `spec.accessLogging[${i}].filter.expression`;
      const expr = l.filter.expression ?? "";
      const err = celExpressionError(expr);
      if (err) ctx.error(at, `filter expression ${JSON.stringify(expr)} must be a valid CEL expression: ${err}`);
    });
  },
};

function checkMetrics(m: Metrics, path: string, ctx: RuleContext): void {
  if (m.reportingInterval !== undefined) {
    const ms = parseDuration(m.reportingInterval);
    if (ms !== undefined && ms < 1) ctx.error(`${path}.reportingInterval`, `reportingInterval ${JSON.stringify(m.reportingInterval)} must be a valid duration greater than 1ms`);
  }
  m.overrides?.forEach((o, j) => {
    for (const [tag, to] of Object.entries(o.tagOverrides ?? {})) {
      const at = joinPath(`${path}.overrides[${j}].tagOverrides`, tag);
      const op = to.operation ?? "UPSERT";
      if (op === "UPSERT" && (to.value ?? "") === "")
        ctx.error(joinPath(at, "value"), `tagOverrides[${JSON.stringify(tag)}].value must be set when operation is UPSERT`, "FieldValueRequired");
      else if (op === "UPSERT") {
        const err = celExpressionError(to.value!);
        if (err) ctx.error(joinPath(at, "value"), `tagOverrides[${JSON.stringify(tag)}].value ${JSON.stringify(to.value)} must be a valid CEL expression: ${err}`);
      }
      if (op === "REMOVE" && to.value !== undefined)
        ctx.error(joinPath(at, "value"), `tagOverrides[${JSON.stringify(tag)}].value must not be set when operation is REMOVE, got ${JSON.stringify(to.value)}`);
    }
  });
}

export const telemetryValidators: { Telemetry: KindValidator<TelemetrySpec> } = { Telemetry: telemetryValidator };
