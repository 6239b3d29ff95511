/**
 * Sends a request to one endpoint of a cluster: a mesh member through the gateway's service binding
 * of that name, or a network origin with fetch (DESIGN §3). Failures to connect become a typed
 * outcome for the retry policy, not an exception.
 */
import type { Cluster, Endpoint } from "../config/snapshot.js";

export type UpstreamOutcome =
  | { kind: "response"; response: Response }
  | { kind: "connect-failure"; error: string }
  | { kind: "no-binding"; binding: string };

/** `binding:NAME` or `host:port`, for logs and explain. */
export function endpointLabel(e: Endpoint): string {
  return e.kind === "binding" ? `binding:${e.binding}` : `${e.address}:${e.port}`;
}

/** The URL the upstream sees: origin address and port, the (rewritten) path and query. */
export function upstreamUrl(cluster: Cluster, endpoint: Endpoint, pathAndQuery: string, authority: string): string {
  if (endpoint.kind === "binding") return `http://${authority}${pathAndQuery}`;
  const host = endpoint.address.includes(":") && !endpoint.address.startsWith("[") ? `[${endpoint.address}]` : endpoint.address;
  return `${cluster.protocol}://${host}:${endpoint.port}${pathAndQuery}`;
}

export async function sendUpstream(env: Env, cluster: Cluster, endpoint: Endpoint, request: Request): Promise<UpstreamOutcome> {
  try {
    if (endpoint.kind === "binding") {
      const binding = (env as unknown as Record<string, unknown>)[endpoint.binding] as Fetcher | undefined;
      if (!binding || typeof binding.fetch !== "function") return { kind: "no-binding", binding: endpoint.binding };
      return { kind: "response", response: await binding.fetch(request) };
    }
    return { kind: "response", response: await fetch(request) };
  } catch (e) {
    if ((e as Error)?.name === "AbortError" || (e as Error)?.name === "TimeoutError") throw e;
    void cluster;
    return { kind: "connect-failure", error: String((e as Error)?.message ?? e) };
  }
}
