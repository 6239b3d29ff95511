/**
 * Gateway API findings (`isthmus analyze`, and `warnings` on apply):
 * - IST0101 ReferencedResourceNotFound: an HTTPRoute backendRef or mirror whose Service is in no
 *   ServiceEntry (`host`), a parentRef naming no Gateway (`gateway`), a Gateway whose class does not
 *   exist (`gatewayclass`);
 * - ISTH0001 UnsupportedGatewayAPIFeature (Isthmus's own code; Istio has none for it): what a Worker
 *   cannot serve — GRPCRoute, TLSRoute, TCPRoute, UDPRoute, non-HTTP listeners, TLS passthrough,
 *   Gateway `addresses`, ExtensionRef filters;
 * - ISTH0002 GatewayAPIRouteNotAttached: a route a parent refuses (NotAllowedByListeners,
 *   NoMatchingListenerHostname, NoMatchingParent), as its status says.
 */
import { resolveHost } from "../hosts.js";
import { GATEWAY_API_GROUP, type Resource } from "../resource.js";
import type { HTTPRouteSpec, KubernetesGatewaySpec } from "../schemas/gateway-api.js";
import { translateGatewayApi } from "../compile/gateway-api/index.js";
import { buildServiceRegistry } from "../compile/service-registry.js";
import type { ServiceEntrySpec, WorkloadEntrySpec } from "../schemas/service-entry.js";
import type { AnalysisContext } from "./context.js";
import { referencedResourceNotFound, type Finding } from "./messages.js";

export function unsupportedGatewayAPIFeature(what: string): Finding {
  return { code: "ISTH0001", type: "UnsupportedGatewayAPIFeature", level: "Warning", message: `${what} is not supported by Isthmus: a Worker serves HTTP(S) requests only; see docs/gateway-api.md.` };
}

export function routeNotAttached(parent: string, reason: string, message: string): Finding {
  return { code: "ISTH0002", type: "GatewayAPIRouteNotAttached", level: "Warning", message: `The route is not attached to ${parent} (${reason}): ${message}.` };
}

const BUILTIN_CLASSES = new Set(["istio", "isthmus"]);

export function analyzeGatewayApi(ctx: AnalysisContext): void {
  const gateways = ctx.of<KubernetesGatewaySpec>("KubernetesGateway");
  const routes = ctx.of<HTTPRouteSpec>("HTTPRoute");
  for (const kind of ["GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"] as const) {
    for (const r of ctx.of(kind)) ctx.report(r, unsupportedGatewayAPIFeature(kind));
  }
  if (gateways.length === 0 && routes.length === 0) return;

  const classes = new Set(ctx.of("GatewayClass").map((c) => c.metadata.name));
  for (const gw of gateways) {
    if (!classes.has(gw.spec.gatewayClassName) && !BUILTIN_CLASSES.has(gw.spec.gatewayClassName))
      ctx.report(gw, referencedResourceNotFound("gatewayclass", gw.spec.gatewayClassName), "spec.gatewayClassName");
    if (gw.spec.addresses?.length) ctx.report(gw, unsupportedGatewayAPIFeature("spec.addresses"), "spec.addresses");
    gw.spec.listeners.forEach((l, i) => {
      if (l.protocol !== "HTTP" && l.protocol !== "HTTPS") ctx.report(gw, unsupportedGatewayAPIFeature(`listener protocol ${l.protocol}`), `spec.listeners[${i}].protocol`);
      else if (l.tls?.mode === "Passthrough") ctx.report(gw, unsupportedGatewayAPIFeature("TLS Passthrough"), `spec.listeners[${i}].tls.mode`);
    });
  }

  const gatewayNames = new Set(gateways.map((g) => `${g.metadata.namespace}/${g.metadata.name}`));
  for (const route of routes) {
    const ns = route.metadata.namespace;
    route.spec.parentRefs?.forEach((ref, k) => {
      const kind = ref.kind ?? "Gateway";
      if ((ref.group ?? GATEWAY_API_GROUP) === GATEWAY_API_GROUP && kind === "Gateway" && !gatewayNames.has(`${ref.namespace ?? ns}/${ref.name}`))
        ctx.report(route, referencedResourceNotFound("gateway", `${ref.namespace ?? ns}/${ref.name}`), `spec.parentRefs[${k}]`);
      if ((ref.group ?? "") === "" && kind === "Service" && ctx.services.forDestination(resolveHost(ref.name, ref.namespace ?? ns), ns).length === 0)
        ctx.report(route, referencedResourceNotFound("host", resolveHost(ref.name, ref.namespace ?? ns)), `spec.parentRefs[${k}]`);
    });
    route.spec.rules?.forEach((rule, i) => {
      rule.backendRefs?.forEach((b, j) => {
        if ((b.group ?? "") !== "" || (b.kind ?? "Service") !== "Service") return;
        const host = resolveHost(b.name, b.namespace ?? ns);
        if (ctx.services.forDestination(host, ns).length === 0) ctx.report(route, referencedResourceNotFound("host", host), `spec.rules[${i}].backendRefs[${j}]`);
      });
      rule.filters?.forEach((f, j) => {
        if (f.type === "ExtensionRef") ctx.report(route, unsupportedGatewayAPIFeature("filter ExtensionRef"), `spec.rules[${i}].filters[${j}]`);
        if (f.type === "RequestMirror" && f.requestMirror && (f.requestMirror.backendRef.kind ?? "Service") === "Service") {
          const host = resolveHost(f.requestMirror.backendRef.name, f.requestMirror.backendRef.namespace ?? ns);
          if (ctx.services.forDestination(host, ns).length === 0) ctx.report(route, referencedResourceNotFound("host", host), `spec.rules[${i}].filters[${j}].requestMirror.backendRef`);
        }
      });
    });
  }

  // What the parents refuse, as the routes' status reports it.
  const registry = buildServiceRegistry(ctx.of<ServiceEntrySpec>("ServiceEntry"), ctx.of<WorkloadEntrySpec>("WorkloadEntry"));
  const { status } = translateGatewayApi([...gateways, ...routes, ...ctx.of("GatewayClass"), ...ctx.of("ReferenceGrant")] as Resource[], registry, ctx.gateway);
  for (const route of routes) {
    status.get(`HTTPRoute/${route.metadata.namespace}/${route.metadata.name}`)?.parents?.forEach((p) => {
      const accepted = p.conditions.find((c) => c.type === "Accepted");
      if (accepted?.status !== "False" || accepted.reason === "BackendNotFound") return;
      const k = route.spec.parentRefs?.indexOf(p.parentRef) ?? -1;
      ctx.report(route, routeNotAttached(`${p.parentRef.kind ?? "Gateway"} ${p.parentRef.namespace ?? route.metadata.namespace}/${p.parentRef.name}`, accepted.reason, accepted.message), k >= 0 ? `spec.parentRefs[${k}]` : "spec.parentRefs");
    });
  }
}
