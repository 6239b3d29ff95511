/**
 * Which DestinationRule applies to a host: an exact host match (the oldest, if several), else the most
 * specific wildcard (`*.example.com` before `*`). Hosts are resolved in the rule's namespace, like the
 * registry's. A rule with a `workloadSelector` applies only when it selects the gateway workload in its
 * own namespace.
 */
import { hostMatches, resolveHost, selectorMatches } from "../hosts.js";
import type { Resource } from "../resource.js";
import type { DestinationRuleSpec } from "../schemas/destination-rule.js";
import { sortByCreation } from "./creation-order.js";

export interface DestinationRuleIndex {
  forHost(host: string): Resource<DestinationRuleSpec> | undefined;
}

export function indexDestinationRules(
  rules: readonly Resource<DestinationRuleSpec>[],
  gateway: { labels: Record<string, string>; namespace: string },
): DestinationRuleIndex {
  const exact = new Map<string, Resource<DestinationRuleSpec>>();
  const wildcards: Array<{ host: string; rule: Resource<DestinationRuleSpec> }> = [];
  for (const rule of sortByCreation(rules)) {
    const selector = rule.spec.workloadSelector;
    if (selector && (rule.metadata.namespace !== gateway.namespace || !selectorMatches(selector.matchLabels, gateway.labels))) continue;
    const host = resolveHost(rule.spec.host, rule.metadata.namespace);
    if (host.startsWith("*")) wildcards.push({ host, rule });
    else if (!exact.has(host)) exact.set(host, rule);
  }
  // Most specific first; stable, so equal lengths keep creation order.
  wildcards.sort((a, b) => b.host.length - a.host.length);
  return {
    forHost(host) {
      const hit = exact.get(host);
      if (hit) return hit;
      return wildcards.find((w) => hostMatches(w.host, host))?.rule;
    },
  };
}
