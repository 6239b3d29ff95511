/**
 * RateLimitPolicy (`policy.isthmus.dev/v1alpha1`): first-class rate limits, which Istio only offers
 * through EnvoyFilter patches of Envoy's local_ratelimit / ratelimit filters. The fields borrow Istio's
 * and Envoy's vocabulary so an Istio user recognises them:
 *
 * - attachment like Istio's policies: `targetRefs` (a Gateway, optionally one server by `sectionName`;
 *   a VirtualService, optionally one http route by `sectionName`), `hosts` (VirtualService style), or
 *   neither (the whole gateway workload, when the policy lives in its namespace or the root namespace);
 * - `rules[]`: `match` written like VirtualService `HTTPMatchRequest`, a `key` of parts like Envoy's rate
 *   limit actions (remote address, header, claim, path, method, host, constant), and exactly one of
 *   `tokenBucket` (Envoy's `TokenBucket` field names) or `fixedWindow` (the ratelimit service's
 *   `requests_per_unit` / `unit`);
 * - `mode` local | global, `shadow`, `failureModeDeny`, `timeout` (Envoy's ratelimit filter names).
 *
 * Enums are written in lower case (`local`, `minute`), as the issue and Envoy's ratelimit service spell
 * them; the UPPER_CASE spelling Istio's enums use is accepted too.
 */
import { z } from "zod";
import { parseDuration } from "../duration.js";
import { joinPath } from "../loader.js";
import { DNS1123_LABEL, DNS1123_SUBDOMAIN, isHeaderName, positiveDuration, stringMatch } from "./common.js";
import { checkMsPrecision, wildcardDomainError } from "./networking-fields.js";
import type { KindValidator, RuleContext } from "./registry.js";

/** The most rules one policy may hold (each is evaluated per request). */
export const MAX_RULES = 64;
/** The most parts a key may have. */
export const MAX_KEY_PARTS = 8;

const limited = <T extends z.ZodType>(item: T, max: number, what: string) =>
  z.array(item).max(max, { error: (i) => `at most ${max} ${what} may be set, got ${(i.input as unknown[]).length}` });

/** Accepts `local` and `LOCAL`; the compiler lower-cases. */
function caseInsensitiveEnum(values: readonly string[]) {
  return z.enum([...values, ...values.map((v) => v.toUpperCase())] as unknown as [string, ...string[]]);
}

export const RATE_LIMIT_MODES = ["local", "global"] as const;
export type RateLimitMode = (typeof RATE_LIMIT_MODES)[number];
export const WINDOW_UNITS = ["second", "minute", "hour", "day"] as const;
export type WindowUnit = (typeof WINDOW_UNITS)[number];
export const WINDOW_MS: Record<WindowUnit, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** `targetRefs[]`: Gateway API policy attachment, same namespace only (Istio's rule). */
export const rateLimitTargetRef = z.strictObject({
  group: z.string().optional(),
  kind: z.string(),
  name: z.string(),
  /** Gateway: a server by its `name`; VirtualService: an http route by its `name`. */
  sectionName: z.string().optional(),
  namespace: z.string().optional(),
});
export type RateLimitTargetRef = z.infer<typeof rateLimitTargetRef>;

/** A `key` part: exactly one field set. */
export const keyPart = z.strictObject({
  /** The client IP (`CF-Connecting-IP`), optionally masked to a prefix (one bucket per /24 or /64). */
  remoteAddress: z
    .strictObject({
      ipv4PrefixLength: z.number().int().min(0).max(32).optional(),
      ipv6PrefixLength: z.number().int().min(0).max(128).optional(),
    })
    .optional(),
  /** A request header's value; absent ⇒ the rule does not apply, unless `default` is set. */
  header: z.strictObject({ name: z.string(), default: z.string().optional() }).optional(),
  /** A validated JWT claim (`sub`, nested with `.`: `org.id`); absent ⇒ the rule does not apply, unless `default`. */
  claim: z.strictObject({ name: z.string(), default: z.string().optional() }).optional(),
  /** The request path without the query string. */
  path: z.strictObject({}).optional(),
  /** The request method. */
  method: z.strictObject({}).optional(),
  /** The request host (lower case, without port). */
  host: z.strictObject({}).optional(),
  /** A fixed value (one counter shared by every request the rule applies to). */
  constant: z.string().optional(),
});
export type KeyPart = z.infer<typeof keyPart>;
export const KEY_PART_FIELDS = Object.keys(keyPart.shape) as (keyof KeyPart)[];

/** `match[]`: a subset of VirtualService's HTTPMatchRequest (fields ANDed, blocks ORed). */
export const rateLimitMatch = z.strictObject({
  uri: stringMatch.optional(),
  method: stringMatch.optional(),
  headers: z.record(z.string(), stringMatch).optional(),
  withoutHeaders: z.record(z.string(), stringMatch).optional(),
  ignoreUriCase: z.boolean().optional(),
});
export type RateLimitMatch = z.infer<typeof rateLimitMatch>;

const count = z.number().int().max(4294967295);

/** Envoy's `TokenBucket`: capacity (and initial fill), tokens added each interval (default 1). */
export const tokenBucket = z.strictObject({
  maxTokens: count.min(1),
  tokensPerFill: count.min(1).optional(),
  fillInterval: positiveDuration,
});
export type TokenBucketSpec = z.infer<typeof tokenBucket>;

/** The ratelimit service's fixed window, aligned to the unit (UTC). `requests: 0` blocks. */
export const fixedWindow = z.strictObject({
  requests: count.min(0),
  unit: caseInsensitiveEnum(WINDOW_UNITS),
});
export type FixedWindowSpec = z.infer<typeof fixedWindow>;

export const rateLimitRule = z.strictObject({
  name: z.string(),
  match: limited(rateLimitMatch, 64, "match blocks").optional(),
  key: z.array(keyPart).optional(),
  tokenBucket: tokenBucket.optional(),
  fixedWindow: fixedWindow.optional(),
});
export type RateLimitRule = z.infer<typeof rateLimitRule>;

export const rateLimitPolicySpec = z.strictObject({
  targetRefs: limited(rateLimitTargetRef, 16, "targetRefs").optional(),
  hosts: limited(z.string(), 64, "hosts").optional(),
  mode: caseInsensitiveEnum(RATE_LIMIT_MODES).optional(),
  shadow: z.boolean().optional(),
  failureModeDeny: z.boolean().optional(),
  /** Global mode: how long to wait for the RateLimiter Durable Object before treating it as failed. */
  timeout: positiveDuration.optional(),
  rules: z.array(rateLimitRule),
});
export type RateLimitPolicySpec = z.infer<typeof rateLimitPolicySpec>;

/** Target kinds a RateLimitPolicy attaches to (group "" and `networking.istio.io` both accepted). */
export const RATE_LIMIT_TARGET_KINDS = ["Gateway", "VirtualService"] as const;
const TARGET_GROUPS = ["", "networking.istio.io"];
/** Gateway API targets: a Gateway (its listeners, or the one `sectionName` names) or an HTTPRoute. */
const GATEWAY_API_TARGET_KINDS = ["Gateway", "HTTPRoute"];

export const rateLimitPolicyValidator: KindValidator<RateLimitPolicySpec> = {
  spec: rateLimitPolicySpec,
  rules(spec, ctx) {
    const mode = (spec.mode ?? "local").toLowerCase() as RateLimitMode;
    spec.targetRefs?.forEach((ref, i) => checkTargetRef(ref, `spec.targetRefs[${i}]`, ctx));
    checkHosts(spec.hosts, ctx);
    if (mode !== "global") {
      if (spec.failureModeDeny !== undefined) ctx.error("spec.failureModeDeny", "failureModeDeny applies only to mode global (local limits make no remote call)");
      if (spec.timeout !== undefined) ctx.error("spec.timeout", "timeout applies only to mode global (local limits make no remote call)");
    }
    checkMsPrecision(spec.timeout, "spec.timeout", ctx);
    if (spec.rules.length === 0) ctx.error("spec.rules", "at least one rule is required", "FieldValueRequired");
    if (spec.rules.length > MAX_RULES) ctx.error("spec.rules", `at most ${MAX_RULES} rules may be set, got ${spec.rules.length}`);
    const names = new Map<string, number>();
    spec.rules.forEach((rule, i) => {
      const path = `spec.rules[${i}]`;
      const prev = names.get(rule.name);
      if (prev !== undefined) ctx.error(`${path}.name`, `rule names must be unique: ${JSON.stringify(rule.name)} is also used by spec.rules[${prev}]`, "Duplicate");
      else names.set(rule.name, i);
      checkRule(rule, path, ctx);
    });
  },
};

export const rateLimitValidators: Record<"RateLimitPolicy", KindValidator<RateLimitPolicySpec>> = {
  RateLimitPolicy: rateLimitPolicyValidator,
};

function checkTargetRef(ref: RateLimitTargetRef, path: string, ctx: RuleContext): void {
  const istio = TARGET_GROUPS.includes(ref.group ?? "") && (RATE_LIMIT_TARGET_KINDS as readonly string[]).includes(ref.kind);
  const gatewayApi = ref.group === "gateway.networking.k8s.io" && GATEWAY_API_TARGET_KINDS.includes(ref.kind);
  if (!istio && !gatewayApi) {
    ctx.error(path, `targetRef must be to one of networking.istio.io/Gateway, networking.istio.io/VirtualService, gateway.networking.k8s.io/Gateway, gateway.networking.k8s.io/HTTPRoute but was ${ref.group ?? ""}/${ref.kind}`);
  }
  if (ref.name === "") ctx.error(joinPath(path, "name"), "targetRef name must be set", "FieldValueRequired");
  else if (ref.name.length > 253 || !DNS1123_SUBDOMAIN.test(ref.name))
    ctx.error(joinPath(path, "name"), `invalid targetRef name ${JSON.stringify(ref.name)}: must be a lowercase RFC 1123 subdomain`);
  if (ref.namespace !== undefined && ref.namespace !== "" && ref.namespace !== ctx.metadata.namespace)
    ctx.error(joinPath(path, "namespace"), `targetRef namespace must be the policy's namespace ${JSON.stringify(ctx.metadata.namespace)}, got ${JSON.stringify(ref.namespace)}: cross namespace referencing is not supported`);
  if (ref.sectionName === "") ctx.error(joinPath(path, "sectionName"), "sectionName must not be empty; remove it to target the whole resource");
}

function checkHosts(hosts: string[] | undefined, ctx: RuleContext): void {
  if (hosts === undefined) return;
  if (hosts.length === 0) ctx.error("spec.hosts", "`hosts` must not be empty; remove it to attach by targetRefs or to the whole gateway", "FieldValueRequired");
  hosts.forEach((h, i) => {
    const at = `spec.hosts[${i}]`;
    if (h.includes("/")) ctx.error(at, `host ${JSON.stringify(h)} must not carry a namespace (write the DNS name only)`);
    else {
      const err = wildcardDomainError(h);
      if (err) ctx.error(at, err);
    }
  });
}

function checkRule(rule: RateLimitRule, path: string, ctx: RuleContext): void {
  if (rule.name === "") ctx.error(`${path}.name`, "rule name must be set", "FieldValueRequired");
  else if (rule.name.length > 63 || !DNS1123_LABEL.test(rule.name))
    ctx.error(`${path}.name`, `invalid rule name ${JSON.stringify(rule.name)}: must be a lowercase RFC 1123 label (a-z, 0-9, '-', at most 63 characters)`);

  const limits = (["tokenBucket", "fixedWindow"] as const).filter((k) => rule[k] !== undefined);
  if (limits.length === 0) ctx.error(path, "exactly one of tokenBucket or fixedWindow must be set", "FieldValueRequired");
  else if (limits.length > 1) ctx.error(`${path}.${limits[1]}`, "only one of tokenBucket or fixedWindow may be set, got tokenBucket and fixedWindow", "FieldMutuallyExclusive");
  if (rule.tokenBucket) {
    checkMsPrecision(rule.tokenBucket.fillInterval, `${path}.tokenBucket.fillInterval`, ctx);
    const ms = parseDuration(rule.tokenBucket.fillInterval) ?? 0;
    if (ms > 366 * 86_400_000) ctx.error(`${path}.tokenBucket.fillInterval`, `fillInterval must be at most 366 days, got ${JSON.stringify(rule.tokenBucket.fillInterval)}`);
  }

  if (rule.match !== undefined && rule.match.length === 0) ctx.error(`${path}.match`, "`match` must not be empty; remove it to match every request", "FieldValueRequired");
  rule.match?.forEach((m, j) => {
    for (const field of ["headers", "withoutHeaders"] as const) {
      for (const name of Object.keys(m[field] ?? {})) {
        if (!isHeaderName(name)) ctx.error(joinPath(`${path}.match[${j}].${field}`, name), `invalid header name ${JSON.stringify(name)}`);
      }
    }
  });

  if (rule.key !== undefined && rule.key.length > MAX_KEY_PARTS) ctx.error(`${path}.key`, `at most ${MAX_KEY_PARTS} key parts may be set, got ${rule.key.length}`);
  rule.key?.forEach((part, j) => checkKeyPart(part, `${path}.key[${j}]`, ctx));
}

function checkKeyPart(part: KeyPart, path: string, ctx: RuleContext): void {
  const set = KEY_PART_FIELDS.filter((k) => part[k] !== undefined);
  if (set.length === 0) {
    ctx.error(path, `a key part must set one of ${KEY_PART_FIELDS.join(", ")}`, "FieldValueRequired");
    return;
  }
  if (set.length > 1) ctx.error(joinPath(path, set[1]!), `only one of ${KEY_PART_FIELDS.join(", ")} may be set, got ${set.join(" and ")}`, "FieldMutuallyExclusive");
  if (part.header) {
    const name = part.header.name;
    if (name === "") ctx.error(`${path}.header.name`, "header name must be set", "FieldValueRequired");
    else if (!isHeaderName(name) || name.startsWith(":")) ctx.error(`${path}.header.name`, `invalid header name ${JSON.stringify(name)}`);
  }
  if (part.claim) {
    const name = part.claim.name;
    if (name === "") ctx.error(`${path}.claim.name`, "claim name must be set", "FieldValueRequired");
    else if (name.startsWith(".") || name.endsWith(".") || name.includes("..")) ctx.error(`${path}.claim.name`, `invalid claim name ${JSON.stringify(name)}: nested claims are separated by single dots`);
  }
  if (part.constant === "") ctx.error(`${path}.constant`, "constant must not be empty");
}
