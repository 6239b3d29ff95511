/**
 * The resource model shared by every stage of the config pipeline:
 * load (YAML/JSON) → validate (schemas + webhook rules) → analyze (IST codes) → compile (Snapshot).
 *
 * A `Resource` is a Kubernetes-style object exactly as the user wrote it (after loading), plus the
 * bookkeeping the ConfigStore adds (resourceVersion, creationTimestamp).
 */

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  creationTimestamp?: string;
  generation?: number;
  uid?: string;
}

export interface Resource<Spec = Record<string, unknown>> {
  apiVersion: string;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
}

export type Kind =
  | "Gateway"
  | "VirtualService"
  | "DestinationRule"
  | "ServiceEntry"
  | "WorkloadEntry"
  | "PeerAuthentication"
  | "RequestAuthentication"
  | "AuthorizationPolicy"
  | "Telemetry"
  | "RateLimitPolicy"
  // Kubernetes Gateway API. Its Gateway shares the written kind `Gateway` with Istio's; inside Isthmus
  // it is `KubernetesGateway` (as in Istio's own registry), told apart by the apiVersion's group.
  | "GatewayClass"
  | "KubernetesGateway"
  | "HTTPRoute"
  | "ReferenceGrant"
  | "GRPCRoute"
  | "TLSRoute"
  | "TCPRoute"
  | "UDPRoute";

export interface KindInfo {
  kind: Kind;
  group: string;
  versions: readonly string[];
  /** Kubernetes plural, used in admin API paths (`/apis/{group}/{version}/namespaces/{ns}/{plural}`). */
  plural: string;
  /** Lower-case singular and short names accepted by `isthmus get`. */
  aliases: readonly string[];
  /** The kind as users write it, when it differs from the internal one (`KubernetesGateway` is written `Gateway`). */
  wireKind?: string;
}

const NETWORKING = ["v1", "v1beta1", "v1alpha3"] as const;
const SECURITY = ["v1", "v1beta1"] as const;
const TELEMETRY = ["v1", "v1alpha1"] as const;
/** The Kubernetes Gateway API group. */
export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";
const GATEWAY_API = ["v1", "v1beta1"] as const;
/** Isthmus's own API group, for what Istio has no API for (first-class rate limits). */
export const ISTHMUS_GROUP = "policy.isthmus.dev";

export const KINDS: readonly KindInfo[] = [
  { kind: "Gateway", group: "networking.istio.io", versions: NETWORKING, plural: "gateways", aliases: ["gateway", "gw"] },
  { kind: "VirtualService", group: "networking.istio.io", versions: NETWORKING, plural: "virtualservices", aliases: ["virtualservice", "vs"] },
  { kind: "DestinationRule", group: "networking.istio.io", versions: NETWORKING, plural: "destinationrules", aliases: ["destinationrule", "dr"] },
  { kind: "ServiceEntry", group: "networking.istio.io", versions: NETWORKING, plural: "serviceentries", aliases: ["serviceentry", "se"] },
  { kind: "WorkloadEntry", group: "networking.istio.io", versions: NETWORKING, plural: "workloadentries", aliases: ["workloadentry", "we"] },
  { kind: "PeerAuthentication", group: "security.istio.io", versions: SECURITY, plural: "peerauthentications", aliases: ["peerauthentication", "pa"] },
  { kind: "RequestAuthentication", group: "security.istio.io", versions: SECURITY, plural: "requestauthentications", aliases: ["requestauthentication", "ra"] },
  { kind: "AuthorizationPolicy", group: "security.istio.io", versions: SECURITY, plural: "authorizationpolicies", aliases: ["authorizationpolicy", "ap"] },
  { kind: "Telemetry", group: "telemetry.istio.io", versions: TELEMETRY, plural: "telemetries", aliases: ["telemetry"] },
  { kind: "RateLimitPolicy", group: ISTHMUS_GROUP, versions: ["v1alpha1"], plural: "ratelimitpolicies", aliases: ["ratelimitpolicy", "rlp"] },
  { kind: "GatewayClass", group: GATEWAY_API_GROUP, versions: GATEWAY_API, plural: "gatewayclasses", aliases: ["gatewayclass", "gc"] },
  { kind: "KubernetesGateway", wireKind: "Gateway", group: GATEWAY_API_GROUP, versions: GATEWAY_API, plural: "gateways", aliases: ["gateways.gateway.networking.k8s.io", "gateway.gateway.networking.k8s.io", "kubernetesgateway", "gtw"] },
  { kind: "HTTPRoute", group: GATEWAY_API_GROUP, versions: GATEWAY_API, plural: "httproutes", aliases: ["httproute"] },
  { kind: "ReferenceGrant", group: GATEWAY_API_GROUP, versions: ["v1beta1", "v1"], plural: "referencegrants", aliases: ["referencegrant", "refgrant"] },
  { kind: "GRPCRoute", group: GATEWAY_API_GROUP, versions: ["v1"], plural: "grpcroutes", aliases: ["grpcroute"] },
  { kind: "TLSRoute", group: GATEWAY_API_GROUP, versions: ["v1alpha2", "v1alpha3"], plural: "tlsroutes", aliases: ["tlsroute"] },
  { kind: "TCPRoute", group: GATEWAY_API_GROUP, versions: ["v1alpha2"], plural: "tcproutes", aliases: ["tcproute"] },
  { kind: "UDPRoute", group: GATEWAY_API_GROUP, versions: ["v1alpha2"], plural: "udproutes", aliases: ["udproute"] },
];

const byKind = new Map(KINDS.map((k) => [k.kind, k]));

export function kindInfo(kind: string): KindInfo | undefined {
  return byKind.get(kind as Kind);
}

/**
 * The kind a document names, by its written `kind` and the group of its `apiVersion`: `Gateway` is
 * Istio's unless the group is the Gateway API's. An internal name (`KubernetesGateway`) is accepted too.
 */
export function kindInfoFor(apiVersion: unknown, kind: string): KindInfo | undefined {
  const g = typeof apiVersion === "string" ? apiVersion.split("/")[0] : undefined;
  const written = KINDS.filter((k) => (k.wireKind ?? k.kind) === kind);
  return written.find((k) => k.group === g) ?? written[0] ?? byKind.get(kind as Kind);
}

/** The kind as users write it (`KubernetesGateway` → `Gateway`). */
export function wireKind(kind: string): string {
  return byKind.get(kind as Kind)?.wireKind ?? kind;
}

/** A stored resource as users wrote it (its internal kind, if any, replaced by the written one). */
export function toWire<R extends { kind: string }>(r: R): R {
  const w = wireKind(r.kind);
  return w === r.kind ? r : { ...r, kind: w };
}

/** Finds a kind by its plural, singular, short name or Kind (case-insensitive), as `kubectl get` does. */
export function kindByName(name: string): KindInfo | undefined {
  const n = name.toLowerCase();
  return KINDS.find((k) => k.plural === n || k.kind.toLowerCase() === n || k.aliases.includes(n));
}

export function kindByPlural(group: string, plural: string): KindInfo | undefined {
  return KINDS.find((k) => k.group === group && k.plural === plural);
}

/** `group/version` → is it one this kind is served at? */
export function isServedApiVersion(info: KindInfo, apiVersion: string): boolean {
  const [group, version] = apiVersion.split("/");
  return group === info.group && version !== undefined && info.versions.includes(version);
}

/** The identity of a resource: kind, namespace and name (apiVersion does not matter, as in Kubernetes). */
export function resourceKey(r: { kind: string; metadata: { namespace?: string; name?: string } }): string {
  return `${r.kind}/${r.metadata.namespace ?? "default"}/${r.metadata.name ?? ""}`;
}

export const DEFAULT_NAMESPACE = "default";
/** Istio's root namespace: policies placed here apply mesh-wide. */
export const ROOT_NAMESPACE = "istio-system";
