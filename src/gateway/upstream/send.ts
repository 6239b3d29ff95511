/**
 * Sends a request to one endpoint of a cluster: a mesh member through the gateway's service binding
 * of that name, or a network origin with fetch (DESIGN §3). Failures to connect become a typed
 * outcome for the retry policy, not an exception.
 */
import type { Cluster, Endpoint } from "../../config/snapshot.js";

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

function fetcher(env: Env, name: string): Fetcher | undefined {
  const b = (env as unknown as Record<string, unknown>)[name] as Fetcher | undefined;
  return b && typeof b.fetch === "function" ? b : undefined;
}

/**
 * DestinationRule `tls.mode: MUTUAL` toward an origin: the client certificate is a Workers
 * `mtls_certificates` binding, named by `tls.credentialName` (Istio's name for the secret holding
 * it). SIMPLE needs nothing: the cluster protocol is already https.
 */
function mtlsBinding(env: Env, cluster: Cluster): { name: string; fetcher?: Fetcher } | undefined {
  const tls = cluster.trafficPolicy?.tls;
  if (tls?.mode !== "MUTUAL") return undefined;
  const name = tls.credentialName ?? "";
  return { name, fetcher: name ? fetcher(env, name) : undefined };
}

export async function sendUpstream(env: Env, cluster: Cluster, endpoint: Endpoint, request: Request): Promise<UpstreamOutcome> {
  try {
    if (endpoint.kind === "binding") {
      const binding = fetcher(env, endpoint.binding);
      if (!binding) return { kind: "no-binding", binding: endpoint.binding };
      return { kind: "response", response: await binding.fetch(request) };
    }
    const mtls = mtlsBinding(env, cluster);
    if (mtls) {
      if (!mtls.fetcher) return { kind: "no-binding", binding: mtls.name || "(tls.credentialName unset)" };
      return { kind: "response", response: await mtls.fetcher.fetch(request) };
    }
    return { kind: "response", response: await fetch(request) };
  } catch (e) {
    if ((e as Error)?.name === "AbortError" || (e as Error)?.name === "TimeoutError") throw e;
    return { kind: "connect-failure", error: String((e as Error)?.message ?? e) };
  }
}
