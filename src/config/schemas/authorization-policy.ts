/**
 * AuthorizationPolicy (`security.istio.io/v1`, `v1beta1`): ALLOW / DENY / AUDIT / CUSTOM rules over
 * sources, operations and conditions. Schema from istio/api `security/v1beta1/authorization_policy.proto`
 * and its CRD; rules from Istio's `ValidateAuthorizationPolicy` webhook and `pkg/config/security`
 * (condition keys, IP blocks, ports, service accounts, path templates).
 *
 * One stricter choice than Istio: `from: []` / `to: []` / `rules: []` are refused like their Go checks
 * intend (Istio's JSON decoding turns an empty list into "unset", so a `from: []` silently matches
 * every source there).
 */
import { z } from "zod";
import { joinPath } from "../loader.js";
import { ipBlockError } from "./ip-block.js";
import { checkDryRunAnnotation, checkTargeting, targetingFields } from "./policy-target.js";
import type { KindValidator, RuleContext } from "./registry.js";
import { authzClaimPath } from "../claim-path.js";

const strings = z.array(z.string()).optional();
const serviceAccounts = z
  .array(z.string())
  .max(16, { error: (i) => `may not have more than 16 values, got ${(i.input as unknown[]).length}` })
  .optional();

export const source = z.strictObject({
  principals: strings,
  notPrincipals: strings,
  requestPrincipals: strings,
  notRequestPrincipals: strings,
  namespaces: strings,
  notNamespaces: strings,
  serviceAccounts,
  notServiceAccounts: serviceAccounts,
  ipBlocks: strings,
  notIpBlocks: strings,
  remoteIpBlocks: strings,
  notRemoteIpBlocks: strings,
  trustDomains: strings,
  notTrustDomains: strings,
});
export type Source = z.infer<typeof source>;
export type SourceField = keyof Source;
export const SOURCE_FIELDS = Object.keys(source.shape) as SourceField[];

export const operation = z.strictObject({
  hosts: strings,
  notHosts: strings,
  ports: strings,
  notPorts: strings,
  methods: strings,
  notMethods: strings,
  paths: strings,
  notPaths: strings,
});
export type Operation = z.infer<typeof operation>;
export type OperationField = keyof Operation;
export const OPERATION_FIELDS = Object.keys(operation.shape) as OperationField[];

export const condition = z.strictObject({
  key: z.string(),
  values: strings,
  notValues: strings,
});
export type Condition = z.infer<typeof condition>;

export const from = z.strictObject({ source: source.optional() });
export type RuleFrom = z.infer<typeof from>;
export const to = z.strictObject({ operation: operation.optional() });
export type RuleTo = z.infer<typeof to>;

export const rule = z.strictObject({
  from: z.array(from).max(512, { error: (i) => `at most 512 from entries may be set, got ${(i.input as unknown[]).length}` }).optional(),
  to: z.array(to).optional(),
  when: z.array(condition).optional(),
});
export type Rule = z.infer<typeof rule>;

export const AUTHORIZATION_ACTIONS = ["ALLOW", "DENY", "AUDIT", "CUSTOM"] as const;
export type AuthorizationAction = (typeof AUTHORIZATION_ACTIONS)[number];

export const extensionProvider = z.strictObject({ name: z.string().optional() });
export type ExtensionProvider = z.infer<typeof extensionProvider>;

export const authorizationPolicySpec = z.strictObject({
  ...targetingFields,
  rules: z.array(rule).max(512, { error: (i) => `at most 512 rules may be set, got ${(i.input as unknown[]).length}` }).optional(),
  action: z.enum(AUTHORIZATION_ACTIONS).optional(),
  provider: extensionProvider.optional(),
});
export type AuthorizationPolicySpec = z.infer<typeof authorizationPolicySpec>;

export const authorizationPolicyValidator: KindValidator<AuthorizationPolicySpec> = {
  spec: authorizationPolicySpec,
  rules(spec, ctx) {
    const action = spec.action ?? "ALLOW";
    checkDryRunAnnotation(ctx, "AuthorizationPolicy", action);
    checkTargeting(spec, ctx);
    const hasRules = (spec.rules?.length ?? 0) > 0;

    if (action === "CUSTOM") {
      if (!hasRules)
        ctx.error("spec.rules", "CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request", "FieldValueRequired");
      if (!spec.provider?.name) ctx.error("spec.provider.name", "`provider.name` must not be empty with action CUSTOM", "FieldValueRequired");
    } else if (spec.provider !== undefined) {
      ctx.error("spec.provider", `\`provider\` must not be with non CUSTOM action, found ${action}`);
    }
    if (action === "DENY" && !hasRules)
      ctx.error("spec.rules", "DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request", "FieldValueRequired");

    spec.rules?.forEach((r, i) => checkRule(r, `spec.rules[${i}]`, action, ctx));
  },
};

/** Source fields the ext-authz (CUSTOM) filter cannot see: it runs before peer and JWT identity exist. */
const CUSTOM_UNSUPPORTED_SOURCE: readonly SourceField[] = [
  "namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts", "trustDomains", "notTrustDomains",
  "principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals",
];

function checkRule(r: Rule, path: string, action: AuthorizationAction, ctx: RuleContext): void {
  if (r.from !== undefined && r.from.length === 0) ctx.error(`${path}.from`, "`from` must not be empty; remove it to match any source", "FieldValueRequired");
  r.from?.forEach((f, j) => {
    const at = `${path}.from[${j}].source`;
    if (!f.source) ctx.error(at, "`from.source` must not be nil", "FieldValueRequired");
    else checkSource(f.source, at, action, ctx);
  });
  if (r.to !== undefined && r.to.length === 0) ctx.error(`${path}.to`, "`to` must not be empty; remove it to match any operation", "FieldValueRequired");
  r.to?.forEach((t, j) => {
    const at = `${path}.to[${j}].operation`;
    if (!t.operation) ctx.error(at, "`to.operation` must not be nil", "FieldValueRequired");
    else checkOperation(t.operation, at, ctx);
  });
  r.when?.forEach((c, j) => checkCondition(c, `${path}.when[${j}]`, action, ctx));
}

function checkSource(src: Source, path: string, action: AuthorizationAction, ctx: RuleContext): void {
  if (SOURCE_FIELDS.every((k) => (src[k]?.length ?? 0) === 0)) {
    ctx.error(path, "`from.source` must not be empty; set at least one field", "FieldValueRequired");
    return;
  }
  const identity = (["principals", "notPrincipals", "namespaces", "notNamespaces"] as const).filter((k) => (src[k]?.length ?? 0) > 0);
  const accounts = (["serviceAccounts", "notServiceAccounts"] as const).filter((k) => (src[k]?.length ?? 0) > 0);
  if (identity.length && accounts.length)
    ctx.error(joinPath(path, accounts[0]!), `cannot set serviceAccounts with namespaces or principals (found ${[...accounts, ...identity].join(", ")})`, "FieldMutuallyExclusive");

  for (const k of SOURCE_FIELDS) {
    const values = src[k];
    if (!values) continue;
    const at = joinPath(path, k);
    if (action === "CUSTOM" && values.length > 0 && CUSTOM_UNSUPPORTED_SOURCE.includes(k)) ctx.error(at, `${k} is currently not supported with CUSTOM action`);
    values.forEach((v, n) => {
      const err = sourceValueError(k, v);
      if (err) ctx.error(`${at}[${n}]`, err);
    });
  }
}

function sourceValueError(field: SourceField, value: string): string | undefined {
  if (field === "serviceAccounts" || field === "notServiceAccounts") return serviceAccountError(value);
  if (value === "") return `empty value not allowed in ${field}`;
  if (field === "trustDomains" || field === "notTrustDomains") return trustDomainError(value);
  if (field.endsWith("pBlocks")) return ipBlockError(value);
  return undefined;
}

function checkOperation(op: Operation, path: string, ctx: RuleContext): void {
  if (OPERATION_FIELDS.every((k) => (op[k]?.length ?? 0) === 0)) {
    ctx.error(path, "`to.operation` must not be empty; set at least one field", "FieldValueRequired");
    return;
  }
  for (const k of OPERATION_FIELDS) {
    op[k]?.forEach((v, n) => {
      const at = `${joinPath(path, k)}[${n}]`;
      let err: string | undefined;
      if (v === "") err = `empty value not allowed in ${k}`;
      else if (k === "ports" || k === "notPorts") err = portError(v);
      else if (k === "paths" || k === "notPaths") err = pathTemplateError(v);
      if (err) ctx.error(at, err);
    });
  }
}

function checkCondition(c: Condition, path: string, action: AuthorizationAction, ctx: RuleContext): void {
  if (c.key === "") {
    ctx.error(`${path}.key`, "`key` must not be empty", "FieldValueRequired");
    return;
  }
  const keyErr = conditionKeyError(c.key);
  if (keyErr) {
    ctx.error(`${path}.key`, keyErr);
    return;
  }
  if (action === "CUSTOM" && CUSTOM_UNSUPPORTED_KEYS.some((k) => (k.endsWith(".") ? c.key.startsWith(k) : c.key === k)))
    ctx.error(`${path}.key`, `${c.key} is currently not supported with CUSTOM action`);
  if (!c.values?.length && !c.notValues?.length) {
    ctx.error(path, `at least one of \`values\` or \`notValues\` must be set for key ${c.key}`, "FieldValueRequired");
    return;
  }
  for (const field of ["values", "notValues"] as const) {
    c[field]?.forEach((v, n) => {
      const err = conditionValueError(c.key, v);
      if (err) ctx.error(`${path}.${field}[${n}]`, `invalid value for key ${c.key}: ${err}`);
    });
  }
}

const CUSTOM_UNSUPPORTED_KEYS = ["source.namespace", "source.serviceAccount", "source.trustDomain", "source.principal", "request.auth."];

/** Condition keys with a fixed name, and what their values must be. */
export const CONDITION_KEYS = [
  "source.ip",
  "remote.ip",
  "source.namespace",
  "source.serviceAccount",
  "source.principal",
  "source.trustDomain",
  "request.auth.principal",
  "request.auth.audiences",
  "request.auth.presenter",
  "destination.ip",
  "destination.port",
  "connection.sni",
] as const;
const FIXED_KEYS = new Set<string>(CONDITION_KEYS);

const HEADER_KEY = /^request\.headers\[[^[\]]+\]$/;

/**
 * Why `key` is not a condition key Istio accepts, or undefined. Accepted: the fixed keys above,
 * `request.headers[<name>]`, `request.auth.claims[<claim>]` (nested `[a][b]`), and
 * `experimental.envoy.filters.<filter>[<key>]`.
 */
export function conditionKeyError(key: string): string | undefined {
  if (FIXED_KEYS.has(key)) return undefined;
  if (key.startsWith("request.headers")) return HEADER_KEY.test(key) ? undefined : `bad key ${JSON.stringify(key)}: should have format request.headers[<header-name>]`;
  if (key.startsWith("request.auth.claims")) return authzClaimPath(key) ? undefined : `bad key ${JSON.stringify(key)}: should have format request.auth.claims[<claim>] (nested: request.auth.claims[a][b])`;
  if (key.startsWith("experimental.envoy.filters.")) {
    const open = key.indexOf("[");
    return key.endsWith("]") && open > 0 && open < key.length - 2 ? undefined : `bad key ${JSON.stringify(key)}: should have format a[b]`;
  }
  if (key === "destination.namespace") return `attribute ${key} is replaced by the metadata.namespace`;
  if (key.startsWith("destination.labels")) return `attribute ${key} is replaced by the workload selector`;
  if (key === "destination.name" || key === "destination.user") return `deprecated attribute ${key}: only supported in v1alpha1`;
  return `unknown attribute ${JSON.stringify(key)}; supported keys: request.headers[<name>], ${CONDITION_KEYS.join(", ")}, request.auth.claims[<claim>], experimental.envoy.filters.*`;
}

function conditionValueError(key: string, value: string): string | undefined {
  if (value === "") return "empty value not allowed";
  switch (key) {
    case "source.ip":
    case "remote.ip":
    case "destination.ip":
      return ipBlockError(value);
    case "destination.port":
      return portError(value);
    case "source.serviceAccount":
      return serviceAccountError(value);
    case "source.trustDomain":
      return wildcardError(value);
  }
  return undefined;
}

/** A port as AuthorizationPolicy writes it: a decimal string, 0–65535. */
export function portError(value: string): string | undefined {
  return /^[0-9]+$/.test(value) && Number(value) <= 65535 ? undefined : `bad port ${JSON.stringify(value)}: must be a number 0-65535`;
}

/** `namespace/serviceAccount` or `serviceAccount` (same namespace as the policy); no wildcards. */
export function serviceAccountError(value: string): string | undefined {
  if (value === "") return "empty value not allowed in serviceAccounts";
  if (value.includes("*")) return `wildcard not allowed in service account ${JSON.stringify(value)}`;
  if (value.length > 320) return `service account ${JSON.stringify(value)} exceeds 320 characters`;
  const parts = value.split("/");
  if (parts.length > 2 || parts.some((p) => p === ""))
    return `expected format 'serviceAccount' or 'namespace/serviceAccount', found ${JSON.stringify(value)}`;
  return undefined;
}

/** Exact, `prefix*`, `*suffix` or `*`: one wildcard at most, at an end. */
function wildcardError(value: string): string | undefined {
  const count = value.split("*").length - 1;
  if (count > 1) return `at most one wildcard is allowed, found ${JSON.stringify(value)}`;
  if (count === 1 && !value.startsWith("*") && !value.endsWith("*")) return `wildcard is only allowed at the start or end, found ${JSON.stringify(value)}`;
  return undefined;
}

function trustDomainError(value: string): string | undefined {
  return wildcardError(value) ?? (value.includes("/") ? `trust domain must not contain '/', found ${JSON.stringify(value)}` : undefined);
}

export const MATCH_ONE_TEMPLATE = "{*}";
export const MATCH_ANY_TEMPLATE = "{**}";
/** RFC 3986 pchar without `*`: what a literal segment of a path template may contain. */
const TEMPLATE_LITERAL = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

/** Whether a `paths` entry is an Envoy URI template (`/foo/{*}`, `/foo/{**}`) rather than a glob. */
export function isPathTemplate(path: string): boolean {
  return path.includes(MATCH_ONE_TEMPLATE) || path.includes(MATCH_ANY_TEMPLATE);
}

/**
 * Why `path` is not a valid `paths` entry, or undefined: braces only as whole `{*}` / `{**}` segments,
 * `{**}` the last operator, and with a template every other segment a plain literal (no `*`).
 */
export function pathTemplateError(path: string): string | undefined {
  const template = isPathTemplate(path);
  const segments = path.replace(/^\/+|\/+$/g, "").split("/");
  let sawAny = false;
  for (const seg of segments) {
    if (seg === MATCH_ONE_TEMPLATE || seg === MATCH_ANY_TEMPLATE) {
      if (sawAny) return `invalid path template ${JSON.stringify(path)}: {**} is not the last operator`;
      if (seg === MATCH_ANY_TEMPLATE) sawAny = true;
      continue;
    }
    if (seg.includes("{") || seg.includes("}"))
      return `invalid path ${JSON.stringify(path)}: contains '{' or '}' beyond a supported path template ({*} or {**} as a whole segment)`;
    if (template && !TEMPLATE_LITERAL.test(seg))
      return `invalid path template ${JSON.stringify(path)}: segment ${JSON.stringify(seg)} is not a valid literal (no '*' or empty segments next to {*}/{**})`;
  }
  return undefined;
}
