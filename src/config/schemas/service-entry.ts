/**
 * ServiceEntry and WorkloadEntry (networking.istio.io): the registry of upstreams. In Isthmus an
 * endpoint address may also be `binding:NAME`, a service binding of the gateway Worker (a mesh
 * member, DESIGN §3). Schema follows istio/api networking/v1alpha3/{service_entry,workload_entry}.proto
 * as served by Istio's CRD; the rules follow the validation webhook (validateServiceEntry,
 * validateWorkloadEntry).
 */
import { z } from "zod";
import type { RuleContext } from "./registry.js";
import {
  BINDING_PREFIX, checkExportTo, checkLabels, fqdnError, ipSubnetError, isBindingAddress, isDNS1123Label, isHTTPProtocol, isIP, isTLSProtocol,
  parseProtocol, portNumber, stringMap, sub, SUPPORTED_PROTOCOLS, u32, UNIX_PREFIX, unixAddressError, wildcardDomainError,
} from "./networking-fields.js";

/** `WorkloadEntry` spec; also the element type of `ServiceEntry.endpoints`. */
export const workloadEntrySpec = z.strictObject({
  address: z.string().max(256).optional(),
  ports: z.record(z.string(), portNumber).optional(),
  labels: stringMap.optional(),
  network: z.string().max(2048).optional(),
  locality: z.string().max(2048).optional(),
  weight: u32.optional(),
  serviceAccount: z.string().max(253).optional(),
});
export type WorkloadEntrySpec = z.infer<typeof workloadEntrySpec>;
/** A ServiceEntry endpoint has the WorkloadEntry shape. */
export type WorkloadEntry = WorkloadEntrySpec;

export const servicePort = z.strictObject({
  number: portNumber,
  protocol: z.string().max(256).optional(),
  name: z.string().max(256),
  targetPort: portNumber.optional(),
});
export type ServicePort = z.infer<typeof servicePort>;

export const location = z.enum(["MESH_EXTERNAL", "MESH_INTERNAL"]);
export type Location = z.infer<typeof location>;

export const resolution = z.enum(["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"]);
export type Resolution = z.infer<typeof resolution>;

/** `networking.v1alpha3.WorkloadSelector { labels }` (not the `matchLabels` form of the security kinds). */
export const serviceEntryWorkloadSelector = z.strictObject({ labels: stringMap.optional() });
export type ServiceEntryWorkloadSelector = z.infer<typeof serviceEntryWorkloadSelector>;

export const serviceEntrySpec = z.strictObject({
  hosts: z.array(z.string()),
  addresses: z.array(z.string()).optional(),
  ports: z.array(servicePort).optional(),
  location: location.optional(),
  resolution: resolution.optional(),
  endpoints: z.array(workloadEntrySpec).optional(),
  workloadSelector: serviceEntryWorkloadSelector.optional(),
  exportTo: z.array(z.string()).optional(),
  subjectAltNames: z.array(z.string()).optional(),
});
export type ServiceEntrySpec = z.infer<typeof serviceEntrySpec>;

// ---- webhook rules ----

/** How an endpoint address is read: which forms each resolution accepts. */
type AddressContext = "STATIC" | "DNS" | "WorkloadEntry";

/**
 * Why `address` is not usable here, or undefined. STATIC takes IPs, `unix://` paths and (Isthmus)
 * `binding:NAME`; DNS resolution takes IPs and DNS names; a WorkloadEntry any of these.
 */
export function endpointAddressError(address: string, where: AddressContext): string | undefined {
  if (address.startsWith(BINDING_PREFIX)) {
    if (!isBindingAddress(address))
      return `invalid binding address ${JSON.stringify(address)}: expected binding:NAME with NAME a service binding name ([A-Za-z_][A-Za-z0-9_]*)`;
    if (where === "DNS") return `endpoint address ${JSON.stringify(address)} names a service binding; use resolution STATIC for mesh members`;
    return undefined;
  }
  if (address.startsWith(UNIX_PREFIX)) {
    if (where === "DNS") return `endpoint address ${JSON.stringify(address)} is a unix socket; use resolution STATIC`;
    return unixAddressError(address);
  }
  if (isIP(address)) return undefined;
  if (where === "STATIC")
    return `endpoint address ${JSON.stringify(address)} is not a valid IP address, unix:// path or binding:NAME (resolution STATIC); use resolution DNS for host names`;
  if (fqdnError(address)) return `endpoint address ${JSON.stringify(address)} is not a valid FQDN or an IP address`;
  return undefined;
}

/**
 * Istio's validateWorkloadEntry, for a WorkloadEntry (`servicePorts` undefined) or a ServiceEntry
 * endpoint (ports must be ones the ServiceEntry declares).
 */
function workloadEntryChecks(we: WorkloadEntrySpec, path: string, where: AddressContext, servicePorts: ReadonlySet<string> | undefined, ctx: RuleContext): void {
  const addr = we.address ?? "";
  if (addr === "") {
    if (!we.network) ctx.error(`${path}.address`, "address is required (or a network, for an endpoint reached through a network gateway)", "FieldValueRequired");
  } else {
    const err = endpointAddressError(addr, where);
    if (err) ctx.error(`${path}.address`, err);
  }
  const unix = addr.startsWith(UNIX_PREFIX);
  if (unix && we.ports !== undefined) ctx.error(`${path}.ports`, `unix endpoint ${JSON.stringify(addr)} must not include ports`);
  for (const [name, port] of Object.entries(we.ports ?? {})) {
    const p = sub(`${path}.ports`, name);
    if (servicePorts && !servicePorts.has(name))
      ctx.error(p, `endpoint port ${JSON.stringify(name)} (${port}) is not defined by the service entry; declared port names: [${[...servicePorts].join(", ")}]`);
    if (name.length >= 63 || !isDNS1123Label(name)) ctx.error(p, `invalid port name ${JSON.stringify(name)}: must be a DNS-1123 label`);
  }
  checkLabels(we.labels, `${path}.labels`, ctx);
  if (unix && servicePorts && servicePorts.size !== 1)
    ctx.error(`${path}.address`, `exactly 1 service port is required for unix endpoints, the service entry declares ${servicePorts.size}`);
}

/** Webhook rules for a WorkloadEntry (address may be an IP, a DNS name, a `unix://` path or `binding:NAME`). */
export function workloadEntryRules(spec: WorkloadEntrySpec, ctx: RuleContext): void {
  workloadEntryChecks(spec, "spec", "WorkloadEntry", undefined, ctx);
}

/**
 * Webhook rules for a ServiceEntry (Istio ValidateServiceEntry and its CRD rules): hosts, addresses,
 * unique ports, and endpoints that fit the resolution. Isthmus also requires STATIC entries to have
 * endpoints or a workloadSelector, since a STATIC service with neither has nothing to send to.
 */
export function serviceEntryRules(spec: ServiceEntrySpec, ctx: RuleContext): void {
  const resolution = spec.resolution ?? "NONE";
  const sel = spec.workloadSelector;
  for (const [k, v] of Object.entries(sel?.labels ?? {})) {
    const p = sub("spec.workloadSelector.labels", k);
    if (k === "") ctx.error(p, "empty key is not supported in selector");
    if (k.includes("*") || v.includes("*")) ctx.error(p, `wildcard is not supported in selector: ${JSON.stringify(`${k}=${v}`)}`);
  }
  if (sel && spec.endpoints !== undefined)
    ctx.error("spec.endpoints", "only one of workloadSelector or endpoints is allowed in a ServiceEntry", "FieldMutuallyExclusive");

  if (spec.hosts.length === 0) ctx.error("spec.hosts", "service entry must have at least one host", "FieldValueRequired");
  if (spec.hosts.length > 256) ctx.error("spec.hosts", `service entry may have at most 256 hosts, got ${spec.hosts.length}`);
  spec.hosts.forEach((h, i) => {
    if (h === "*") ctx.error(`spec.hosts[${i}]`, `invalid host "*": a ServiceEntry host cannot be the full wildcard`);
    else {
      const err = wildcardDomainError(h);
      if (err) ctx.error(`spec.hosts[${i}]`, `invalid host ${JSON.stringify(h)}: ${err}`);
    }
  });

  let cidr = false;
  if ((spec.addresses?.length ?? 0) > 256) ctx.error("spec.addresses", `service entry may have at most 256 addresses, got ${spec.addresses!.length}`);
  spec.addresses?.forEach((a, i) => {
    cidr ||= a.includes("/");
    const err = a.length > 64 ? `address ${JSON.stringify(a)} is longer than 64 characters` : ipSubnetError(a);
    if (err) ctx.error(`spec.addresses[${i}]`, err);
  });
  if (cidr && resolution !== "NONE" && resolution !== "STATIC")
    ctx.error("spec.addresses", `CIDR addresses are allowed only for NONE/STATIC resolution types, resolution is ${resolution}`);

  const portNames = new Map<string, number>();
  const portNumbers = new Map<number, number>();
  if ((spec.ports?.length ?? 0) > 256) ctx.error("spec.ports", `service entry may have at most 256 ports, got ${spec.ports!.length}`);
  spec.ports?.forEach((port, i) => {
    const p = `spec.ports[${i}]`;
    const byName = portNames.get(port.name);
    if (byName !== undefined) ctx.error(`${p}.name`, `service entry port name ${JSON.stringify(port.name)} already defined (spec.ports[${byName}])`, "Duplicate");
    else portNames.set(port.name, i);
    const byNumber = portNumbers.get(port.number);
    if (byNumber !== undefined) ctx.error(`${p}.number`, `service entry port ${port.number} already defined (spec.ports[${byNumber}])`, "Duplicate");
    else portNumbers.set(port.number, i);
    if (!isDNS1123Label(port.name)) ctx.error(`${p}.name`, `invalid port name ${JSON.stringify(port.name)}: must be a DNS-1123 label`);
    if (port.protocol !== undefined && port.protocol !== "" && parseProtocol(port.protocol) === undefined)
      ctx.error(`${p}.protocol`, `unsupported protocol ${JSON.stringify(port.protocol)}, supported protocols are ${SUPPORTED_PROTOCOLS}`);
  });
  const servicePorts = new Set(portNames.keys());

  const endpoints = spec.endpoints ?? [];
  switch (resolution) {
    case "NONE":
      if (spec.endpoints !== undefined) ctx.error("spec.endpoints", "no endpoints should be provided for resolution NONE; use resolution STATIC or DNS");
      break;
    case "STATIC":
      if (endpoints.length === 0 && !sel)
        ctx.error("spec.endpoints", "resolution STATIC needs endpoints with addresses (IP, unix:// path or binding:NAME), or a workloadSelector", "FieldValueRequired");
      endpoints.forEach((e, i) => workloadEntryChecks(e, `spec.endpoints[${i}]`, "STATIC", servicePorts, ctx));
      break;
    case "DNS":
    case "DNS_ROUND_ROBIN":
      if (endpoints.length === 0) {
        const bad = spec.hosts.findIndex((h) => fqdnError(h) !== undefined);
        if (bad >= 0)
          ctx.error(`spec.hosts[${bad}]`, `hosts must be FQDNs (no wildcards) when no endpoints are provided for resolution ${resolution}, got ${JSON.stringify(spec.hosts[bad])}`);
      }
      if (resolution === "DNS_ROUND_ROBIN" && endpoints.length > 1)
        ctx.error("spec.endpoints", `there must only be 0 or 1 endpoint for resolution DNS_ROUND_ROBIN, got ${endpoints.length}`);
      endpoints.forEach((e, i) => workloadEntryChecks(e, `spec.endpoints[${i}]`, "DNS", servicePorts, ctx));
      break;
    case "DYNAMIC_DNS":
      spec.hosts.forEach((h, i) => {
        if (!h.startsWith("*")) ctx.error(`spec.hosts[${i}]`, `host ${JSON.stringify(h)} must be wildcarded for resolution DYNAMIC_DNS`);
      });
      if (spec.addresses?.length) ctx.error("spec.addresses", "addresses cannot be set for resolution DYNAMIC_DNS; route domains come from hosts");
      if (spec.endpoints?.length) ctx.error("spec.endpoints", "endpoints cannot be set for resolution DYNAMIC_DNS; the destination comes from the request host");
      spec.ports?.forEach((port, i) => {
        const proto = parseProtocol(port.protocol ?? "");
        if (proto !== "HTTP" && proto !== "TLS" && proto !== "GRPC" && proto !== "HTTP2")
          ctx.error(`spec.ports[${i}].protocol`, `only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution DYNAMIC_DNS, got ${JSON.stringify(port.protocol ?? "")}`);
      });
      break;
  }

  // Plain TCP cannot tell several hosts apart (no Host header, no SNI) unless the hosts are ignored (NONE).
  if (resolution !== "NONE" && spec.hosts.length > 1) {
    const i = (spec.ports ?? []).findIndex((p) => !isHTTPProtocol(p.protocol ?? "") && !isTLSProtocol(p.protocol ?? ""));
    if (i >= 0)
      ctx.error(`spec.ports[${i}].protocol`, `multiple hosts provided with non-HTTP, non-TLS port (protocol ${JSON.stringify(spec.ports![i]!.protocol ?? "")}); set an HTTP or TLS protocol or use one host`);
  }
  checkExportTo(spec.exportTo, "spec.exportTo", ctx, { serviceEntry: true });
}
