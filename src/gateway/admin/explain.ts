/**
 * `POST /_mesh/explain`: what the pipeline would decide for a request, without sending it upstream —
 * stage by stage, in DESIGN §2's order: normalization, virtual host, peer identity, JWT, authorization,
 * rate limits (which policies apply; no tokens are taken), route and the match that won, fault/CORS,
 * and the forward: destinations, clusters, load balancer, endpoints, retries, timeouts, outlier
 * detection and connection-pool limits. The same modules as the data plane decide; nothing is copied.
 */
import { meshOptions } from "../../config/mesh-options.js";
import { compileConcurrencyLimit } from "../../policy/concurrency-limit.js";
import { compileLoadBalancer } from "../../policy/load-balancer/index.js";
import { compileOutlierDetection } from "../../policy/outlier/index.js";
import { peerAuthnMode } from "../../policy/peer-authn/peer-authentication.js";
import { edgePeerMode } from "../../policy/peer-authn/peer-identity.js";
import { compileRetryPolicy } from "../../policy/retry/index.js";
import { normalizePath } from "../../router/path-normalization.js";
import { authzView } from "../chain/authz-view.js";
import { configStore } from "../runtime/config-store-stub.js";
import { jwtUrl } from "../filters/jwt-authn/jwt-authn.js";
import { liveConfig } from "../runtime/live-config.js";
import type { RequestContext } from "../chain/request-context.js";
import { parseRequestUrl } from "../chain/request-target.js";
import { routeInput } from "../chain/route-input.js";

export interface ExplainInput {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Explain as an east-west call from a member with this identity (the mesh listener). */
  source?: { namespace: string; serviceAccount?: string };
}

export async function explainRequest(env: Env, ctx: { waitUntil(p: Promise<unknown>): void }, input: ExplainInput) {
  const live = await liveConfig({ env, store: () => configStore(env), waitUntil: (p) => ctx.waitUntil(p) });
  const url = new URL(input.url);
  const request = new Request(url, { method: input.method.toUpperCase(), headers: input.headers });
  const scheme = url.protocol === "https:" ? "https" : "http";
  const listener = input.source ? "mesh" : "gateway";
  const mode = live.policies.mesh.pathNormalization;
  const principal = input.source?.serviceAccount ? `${meshOptions(env).trustDomain}/ns/${input.source.namespace}/sa/${input.source.serviceAccount}` : undefined;
  const rc: RequestContext = {
    request, env, waitUntil: (p) => ctx.waitUntil(p), live, listener, scheme,
    port: listener === "mesh" ? Number(url.port || (scheme === "https" ? 443 : 80)) : scheme === "https" ? 443 : 80,
    startedAt: Date.now(),
    caller: input.source ? { kind: "mesh", namespace: input.source.namespace, serviceAccount: input.source.serviceAccount, principal } : { kind: "edge" },
    authority: listener === "mesh" ? url.host : (request.headers.get("host") ?? url.host),
    path: normalizePath(parseRequestUrl(input.url).pathAndQuery, mode) ?? "",
    method: request.method,
    headers: new Headers(request.headers),
    requestId: "explain",
    flags: [],
    responseEditors: [],
  };
  const stages: Record<string, unknown> = {};
  const out: Record<string, unknown> = {
    version: live.version,
    request: { method: rc.method, authority: rc.authority, path: rc.path, normalization: mode, listener, port: rc.port },
    stages,
  };
  const decide = (outcome: string) => ({ ...out, outcome });
  if (rc.path === "") return decide("400 (the path cannot be normalized: it holds %00)");

  // 2. virtual host
  const vhost = live.router.virtualHost(routeInput(rc));
  if (!vhost) return decide("404 NR (no virtual host for this Host)");
  rc.vhost = vhost;
  stages.virtualHost = { ...vhost.ref, httpsRedirect: vhost.httpsRedirect, tlsMode: vhost.virtualHost.tlsMode };
  if (vhost.httpsRedirect && scheme === "http") return decide("301 to https (Gateway tls.httpsRedirect)");

  // 2b. peer identity
  const peerMode = listener === "mesh" ? peerAuthnMode(live.policies.peerAuthn, rc.port) : edgePeerMode(peerAuthnMode(live.policies.peerAuthn, rc.port), vhost.virtualHost.tlsMode);
  stages.peerAuthentication = { mode: peerMode, principal: principal ?? null };
  if (peerMode === "STRICT" && !principal) return decide("403 (STRICT: no verified peer identity)");
  rc.sourcePrincipal = principal;

  // 3. CUSTOM authorization (the external service is not called)
  const custom = live.policies.authorizer.custom(authzView(rc));
  if (custom.kind !== "none") stages.customAuthorization = custom.kind === "check" ? { provider: custom.provider.name, policy: custom.policy } : { deny: custom.reason };

  // 4. JWT (verified for real, so claim routes and policies see the same claims)
  if (live.policies.jwt.enabled) {
    const jwt = await live.policies.jwt.authenticate({ headers: rc.headers, url: jwtUrl(rc), method: rc.method, waitUntil: (p) => ctx.waitUntil(p) });
    stages.requestAuthentication = jwt.kind === "ok" ? { token: "valid", principal: jwt.principal, issuer: jwt.issuer } : jwt.kind === "none" ? { token: "none" } : { token: "invalid", status: jwt.reply.status, body: jwt.reply.body };
    if (jwt.kind === "deny") return decide(`${jwt.reply.status} ${jwt.reply.body}`);
    if (jwt.kind === "ok") { rc.jwt = jwt; rc.claims = jwt.claims; rc.authzView = undefined; }
  }

  // 5. authorization
  const authz = live.policies.authorizer.authorize(authzView(rc));
  stages.authorization = { allowed: authz.allowed, reason: authz.reason, policy: authz.policy, audit: authz.audit, dryRun: authz.dryRun };
  if (!authz.allowed) return decide("403 RBAC: access denied");

  // 6. rate limits
  stages.rateLimits = live.policies.rateLimiter.empty ? "none configured" : "evaluated per request (explain takes no tokens)";

  // 7. route
  const decision = live.router.match(vhost, routeInput(rc));
  if (decision.outcome !== "matched") return decide("404 NR (no route matched)");
  const route = decision.route;
  stages.route = {
    name: decision.routeName, source: route.source, index: decision.routeIndex, match: decision.match,
    timeoutMs: route.timeoutMs ?? null, retries: route.retries ?? "Istio default (2 attempts)", fault: route.fault, corsPolicy: route.corsPolicy,
    headers: route.headers, mirrors: route.mirrors, rewrite: route.rewrite,
  };
  const action = route.action;
  if (action.kind !== "forward") return decide(action.kind === "redirect" ? `${action.redirectCode} redirect` : `${action.status} direct response`);

  // 9. destinations
  out.destinations = action.destinations.map((d) => {
    const cluster = live.router.cluster(d.cluster);
    const tp = cluster?.trafficPolicy;
    return {
      host: d.host, subset: d.subset, port: d.port, weight: d.weight, cluster: d.cluster,
      share: action.destinations.length === 1 ? 1 : d.weight / action.totalWeight,
      outcome: !cluster ? "503 NC (no such cluster)" : cluster.endpoints.length === 0 ? "503 UH (no healthy upstream)" : "forward",
      endpoints: cluster?.endpoints ?? [],
      protocol: cluster?.protocol,
      destinationRule: cluster?.destinationRule,
      loadBalancer: compileLoadBalancer(tp?.loadBalancer),
      retryPolicy: cluster ? compileRetryPolicy(route.retries, route.timeoutMs, { consistentHash: Boolean(tp?.loadBalancer?.consistentHash) }) ?? "none" : undefined,
      outlierDetection: compileOutlierDetection(tp?.outlierDetection) ?? "none",
      concurrencyLimit: compileConcurrencyLimit(tp?.connectionPool) ?? "unlimited",
      tls: tp?.tls,
    };
  });
  return decide("forward");
}
