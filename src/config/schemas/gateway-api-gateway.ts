/**
 * GatewayClass, Gateway and ReferenceGrant (gateway.networking.k8s.io/v1; ReferenceGrant also v1beta1):
 * the CRDs' OpenAPI schema (strict objects, enums, patterns, bounds) and their CEL rules, which
 * `kubectl apply` enforces, as rules with the field path.
 */
import { z } from "zod";
import type { RuleContext } from "./registry.js";
import {
  bounded, group, hostname, kind, labelSelector, namespaceName, objectName, portNumber, secretObjectReference, sectionName,
} from "./gateway-api-common.js";

// ---- GatewayClass ----

/** `GatewayController`: a domain-prefixed path, e.g. `isthmus.dev/gateway-controller`. */
const CONTROLLER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$/;

export const gatewayClassSpec = z.strictObject({
  controllerName: z.string().superRefine((v, ctx) => {
    if (v.length < 1 || v.length > 253 || !CONTROLLER_NAME.test(v))
      ctx.addIssue({ code: "custom", message: `invalid controllerName ${JSON.stringify(v)}: must be a domain-prefixed path such as "isthmus.dev/gateway-controller"` });
  }),
  parametersRef: z.strictObject({ group, kind, name: objectName, namespace: namespaceName.optional() }).optional(),
  description: z.string().max(64).optional(),
});
export type GatewayClassSpec = z.infer<typeof gatewayClassSpec>;

// ---- Gateway ----

const PROTOCOL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$/;

export const gatewayTLSConfig = z.strictObject({
  mode: z.enum(["Terminate", "Passthrough"]).optional(),
  certificateRefs: bounded(secretObjectReference, 64, "certificateRefs").optional(),
  options: z.record(z.string(), z.string()).optional(),
  frontendValidation: z.strictObject({
    caCertificateRefs: bounded(z.strictObject({ group, kind, name: objectName, namespace: namespaceName.optional() }), 8, "caCertificateRefs").optional(),
  }).optional(),
});

export const routeGroupKind = z.strictObject({ group: group.optional(), kind });

export const listener = z.strictObject({
  name: sectionName,
  hostname: hostname.optional(),
  port: portNumber,
  protocol: z.string().superRefine((v, ctx) => {
    if (v.length < 1 || v.length > 255 || !PROTOCOL.test(v)) ctx.addIssue({ code: "custom", message: `invalid protocol ${JSON.stringify(v)}` });
  }),
  tls: gatewayTLSConfig.optional(),
  allowedRoutes: z.strictObject({
    namespaces: z.strictObject({
      from: z.enum(["All", "Selector", "Same"]).optional(),
      selector: labelSelector.optional(),
    }).optional(),
    kinds: bounded(routeGroupKind, 8, "kinds").optional(),
  }).optional(),
});
export type Listener = z.infer<typeof listener>;

export const gatewayAddress = z.strictObject({
  type: z.string().max(253).optional(),
  value: z.string().min(1).max(253),
});

export const kubernetesGatewaySpec = z.strictObject({
  gatewayClassName: objectName,
  listeners: bounded(listener, 64, "listeners").min(1, { error: "at least one listener is required" }),
  addresses: bounded(gatewayAddress, 16, "addresses").optional(),
  infrastructure: z.strictObject({
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    parametersRef: z.strictObject({ group, kind, name: objectName }).optional(),
  }).optional(),
  backendTLS: z.record(z.string(), z.unknown()).optional(),
});
export type KubernetesGatewaySpec = z.infer<typeof kubernetesGatewaySpec>;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The Gateway CRD's CEL rules (x-kubernetes-validations on listeners and addresses). */
export function kubernetesGatewayRules(spec: KubernetesGatewaySpec, ctx: RuleContext): void {
  const names = new Set<string>();
  const combos = new Set<string>();
  spec.listeners.forEach((l, i) => {
    const at = `spec.listeners[${i}]`;
    const p = l.protocol;
    if (l.tls && (p === "HTTP" || p === "TCP" || p === "UDP")) ctx.error(`${at}.tls`, "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']");
    if (!l.tls && (p === "HTTPS" || p === "TLS")) ctx.error(`${at}.tls`, "tls mode must be set for protocols ['HTTPS', 'TLS']", "FieldValueRequired");
    if (l.hostname !== undefined && (p === "TCP" || p === "UDP")) ctx.error(`${at}.hostname`, "hostname must not be specified for protocols ['TCP', 'UDP']");
    if (l.tls && (l.tls.mode ?? "Terminate") === "Terminate" && !(l.tls.certificateRefs?.length) && !Object.keys(l.tls.options ?? {}).length)
      ctx.error(`${at}.tls.certificateRefs`, "certificateRefs or options must be specified when mode is Terminate", "FieldValueRequired");
    if (names.has(l.name)) ctx.error(`${at}.name`, `Listener name must be unique within the Gateway (${JSON.stringify(l.name)} is repeated)`, "Duplicate");
    names.add(l.name);
    const combo = `${l.port}|${p}|${l.hostname ?? ""}`;
    if (combos.has(combo)) ctx.error(at, "Combination of port, protocol and hostname must be unique for each listener", "Duplicate");
    combos.add(combo);
    if (l.allowedRoutes?.namespaces?.from === "Selector" && !l.allowedRoutes.namespaces.selector)
      ctx.error(`${at}.allowedRoutes.namespaces.selector`, "selector must be specified when from is Selector", "FieldValueRequired");
  });
  spec.addresses?.forEach((a, i) => {
    const type = a.type ?? "IPAddress";
    if (type === "IPAddress" && !isIPAddress(a.value)) ctx.error(`spec.addresses[${i}].value`, `value ${JSON.stringify(a.value)} must be an IP address`);
    if (type === "Hostname" && !/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(a.value))
      ctx.error(`spec.addresses[${i}].value`, `value ${JSON.stringify(a.value)} must be a hostname`);
  });
}

function isIPAddress(v: string): boolean {
  const m = IPV4.exec(v);
  if (m) return m.slice(1).every((o) => Number(o) <= 255);
  return v.includes(":") && /^[0-9a-fA-F:.]+$/.test(v);
}

// ---- ReferenceGrant ----

export const referenceGrantSpec = z.strictObject({
  from: bounded(z.strictObject({ group, kind, namespace: namespaceName }), 16, "from").min(1, { error: "at least one from entry is required" }),
  to: bounded(z.strictObject({ group, kind, name: objectName.optional() }), 16, "to").min(1, { error: "at least one to entry is required" }),
});
export type ReferenceGrantSpec = z.infer<typeof referenceGrantSpec>;

// ---- Routes Workers cannot serve: admitted loosely, reported as unsupported ----

/** GRPCRoute, TLSRoute, TCPRoute, UDPRoute: stored so their status can say why they do nothing. */
export const unsupportedRouteSpec = z.record(z.string(), z.unknown());
export type UnsupportedRouteSpec = z.infer<typeof unsupportedRouteSpec>;
