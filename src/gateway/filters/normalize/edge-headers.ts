/**
 * Envoy's header sanitizing for requests from outside the mesh: a client on the internet must not
 * steer the gateway or the services behind it with the proxy's own control headers. Envoy removes
 * its `x-envoy-*` controls from external requests (retry and timeout overrides, `x-envoy-internal`,
 * `x-envoy-external-address`, `x-envoy-force-trace`, ...); Isthmus removes every `x-envoy-*` and
 * `x-isthmus-*` header on north-south requests. Members calling through the mesh are internal and
 * keep theirs.
 */
import { mutableHeaders, type RequestContext } from "../../chain/request-context.js";

function isInternalHeader(name: string): boolean {
  return name.startsWith("x-envoy-") || name.startsWith("x-isthmus-");
}

/** Drops internal headers from an edge request; copies the headers only when there is one. */
export function sanitizeEdgeHeaders(rc: RequestContext): void {
  let found: string[] | undefined;
  for (const name of rc.headers.keys()) if (isInternalHeader(name)) (found ??= []).push(name);
  if (!found) return;
  const headers = mutableHeaders(rc);
  for (const name of found) headers.delete(name);
}
