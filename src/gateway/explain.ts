/**
 * `POST /_mesh/explain`: what the pipeline would decide for a request, without sending it — the
 * virtual host, the route and the match that won, the destination, subset, cluster and endpoints.
 */
import { meshOptions } from "../config/mesh-options.js";
import { normalizePath } from "../router/path-normalization.js";
import { configStore } from "./index.js";
import { liveConfig } from "./live-config.js";

export interface ExplainInput {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Explain as an east-west call from this namespace (the mesh listener). */
  sourceNamespace?: string;
}

export async function explainRequest(env: Env, ctx: { waitUntil(p: Promise<unknown>): void }, input: ExplainInput) {
  const live = await liveConfig({ env, store: () => configStore(env), waitUntil: (p) => ctx.waitUntil(p) });
  const url = new URL(input.url);
  const headers = new Headers(input.headers);
  const scheme = url.protocol === "https:" ? "https" : "http";
  const listener = input.sourceNamespace ? "mesh" : "gateway";
  const mode = live.policies.mesh.pathNormalization;
  const path = normalizePath(url.pathname + url.search, mode);
  const authority = headers.get("host") ?? url.host;
  const port = listener === "mesh" ? Number(url.port || (scheme === "https" ? 443 : 80)) : scheme === "https" ? 443 : 80;
  const decision = live.router.route({
    listener, authority, path, method: input.method.toUpperCase(), scheme, port, headers, sourceNamespace: input.sourceNamespace,
  });
  const out: Record<string, unknown> = {
    version: live.version,
    request: { method: input.method.toUpperCase(), authority, path, normalization: mode, listener, port },
    gateway: meshOptions(env),
    decision,
  };
  if (decision.outcome === "matched" && decision.route.action.kind === "forward") {
    out.destinations = decision.route.action.destinations.map((d) => {
      const cluster = live.router.cluster(d.cluster);
      return {
        host: d.host, subset: d.subset, port: d.port, weight: d.weight, cluster: d.cluster,
        clusterFound: Boolean(cluster),
        endpoints: cluster?.endpoints ?? [],
        trafficPolicy: cluster?.trafficPolicy,
        outcome: !cluster ? "503 NC (no such cluster)" : cluster.endpoints.length === 0 ? "503 UH (no healthy upstream)" : "forward",
      };
    });
  } else if (decision.outcome !== "matched") {
    out.outcome = decision.outcome === "https_redirect" ? "301 to https" : "404 NR (no route)";
  }
  return out;
}
