/**
 * Istio's analyzer message catalogue (istio/istio pkg/config/analysis/msg/messages.yaml): code, type
 * name, level and the message template, one function per message type. Only the types Isthmus emits
 * are here; the text is Istio's, so users can search it in Istio's docs
 * (`https://istio.io/latest/docs/reference/config/analysis/ist0101/`).
 */
import type { Level } from "../errors.js";

/** A message before it is attached to a resource: what the analyzer found. */
export interface Finding {
  code: string;
  type: string;
  level: Level;
  message: string;
}

/** Go's `%q` for the strings analyzers print (host names, selectors): a double-quoted literal. */
function q(s: string): string {
  return JSON.stringify(s);
}

/** Go's `%v` of a slice: `[a b c]`. */
function list(values: readonly (string | number)[]): string {
  return `[${values.join(" ")}]`;
}

/** IST0101: `Referenced %s not found: %q` (reftype: `host`, `host+subset in destinationrule`, `gateway`, `selector`, ...). */
export function referencedResourceNotFound(reftype: string, refval: string): Finding {
  return { code: "IST0101", type: "ReferencedResourceNotFound", level: "Error", message: `Referenced ${reftype} not found: ${q(refval)}` };
}

/**
 * IST0133 SchemaWarning: `Schema validation warning: %v` — what Istio's validation webhook answers as a
 * warning (WrapWarning), e.g. a legacy FQDN gateway name.
 */
export function schemaWarning(warning: string): Finding {
  return { code: "IST0133", type: "SchemaWarning", level: "Warning", message: `Schema validation warning: ${warning}` };
}

/** IST0109: several mesh-bound VirtualServices define the same host. */
export function conflictingMeshGatewayVirtualServiceHosts(virtualServices: string, host: string): Finding {
  return {
    code: "IST0109",
    type: "ConflictingMeshGatewayVirtualServiceHosts",
    level: "Error",
    message:
      `The VirtualServices ${virtualServices} associated with mesh gateway define the same host ${host} which can lead to undefined behavior. ` +
      `This can be fixed by merging the conflicting VirtualServices into a single resource.`,
  };
}

/** IST0112: a destination without `port` on a service that exposes several. */
export function virtualServiceDestinationPortSelectorRequired(destHost: string, destPorts: readonly number[]): Finding {
  return {
    code: "IST0112",
    type: "VirtualServiceDestinationPortSelectorRequired",
    level: "Error",
    message:
      `This VirtualService routes to a service ${q(destHost)} that exposes multiple ports ${list(destPorts)}. ` +
      `Specifying a port in the destination is required to disambiguate.`,
  };
}

/** IST0128: DestinationRule TLS SIMPLE/MUTUAL without `caCertificates`. */
export function noServerCertificateVerificationDestinationLevel(destinationrule: string, namespace: string, mode: string, host: string): Finding {
  return {
    code: "IST0128",
    type: "NoServerCertificateVerificationDestinationLevel",
    level: "Warning",
    message:
      `DestinationRule ${destinationrule} in namespace ${namespace} has TLS mode set to ${mode} but no caCertificates are set ` +
      `to validate server identity for host: ${host}`,
  };
}

/** IST0129: the same as IST0128 for one `portLevelSettings` entry. */
export function noServerCertificateVerificationPortLevel(destinationrule: string, namespace: string, mode: string, host: string, port: string): Finding {
  return {
    code: "IST0129",
    type: "NoServerCertificateVerificationPortLevel",
    level: "Warning",
    message:
      `DestinationRule ${destinationrule} in namespace ${namespace} has TLS mode set to ${mode} but no caCertificates are set ` +
      `to validate server identity for host: ${host} at port ${port}`,
  };
}

/** IST0130: a rule that can never be used. */
export function virtualServiceUnreachableRule(ruleno: string, reason: string): Finding {
  return { code: "IST0130", type: "VirtualServiceUnreachableRule", level: "Warning", message: `VirtualService rule ${ruleno} not used (${reason}).` };
}

/** IST0131: a match block that an earlier one already covers. */
export function virtualServiceIneffectiveMatch(ruleno: string, matchno: string, dupno: string): Finding {
  return {
    code: "IST0131",
    type: "VirtualServiceIneffectiveMatch",
    level: "Info",
    message: `VirtualService rule ${ruleno} match ${matchno} is not used (duplicate/overlapping match in rule ${dupno}).`,
  };
}

/** IST0132: no VirtualService host is served by the referenced Gateway. */
export function virtualServiceHostNotFoundInGateway(hosts: readonly string[], virtualservice: string, gateway: string): Finding {
  return {
    code: "IST0132",
    type: "VirtualServiceHostNotFoundInGateway",
    level: "Warning",
    message: `one or more host ${list(hosts)} defined in VirtualService ${virtualservice} not found in Gateway ${gateway}.`,
  };
}

/** IST0145: two Gateways select the same workload and serve the same host on the same port. */
export function conflictingGateways(gateways: string, selector: string, portnumber: string, hosts: string): Finding {
  return {
    code: "IST0145",
    type: "ConflictingGateways",
    level: "Error",
    message: `Conflict with gateways ${gateways} (workload selector ${selector}, port ${portnumber}, hosts ${hosts}).`,
  };
}

/** IST0149: `@request.auth.claims` routing on a gateway that no RequestAuthentication applies to. */
export function jwtClaimBasedRoutingWithoutRequestAuthN(key: string, gateway: string, pod: string): Finding {
  return {
    code: "IST0149",
    type: "JwtClaimBasedRoutingWithoutRequestAuthN",
    level: "Error",
    message:
      `The virtual service uses the JWT claim based routing (key: ${key}) but found no request authentication for the gateway (${gateway}) pod (${pod}). ` +
      `The request authentication must first be applied for the gateway pods to validate the JWT token and make the claims available for routing.`,
  };
}

/** IST0173: a DestinationRule subset that selects no endpoint. */
export function destinationRuleSubsetNotSelectPods(subset: string): Finding {
  return {
    code: "IST0173",
    type: "DestinationRuleSubsetNotSelectPods",
    level: "Error",
    message: `The Subset ${subset} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
  };
}

/** IST0174: a DestinationRule for a host no ServiceEntry defines. */
export function unknownDestinationRuleHost(host: string): Finding {
  return {
    code: "IST0174",
    type: "UnknownDestinationRuleHost",
    level: "Warning",
    message: `The host ${host} defined in the DestinationRule does not match any services in the mesh.`,
  };
}
