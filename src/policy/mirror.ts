/**
 * Request mirroring (`mirror` + `mirrorPercentage`, or `mirrors[]`; Istio TranslateRequestMirrorPolicy
 * → Envoy request_mirror_policies). The compiler already dropped mirrors at 0 % and defaulted unset
 * percentages to 100 % (src/config/compile/http-route.ts); here:
 *
 * - which mirrors fire: each mirror's percentage per million, tested against ONE draw per request
 *   shared by all mirrors of the route (Envoy uses the stream's stable random value), so with mirrors
 *   at 10 % and 20 % every request mirrored to the first is also mirrored to the second. CONNECT is
 *   never mirrored.
 * - what is sent: a copy of the request as it goes to the primary upstream (Envoy copies the headers
 *   after the route's rewrites and header ops): same method, headers and body. The Host is left as it
 *   is (Istio's default `DISABLE_SHADOW_HOST_SUFFIX=true`; older Istio appended `-shadow`). Istio
 *   sets `trace_sampled: false`, so trace context in the copy is marked not sampled. Nothing is added.
 * - a request body that was not buffered (over the gateway's buffer cap) cannot be copied: the
 *   mirror is abandoned, as Envoy abandons shadowing past its buffer limit (`retry_or_shadow_abandoned`).
 *
 * The caller sends the copy with `ctx.waitUntil`, never awaits it for the primary, and discards its
 * response.
 */
import type { Mirror } from "../config/snapshot.js";
import { fractionFires, percentToPerMillion } from "./fractional-percent.js";

/**
 * The mirrors that fire for this request.
 *
 * @param random uniform in [0, 1); drawn once, only when the route has mirrors
 * @example mirrorDecisions(route.mirrors, Math.random, request.method)  // [{ host: "reviews...", cluster: "outbound|9080|v2|...", ... }]
 */
export function mirrorDecisions(mirrors: readonly Mirror[] | undefined, random: () => number, method?: string): Mirror[] {
  if (!mirrors || mirrors.length === 0 || method === "CONNECT") return [];
  const draw = random();
  const out: Mirror[] = [];
  for (const m of mirrors) if (fractionFires(percentToPerMillion(m.percentage), draw)) out.push(m);
  return out;
}

export interface MirrorRequestOptions {
  /** Keep the trace context's sampling decision (Istio: false — mirrors are not sampled). */
  traceSampled?: boolean;
}

/**
 * The shadow copy of `upstream` (the request as built for the primary destination) addressed to
 * `target` (the mirror endpoint's URL, built like the primary's with src/gateway/upstream/send.ts).
 *
 * @param body the buffered request body; required when `upstream` has a body, otherwise the mirror is
 *   abandoned and undefined is returned
 * @example ctx.waitUntil(fetch(mirrorRequest(upstreamReq, buffered, url)!).then((r) => r.body?.cancel(), () => {}))
 */
export function mirrorRequest(
  upstream: Request,
  body: ArrayBuffer | Uint8Array | string | undefined,
  target: string | URL,
  options: MirrorRequestOptions = {},
): Request | undefined {
  const hasBody = upstream.body !== null && upstream.method !== "GET" && upstream.method !== "HEAD";
  if (hasBody && body === undefined) return undefined;
  const headers = new Headers(upstream.headers);
  if (!options.traceSampled) unsampleTrace(headers);
  return new Request(target, {
    method: upstream.method,
    headers,
    body: hasBody ? body : null,
    redirect: "manual",
  });
}

/**
 * Marks propagated trace context as not sampled: W3C `traceparent` flags, B3 `x-b3-sampled` /
 * single-header `b3`; the B3 debug flag (which forces sampling) is dropped.
 */
export function unsampleTrace(headers: Headers): void {
  const tp = headers.get("traceparent");
  if (tp) {
    const parts = tp.split("-");
    const flags = parts.length >= 4 ? parseInt(parts[3]!, 16) : NaN;
    if (!Number.isNaN(flags) && parts[3]!.length === 2) {
      parts[3] = (flags & 0xfe).toString(16).padStart(2, "0");
      headers.set("traceparent", parts.join("-"));
    }
  }
  if (headers.has("x-b3-sampled")) headers.set("x-b3-sampled", "0");
  headers.delete("x-b3-flags");
  const b3 = headers.get("b3");
  if (b3) {
    const parts = b3.split("-");
    if (parts.length === 1) headers.set("b3", "0");
    else if (parts.length === 2) headers.set("b3", `${b3}-0`);
    else {
      parts[2] = "0";
      headers.set("b3", parts.join("-"));
    }
  }
}
