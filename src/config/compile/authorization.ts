/**
 * Compile half of AuthorizationPolicy: the policies that apply to one workload (the gateway, or a
 * destination), grouped by action, as plain JSON in a policy set (security.ts; config_dump shows it).
 * Rules stay as written (validated at admission); `buildAuthorizer` turns them into matchers once per
 * snapshot.
 *
 * @example
 *   const authz = compileAuthorization(resources, meshOptions(env));                       // the gateway
 *   const authzOf = compileAuthorization(resources, mesh, { namespace: "default", labels: { app: "reviews" } });
 */
import { compareByCreation } from "./creation-order.js";
import type { MeshOptions } from "../mesh-options.js";
import type { Resource } from "../resource.js";
import type { AuthorizationPolicySpec, Rule } from "../schemas/authorization-policy.js";
import { DRY_RUN_ANNOTATION, parseGoBool } from "../schemas/policy-target.js";
import { policyAttaches, type PolicyWorkload } from "./policy-attachment.js";

export interface AuthzTable {
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
 *   destination workload (and the service it is reached through) for the destination stage.
 */
export function compileAuthorization(resources: readonly Resource[], mesh: Pick<MeshOptions, "gatewayLabels" | "gatewayNamespace">, workload?: PolicyWorkload): AuthzTable {
  const target: PolicyWorkload = workload ?? { namespace: mesh.gatewayNamespace, labels: { ...mesh.gatewayLabels } };
  const table: AuthzTable = { custom: [], deny: [], allow: [], audit: [] };
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
