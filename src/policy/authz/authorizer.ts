/**
 * Per-request half of AuthorizationPolicy. `buildAuthorizer` runs once per snapshot (rules → matchers,
 * providers resolved); `custom(view)` is DESIGN §2 stage 3 and `authorize(view)` stage 5.
 *
 * Istio's order, as Envoy runs the filters Istio generates:
 * 1. CUSTOM: if a CUSTOM rule matches, ask the provider (ext-authz.ts). A CUSTOM policy naming an
 *    unknown or broken provider, or CUSTOM policies naming more than one provider, deny the requests
 *    they match (403 `RBAC: access denied`), as Istio's "deny due to bad CUSTOM action".
 * 2. AUDIT: matching policies are reported; the decision never changes.
 * 3. DENY: any match ⇒ 403 `RBAC: access denied`.
 * 4. ALLOW: no ALLOW policy ⇒ allow; a match ⇒ allow; else 403. A policy without rules matches nothing
 *    (ALLOW `spec: {}` denies everything; DENY without rules does nothing); `rules: [{}]` matches all.
 * Dry-run policies (`istio.io/dry-run: "true"`) form Envoy's shadow engines: evaluated, reported in
 * `dryRun`, never enforced. Within an action the reported policy is the first matching in Envoy's
 * order (policy ids `ns[<ns>]-policy[<name>]-rule[<i>]` sorted as strings).
 *
 * @example
 *   const authz = buildAuthorizer(snapshot.policies.authz as AuthzTable, { providers: meshConfig.extensionProviders });
 *   const decision = authz.authorize(view);
 *   if (!decision.allowed) return decision.reply;
 */
import type { ExtAuthzHttpProvider, MeshExtensionProviders } from "../../config/mesh-config.js";
import { localReply, type LocalReply } from "../local-reply.js";
import { AuthzAttributes, type Predicate } from "./attributes.js";
import type { AuthzPolicyEntry, AuthzTable } from "../../config/compile/authorization.js";
import type { AuthzRequestView } from "./request-view.js";
import { compileRule } from "./rule-matcher.js";
import { compileExtAuthzProvider, type CompiledExtAuthzProvider } from "./ext-authz.js";

export interface PolicyRef {
  namespace: string;
  name: string;
  /** Index in `rules` (0 for a policy without rules). */
  rule: number;
}

/** Envoy's RBAC policy name for a rule (what access logs and stats show). */
export function policyId(ref: PolicyRef): string {
  return `ns[${ref.namespace}]-policy[${ref.name}]-rule[${ref.rule}]`;
}

export const RBAC_DENIED_BODY = "RBAC: access denied";

export function rbacDenied(details: string): LocalReply {
  return localReply(403, RBAC_DENIED_BODY, "RBAC", details);
}

export interface ShadowResult {
  /** What the dry-run policies of this action alone would have decided. */
  allowed: boolean;
  /** The dry-run rule that matched, if any. */
  policy?: PolicyRef;
}

export interface AuthzDecision {
  allowed: boolean;
  /** Set when denied: 403 `RBAC: access denied`. */
  reply?: LocalReply;
  /** Envoy `%RESPONSE_CODE_DETAILS%` when denied: `rbac_access_denied_matched_policy[<id>|none]`. */
  details?: string;
  /**
   * - `denied`: a DENY rule matched (`policy`);
   * - `allowed`: an ALLOW rule matched (`policy`);
   * - `no-allow-policies`: nothing denied and no ALLOW policy applies;
   * - `no-allow-match`: ALLOW policies apply and none matched.
   */
  reason: "denied" | "allowed" | "no-allow-policies" | "no-allow-match";
  policy?: PolicyRef;
  /** AUDIT policies that matched (first matching rule of each). */
  audit: PolicyRef[];
  /** Shadow results, present for actions that have dry-run policies and were reached. */
  dryRun?: { deny?: ShadowResult; allow?: ShadowResult };
}

export type CustomCheck =
  /** No CUSTOM rule matched: continue without calling any provider. */
  | { kind: "none" }
  /** Ask `provider` (checkExternalAuthz). */
  | { kind: "check"; provider: CompiledExtAuthzProvider; policy: PolicyRef }
  /** A CUSTOM rule with a bad provider matched: deny. */
  | { kind: "deny"; reply: LocalReply; details: string; policy: PolicyRef; reason: string };

export interface Authorizer {
  /** Stage 3: whether a CUSTOM policy wants the external check (runs before JWT: `view.auth` unused). */
  custom(view: AuthzRequestView): CustomCheck;
  /** Stage 5: AUDIT, DENY, then ALLOW. */
  authorize(view: AuthzRequestView): AuthzDecision;
  /** Rules dropped and providers refused while building (for explain / config_dump). */
  readonly warnings: readonly string[];
}

export interface AuthorizerOptions {
  /** `MESH_CONFIG` extension providers (see src/config/mesh-config.ts). */
  providers?: MeshExtensionProviders;
}

interface CompiledRule {
  id: string;
  ref: PolicyRef;
  match: Predicate;
}

interface EngineRules {
  /** Whether any policy of this kind exists (even one whose rules were all dropped). */
  present: boolean;
  rules: CompiledRule[];
}

interface CustomRule extends CompiledRule {
  provider?: CompiledExtAuthzProvider;
  bad?: string;
}

/** An empty or absent table (a snapshot compiled before authz existed) allows everything. */
export function buildAuthorizer(table: AuthzTable | undefined, opts: AuthorizerOptions = {}): Authorizer {
  table ??= { custom: [], deny: [], allow: [], audit: [] };
  const warnings: string[] = [];
  const compilePolicies = (policies: AuthzPolicyEntry[], lenient: boolean): CompiledRule[] => {
    const out: CompiledRule[] = [];
    for (const p of policies) {
      p.rules.forEach((rule, i) => {
        const ref = { namespace: p.namespace, name: p.name, rule: i };
        const compiled = compileRule(rule, { namespace: p.namespace, lenient });
        if ("skipped" in compiled) warnings.push(`skipped invalid rule ${policyId(ref)}: ${compiled.skipped}`);
        else out.push({ id: policyId(ref), ref, match: compiled.match });
      });
    }
    return out.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  };
  const engine = (policies: AuthzPolicyEntry[], lenient: boolean): EngineRules => ({ present: policies.length > 0, rules: compilePolicies(policies, lenient) });

  const enforced = (list: AuthzPolicyEntry[]) => list.filter((p) => !p.dryRun);
  const shadowed = (list: AuthzPolicyEntry[]) => list.filter((p) => p.dryRun);
  const audit = engine(table.audit, true);
  const deny = engine(enforced(table.deny), true);
  const denyShadow = engine(shadowed(table.deny), true);
  const allow = engine(enforced(table.allow), false);
  const allowShadow = engine(shadowed(table.allow), false);
  const custom = buildCustomRules(table.custom, opts.providers ?? {}, warnings, compilePolicies);

  return {
    warnings,
    custom(view) {
      if (custom.length === 0) return { kind: "none" };
      const m = firstMatch(custom, new AuthzAttributes(view));
      if (!m) return { kind: "none" };
      if (m.provider) return { kind: "check", provider: m.provider, policy: m.ref };
      return { kind: "deny", reply: rbacDenied(`rbac_access_denied_matched_policy[${m.id}]`), details: `rbac_access_denied_matched_policy[${m.id}]`, policy: m.ref, reason: m.bad ?? "bad CUSTOM action" };
    },
    authorize(view) {
      const a = new AuthzAttributes(view);
      const decision: AuthzDecision = { allowed: true, reason: "no-allow-policies", audit: [] };
      if (audit.present) decision.audit = allMatches(audit.rules, a);

      if (denyShadow.present) {
        const m = firstMatch(denyShadow.rules, a);
        (decision.dryRun ??= {}).deny = m ? { allowed: false, policy: m.ref } : { allowed: true };
      }
      const denied = deny.present ? firstMatch(deny.rules, a) : undefined;
      if (denied) {
        return { ...decision, allowed: false, reason: "denied", policy: denied.ref, reply: rbacDenied(`rbac_access_denied_matched_policy[${denied.id}]`), details: `rbac_access_denied_matched_policy[${denied.id}]` };
      }

      if (allowShadow.present) {
        const m = firstMatch(allowShadow.rules, a);
        (decision.dryRun ??= {}).allow = m ? { allowed: true, policy: m.ref } : { allowed: false };
      }
      if (!allow.present) return decision;
      const allowed = firstMatch(allow.rules, a);
      if (allowed) return { ...decision, reason: "allowed", policy: allowed.ref };
      return { ...decision, allowed: false, reason: "no-allow-match", reply: rbacDenied("rbac_access_denied_matched_policy[none]"), details: "rbac_access_denied_matched_policy[none]" };
    },
  };
}

function firstMatch<R extends CompiledRule>(rules: R[], a: AuthzAttributes): R | undefined {
  for (const r of rules) if (r.match(a)) return r;
  return undefined;
}

function allMatches(rules: CompiledRule[], a: AuthzAttributes): PolicyRef[] {
  const out: PolicyRef[] = [];
  const seen = new Set<string>();
  for (const r of rules) {
    const key = `${r.ref.namespace}/${r.ref.name}`;
    if (seen.has(key) || !r.match(a)) continue;
    seen.add(key);
    out.push(r.ref);
  }
  return out;
}

/**
 * CUSTOM rules, named as Istio names them (`istio-ext-authz-<provider>-ns[..]-policy[..]-rule[..]`),
 * with the provider resolved; a bad provider keeps the rule as a deny
 * (`...-deny-due-to-bad-CUSTOM-action`).
 */
function buildCustomRules(
  policies: AuthzPolicyEntry[],
  providers: MeshExtensionProviders,
  warnings: string[],
  compilePolicies: (p: AuthzPolicyEntry[], lenient: boolean) => CompiledRule[],
): CustomRule[] {
  const names = [...new Set(policies.map((p) => p.provider ?? ""))].sort();
  const out: CustomRule[] = [];
  for (const name of names) {
    let bad: string | undefined;
    const provider = providers[name];
    let compiledProvider: CompiledExtAuthzProvider | undefined;
    if (names.length > 1)
      bad = `multiple CUSTOM authorization providers per workload are not supported, found ${names.length} providers: ${names.join(", ")}`;
    else if (!provider) bad = `available providers are [${Object.keys(providers).sort().join(" ")}] but found ${JSON.stringify(name)}`;
    else if (provider.kind === "invalid") bad = `found errors in provider ${name}: ${provider.errors.join("; ")}`;
    else if (provider.kind !== "envoyExtAuthzHttp") bad = `provider ${name} is ${provider.type}, only envoyExtAuthzHttp is supported`;
    if (bad) warnings.push(`CUSTOM action for provider ${JSON.stringify(name)} denies the requests it matches: ${bad}`);
    const prefix = `istio-ext-authz-${name}-`;
    for (const r of compilePolicies(policies.filter((p) => (p.provider ?? "") === name), true)) {
      const rule: CustomRule = { ...r, id: prefix + r.id + (bad ? "-deny-due-to-bad-CUSTOM-action" : "") };
      if (bad) rule.bad = bad;
      else rule.provider = compiledProvider ??= compileExtAuthzProvider(provider as ExtAuthzHttpProvider);
      out.push(rule);
    }
  }
  return out.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}
