/**
 * Stage 6: RateLimitPolicy — local limits (no I/O) and global limits (at most one awaited
 * RateLimiter Durable Object round trip). 429 `local_rate_limited` with `x-envoy-ratelimited`, flag RL;
 * the X-RateLimit-* headers go on every response the policy covers.
 */
import { clientAddresses } from "../../../policy/client-ip.js";
import type { RateLimitOutcome } from "../../../policy/ratelimit/index.js";
import { record, type RequestContext } from "../../chain/request-context.js";
import type { FilterResult, RequestFilter } from "../../chain/filter.js";
import { ensureRoute } from "../route/route.js";

const DRY_RUN = { dryRun: true } as const;

export const rateLimitFilter: RequestFilter = {
  name: "rate_limit",
  onRequest(rc) {
    const limiter = rc.live.rateLimiter;
    if (limiter.empty) return undefined;
    const route = ensureRoute(rc);
    const source = route?.route.source;
    const pending = limiter.check({
      host: rc.authority,
      path: rc.path,
      method: rc.method,
      headers: rc.headers,
      remoteIp: clientAddresses(rc.request.headers, rc.live.mesh.numTrustedProxies).remoteIp,
      claims: rc.claims,
      listener: rc.listener,
      port: rc.port,
      routeName: route?.routeName,
      // An HTTPRoute is named apart from a VirtualService of the same name (compile/rate-limits.ts).
      virtualService: source?.namespace && source.name && source.kind !== "default" ? `${source.kind === "HTTPRoute" ? "HTTPRoute:" : ""}${source.namespace}/${source.name}` : undefined,
    }, undefined, rc.dryRun ? DRY_RUN : { waitUntil: rc.waitUntil });
    return pending instanceof Promise ? pending.then((o) => settle(rc, o)) : settle(rc, pending);
  },
};

function settle(rc: RequestContext, outcome: RateLimitOutcome): FilterResult {
  record(rc, "rate_limit", { limited: outcome.limited, decisions: outcome.decisions, ...(rc.dryRun ? { note: "a dry run takes no tokens; global limits are not asked" } : {}) });
  if (outcome.limited) return outcome.reply;
  const headers = outcome.headers;
  if (headers && Object.keys(headers).length) {
    rc.responseEditors.push((h) => { for (const k in headers) h.set(k, headers[k]!); });
  }
  return undefined;
}
