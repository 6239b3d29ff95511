/**
 * VirtualService → Gateway references (Istio's virtualservice.GatewayAnalyzer): each gateway named
 * in `gateways` (other than `mesh`) must exist (IST0101 `gateway`), and at least one VirtualService
 * host must be served by one of that Gateway's server hosts visible to the VirtualService's namespace
 * (IST0132). As in Istio, a missing Gateway reports both. A legacy FQDN reference
 * (`edge.default.svc.cluster.local`) names Gateway `default/edge`, with Istio's webhook warning (IST0133).
 */
import { hostsOverlap, legacyGatewayRef, resolveGatewayRef } from "../hosts.js";
import type { Resource } from "../resource.js";
import { fullName, type AnalysisContext } from "./context.js";
import { referencedResourceNotFound, schemaWarning, virtualServiceHostNotFoundInGateway } from "./messages.js";
import type { GatewaySpec, VirtualServiceSpec } from "./specs.js";

export const MESH_GATEWAY = "mesh";

export function analyzeVirtualServiceGateways(ctx: AnalysisContext): void {
  for (const vs of ctx.of<VirtualServiceSpec>("VirtualService")) {
    (vs.spec.gateways ?? []).forEach((ref, i) => {
      if (ref === MESH_GATEWAY) return;
      const path = `spec.gateways[${i}]`;
      const gwName = resolveGatewayRef(ref, vs.metadata.namespace);
      const legacy = legacyGatewayRef(ref);
      if (legacy) ctx.report(vs, legacyGatewayNameWarning(ref, legacy), path);
      const gw = findGateway(ctx, gwName);
      if (!gw) ctx.report(vs, referencedResourceNotFound("gateway", ref), path);
      const hosts = vs.spec.hosts ?? [];
      const served = gatewayHostsFor(gw, vs.metadata.namespace);
      if (!served.some((gh) => hosts.some((h) => hostsOverlap(gh, h)))) {
        ctx.report(vs, virtualServiceHostNotFoundInGateway(hosts, fullName(vs), gwName), path);
      }
    });
  }
}

/**
 * Istio's validateGatewayNames accepts `name.ns.svc.cluster.local` with a warning (pilot binds it to
 * `ns/name`); istioctl analyze shows webhook warnings as IST0133.
 */
function legacyGatewayNameWarning(ref: string, resolved: string) {
  return schemaWarning(`using legacy gatewayName format ${JSON.stringify(ref)}; prefer the <namespace>/<name> format: ${JSON.stringify(resolved)}`);
}

/** The Gateway a `ns/name` reference names. */
export function findGateway(ctx: AnalysisContext, ref: string): Resource<GatewaySpec> | undefined {
  const i = ref.indexOf("/");
  return ctx.find<GatewaySpec>("Gateway", ref.slice(0, i), ref.slice(i + 1));
}

/**
 * The server hosts of a Gateway that a VirtualService in `namespace` may bind to: `ns/host` entries
 * count only for that namespace (`.` is the Gateway's own, `*` any), bare hosts for every namespace.
 */
export function gatewayHostsFor(gw: Resource<GatewaySpec> | undefined, namespace: string): string[] {
  if (!gw) return [];
  const out: string[] = [];
  for (const server of gw.spec.servers ?? []) {
    for (const h of server.hosts) {
      const slash = h.indexOf("/");
      if (slash < 0) {
        out.push(h);
        continue;
      }
      const ns = h.slice(0, slash);
      const name = h.slice(slash + 1);
      const owner = ns === "." ? gw.metadata.namespace : ns;
      if (owner === "*" || owner === namespace) out.push(name);
    }
  }
  return out;
}
