/**
 * IST0101 `namespace` (Istio's auth.AuthorizationPoliciesAnalyzer): a `source.namespaces` or
 * `source.notNamespaces` entry that names no existing namespace is most likely a typo. A namespace
 * exists in an Isthmus mesh when some resource lives in it, or the gateway workload does. Entries may
 * use a leading or trailing `*`.
 */
import type { AnalysisContext } from "./context.js";
import { referencedResourceNotFound } from "./messages.js";
import type { AuthorizationPolicySpec } from "./specs.js";

export function analyzeAuthorizationPolicyNamespaces(ctx: AnalysisContext): void {
  for (const ap of ctx.of<AuthorizationPolicySpec>("AuthorizationPolicy")) {
    (ap.spec.rules ?? []).forEach((rule, i) => {
      (rule.from ?? []).forEach((from, j) => {
        for (const field of ["namespaces", "notNamespaces"] as const) {
          (from.source?.[field] ?? []).forEach((ns, k) => {
            if ([...ctx.namespaces].some((existing) => namespaceMatches(existing, ns))) return;
            ctx.report(ap, referencedResourceNotFound("namespace", ns), `spec.rules[${i}].from[${j}].source.${field}[${k}]`);
          });
        }
      });
    });
  }
}

/** Istio's namespace match in authorization rules: `*`, `prefix*`, `*suffix` or the exact name (case-insensitive). */
export function namespaceMatches(namespace: string, pattern: string): boolean {
  if (pattern === "*") return true;
  if (pattern.startsWith("*")) return namespace.endsWith(pattern.slice(1));
  if (pattern.endsWith("*")) return namespace.startsWith(pattern.slice(0, -1));
  return namespace.toLowerCase() === pattern.toLowerCase();
}
