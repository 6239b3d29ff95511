/**
 * IST0109 (Istio's virtualservice.ConflictingMeshGatewayHostsAnalyzer): VirtualServices bound to the
 * `mesh` gateway (no `gateways`, or `mesh` listed) that define the same host for the same audience
 * are not merged — which one wins is undefined. The audience is the `exportTo` scope; a host exported
 * to one namespace also conflicts with an overlapping host exported everywhere.
 */
import { hostsOverlap, resolveHost } from "../hosts.js";
import type { Resource } from "../resource.js";
import { fullName, type AnalysisContext } from "./context.js";
import { conflictingMeshGatewayVirtualServiceHosts } from "./messages.js";
import { MESH_GATEWAY } from "./virtual-service-gateways.js";
import type { VirtualServiceSpec } from "./specs.js";

type VS = Resource<VirtualServiceSpec>;

export function analyzeMeshGatewayHosts(ctx: AnalysisContext): void {
  const byScopedHost = meshGatewayHosts(ctx.of<VirtualServiceSpec>("VirtualService"));
  const reported = new Set<VS>();
  // Sorted so that a VirtualService in several conflicts always gets the same one (Istio reports one per resource).
  for (const [scoped, own] of [...byScopedHost].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [scope, host] = splitScoped(scoped);
    const found = [...own];
    if (scope !== "*") {
      for (const [other, vss] of byScopedHost) {
        const [otherScope, otherHost] = splitScoped(other);
        if (otherScope === "*" && hostsOverlap(host, otherHost)) found.push(...vss);
      }
    }
    const list = [...new Set(found)];
    if (list.length < 2) continue;
    const names = list.map(fullName).sort().join(",");
    for (const vs of list) {
      if (reported.has(vs)) continue;
      reported.add(vs);
      ctx.report(vs, conflictingMeshGatewayVirtualServiceHosts(names, scoped), "metadata.name");
    }
  }
}

/** `scope/fqdn` → the mesh-bound VirtualServices defining that host for that scope. */
function meshGatewayHosts(services: readonly VS[]): Map<string, VS[]> {
  const out = new Map<string, VS[]>();
  for (const vs of services) {
    const gateways = vs.spec.gateways ?? [];
    if (gateways.length > 0 && !gateways.includes(MESH_GATEWAY)) continue;
    const ns = vs.metadata.namespace;
    const exportTo = vs.spec.exportTo ?? [];
    const scopes = exportTo.length === 0 || exportTo.includes("*") ? ["*"] : [...new Set(exportTo.map((e) => (e === "." ? ns : e)))];
    for (const scope of scopes) {
      for (const h of new Set(vs.spec.hosts ?? [])) {
        const key = `${scope}/${resolveHost(h, ns)}`;
        const list = out.get(key) ?? [];
        list.push(vs);
        out.set(key, list);
      }
    }
  }
  return out;
}

function splitScoped(scoped: string): [string, string] {
  const i = scoped.indexOf("/");
  return [scoped.slice(0, i), scoped.slice(i + 1)];
}
