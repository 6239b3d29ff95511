/**
 * An HTTPRoute backendRef resolved to a registry host, as a VirtualService `destination.host` is:
 * a `Service` named `reviews` in namespace `ns` is `reviews.ns.svc.cluster.local`, found among the
 * ServiceEntry hosts; Istio's `Hostname` kind (group `networking.istio.io`) names a host directly.
 * What cannot be resolved carries the Gateway API reason, and its share of traffic answers 500.
 */
import { resolveHost } from "../../hosts.js";
import { GATEWAY_API_GROUP } from "../../resource.js";
import type { BackendObjectReference } from "../../schemas/gateway-api.js";
import type { ServiceRegistry } from "../service-registry.js";
import type { ReferenceGrants } from "./reference-grants.js";

export type BackendReason = "BackendNotFound" | "InvalidKind" | "RefNotPermitted";

export interface ResolvedBackend {
  host: string;
  port?: number;
  /** Why the backend is invalid (its traffic answers 500); absent when it resolved. */
  reason?: BackendReason;
  message?: string;
}

/** The host an unresolvable backend is given: never a registry host, so its cluster never exists. */
export const INVALID_BACKEND_HOST = "invalid-backend.gateway-api.isthmus.internal";

export function resolveBackend(
  ref: BackendObjectReference,
  routeNamespace: string,
  registry: ServiceRegistry,
  grants: ReferenceGrants,
  fromKind = "HTTPRoute",
): ResolvedBackend {
  const group = ref.group ?? "";
  const kind = ref.kind ?? "Service";
  const namespace = ref.namespace ?? routeNamespace;
  const invalid = (reason: BackendReason, message: string): ResolvedBackend => ({ host: INVALID_BACKEND_HOST, ...(ref.port ? { port: ref.port } : {}), reason, message });
  let host: string;
  if ((group === "" || group === "core") && kind === "Service") host = resolveHost(ref.name, namespace);
  else if (group === "networking.istio.io" && kind === "Hostname") host = ref.name.toLowerCase();
  else return invalid("InvalidKind", `backendRef kind ${JSON.stringify(`${group ? `${group}/` : ""}${kind}`)} is not supported; use a Service (or networking.istio.io Hostname)`);
  if (!grants({ group: GATEWAY_API_GROUP, kind: fromKind, namespace: routeNamespace }, { group, kind, namespace, name: ref.name }))
    return invalid("RefNotPermitted", `backendRef ${namespace}/${ref.name} is in another namespace and no ReferenceGrant allows it`);
  const service = registry.get(host);
  if (!service) return { host, ...(ref.port ? { port: ref.port } : {}), reason: "BackendNotFound", message: `backend ${host} is not in the service registry (no ServiceEntry declares it)` };
  if (ref.port !== undefined && service.ports.length > 0 && !service.ports.some((p) => p.number === ref.port))
    return { host, port: ref.port, reason: "BackendNotFound", message: `backend ${host} has no port ${ref.port}` };
  return { host, ...(ref.port ? { port: ref.port } : {}) };
}
