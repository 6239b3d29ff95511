/**
 * Compile half of AuthorizationPolicy: the policies that apply to the gateway workload, grouped by
 * action, as plain JSON for `Snapshot.policies.authz` (config_dump shows it). Rules stay as written
 * (validated at admission); `buildAuthorizer` turns them into matchers once per snapshot.
 *
 * @example
 *   snapshot.policies[AUTHZ_TABLE] = compileAuthorization(resources, meshOptions(env));
 */
import { compareByCreation } from "../../config/compile/creation-order.js";
import type { MeshOptions } from "../../config/mesh-options.js";
import type { Resource } from "../../config/resource.js";
import type { AuthorizationPolicySpec, Rule } from "../../config/schemas/authorization-policy.js";
import { DRY_RUN_ANNOTATION, parseGoBool } from "../../config/schemas/policy-target.js";
import { policyAttaches, type PolicyWorkload } from "./policy-attachment.js";

/** Key of the table in `Snapshot.policies`. */
export const AUTHZ_TABLE = "authz";

export interface AuthzTable {
  /** The workload the policies were selected for (the gateway unless told otherwise). */
  workload: PolicyWorkload;
  /** Per action, in Istio's order (creation time, then name). */
  custom: AuthzPolicyEntry[];
  deny: AuthzPolicyEntry[];
  allow: AuthzPolicyEntry[];
  audit: AuthzPolicyEntry[];
}

export interface AuthzPolicyEntry {
  namespace: string;
  name: string;
  /** `istio.io/dry-run: "true"`: evaluated and reported as a shadow result, never enforced. */
  dryRun?: boolean;
  /** CUSTOM only: `provider.name`. */
  provider?: string;
  /** As written; none means the policy matches nothing (ALLOW: allow-nothing; DENY: no effect). */
  rules: Rule[];
}

/**
 * @param workload defaults to the gateway (`mesh.gatewayLabels` in `mesh.gatewayNamespace`); pass a
 *   member workload to compile its table for east-west calls.
 */
export function compileAuthorization(resources: readonly Resource[], mesh: MeshOptions, workload?: PolicyWorkload): AuthzTable {
  const target: PolicyWorkload = workload ?? { namespace: mesh.gatewayNamespace, labels: { ...mesh.gatewayLabels } };
  const table: AuthzTable = { workload: target, custom: [], deny: [], allow: [], audit: [] };
  const policies = (resources.filter((r) => r.kind === "AuthorizationPolicy") as unknown as Resource<AuthorizationPolicySpec>[]).sort(compareByCreation);
  for (const p of policies) {
    const spec = p.spec ?? {};
    if (!policyAttaches(spec, p.metadata.namespace, target)) continue;
    const entry: AuthzPolicyEntry = { namespace: p.metadata.namespace, name: p.metadata.name, rules: spec.rules ?? [] };
    const dryRun = p.metadata.annotations?.[DRY_RUN_ANNOTATION];
    if (dryRun !== undefined && parseGoBool(dryRun) === true) entry.dryRun = true;
    switch (spec.action ?? "ALLOW") {
      case "ALLOW":
        table.allow.push(entry);
        break;
      case "DENY":
        table.deny.push(entry);
        break;
      case "AUDIT":
        table.audit.push(entry);
        break;
      case "CUSTOM":
        entry.provider = spec.provider?.name ?? "";
        // Istio's dry-run is ALLOW/DENY only (admission refuses it elsewhere); never shadow a CUSTOM check.
        delete entry.dryRun;
        table.custom.push(entry);
        break;
    }
  }
  return table;
}
