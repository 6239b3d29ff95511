/**
 * IST0145 (Istio's gateway.ConflictingGatewayAnalyzer): two Gateways that select the same workload
 * and declare a server on the same port with the same host (and bind) conflict — the proxy can serve
 * only one of them. Selectors count as the same when they are equal, or when one contains the other
 * and both select the gateway workload. Hosts are compared as written (case-insensitive; a `*` namespace
 * prefix is the same as none), as Istio does; different but overlapping hosts (`*.example.com`, `a.example.com`) do not conflict.
 */
import { selectorMatches } from "../hosts.js";
import type { Resource } from "../resource.js";
import { fullName, selectorString, type AnalysisContext } from "./context.js";
import { conflictingGateways } from "./messages.js";
import type { GatewaySpec } from "./specs.js";

type Gateway = Resource<GatewaySpec>;

interface Listener {
  gateway: Gateway;
  selector: string;
  port: string;
  /** host → bind */
  hosts: Map<string, string>;
}

export function analyzeConflictingGateways(ctx: AnalysisContext): void {
  const gateways = ctx.of<GatewaySpec>("Gateway");
  const listeners = listenersOf(gateways);
  for (const gw of gateways) {
    const selector = selectorString(gw.spec.selector);
    (gw.spec.servers ?? []).forEach((server, i) => {
      const port = String(server.port.number);
      const bind = server.bind ?? "";
      const hosts = server.hosts.map(normalizeHost);
      const others = listeners.filter(
        (l) =>
          l.gateway !== gw &&
          l.port === port &&
          sameWorkload(ctx, gw.spec.selector, selector, l) &&
          hosts.some((h) => l.hosts.get(h) === bind),
      );
      if (others.length === 0) return;
      const names = [...new Set(others.map((l) => fullName(l.gateway)))].sort().join(",");
      ctx.report(gw, conflictingGateways(names, selector, port, server.hosts.join(",")), `spec.servers[${i}]`);
    });
  }
}

/** One entry per Gateway, selector and port: the hosts its servers on that port declare. */
function listenersOf(gateways: readonly Gateway[]): Listener[] {
  const out = new Map<string, Listener>();
  for (const gw of gateways) {
    const selector = selectorString(gw.spec.selector);
    for (const server of gw.spec.servers ?? []) {
      const port = String(server.port.number);
      const key = `${fullName(gw)}~${port}`;
      const l = out.get(key) ?? { gateway: gw, selector, port, hosts: new Map<string, string>() };
      for (const h of server.hosts) l.hosts.set(normalizeHost(h), server.bind ?? "");
      out.set(key, l);
    }
  }
  return [...out.values()];
}

function sameWorkload(ctx: AnalysisContext, labels: Record<string, string> | undefined, selector: string, other: Listener): boolean {
  if (selector === other.selector) return true;
  if (!selector.includes(other.selector) && !other.selector.includes(selector)) return false;
  return selectorMatches(labels, ctx.gateway.labels) && selectorMatches(other.gateway.spec.selector, ctx.gateway.labels);
}

function normalizeHost(h: string): string {
  const lower = h.toLowerCase();
  return lower.startsWith("*/") ? lower.slice(2) : lower;
}
