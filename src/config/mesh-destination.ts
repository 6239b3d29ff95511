/**
 * The `destination` prop of a member's binding to the gateway's MeshEntrypoint
 * (`"reviews.default.svc.cluster.local:9080"`): read by the gateway (src/gateway/runtime/mesh-destination.ts)
 * and checked by `isthmus verify-install`, so both agree on what is valid.
 */

/** `host` or `host:port` (an `http://` prefix is tolerated); undefined when the value is not one. */
export function parseMeshDestination(destination: string): { host: string; port: number } | undefined {
  const value = destination.startsWith("http://") ? destination.slice(7) : destination;
  if (value === "" || /[/?#@\s]/.test(value)) return undefined;
  const colon = value.lastIndexOf(":");
  if (colon < 0) return { host: value.toLowerCase(), port: 80 };
  const port = Number(value.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535 || colon === 0) return undefined;
  return { host: value.toLowerCase(), port };
}
