/**
 * What a Bookinfo member needs to call another member through the mesh: its service binding to the
 * gateway (named MESH), used like a plain fetch to `http://<service>:9080/...`. The gateway plays the
 * sidecar: it applies the mesh-bound VirtualServices and knows the caller from the binding itself.
 */
export interface MemberEnv {
  MESH: Fetcher;
  VERSION?: string;
  STAR_COLOR?: string;
}

/** Calls another service through the gateway, forwarding Istio's trace headers as Bookinfo does. */
export async function callService(env: MemberEnv, incoming: Request, url: string): Promise<Response> {
  const headers = new Headers();
  for (const name of TRACE_HEADERS) {
    const v = incoming.headers.get(name);
    if (v !== null) headers.set(name, v);
  }
  return env.MESH.fetch(new Request(url, { headers }));
}

/** The headers Bookinfo's services propagate (istio.io/docs/tasks/observability/distributed-tracing). */
export const TRACE_HEADERS = [
  "x-request-id", "traceparent", "tracestate", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid",
  "x-b3-sampled", "x-b3-flags", "b3", "end-user", "user-agent", "cookie", "authorization",
];
