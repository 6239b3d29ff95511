/**
 * Stage 1: path normalization (Istio's BASE by default; `pathNormalization.normalization` of the
 * MESH_CONFIG var selects NONE, MERGE_SLASHES or DECODE_AND_MERGE_SLASHES mesh-wide) and the request
 * id. The normalized path is what routing, authorization and the upstream all see, as in Istio.
 */
import { normalizePath } from "../../router/path-normalization.js";
import type { RequestFilter } from "./filter.js";

export const normalizeFilter: RequestFilter = {
  name: "normalize",
  onRequest(rc) {
    rc.path = normalizePath(rc.path, rc.live.policies.mesh.pathNormalization);
    // Envoy keeps a client's x-request-id on internal requests and generates one otherwise; at the
    // edge every client is external, so a fresh id is set unless a mesh member propagates one.
    const incoming = rc.headers.get("x-request-id");
    rc.requestId = rc.listener === "mesh" && incoming ? incoming : crypto.randomUUID();
    rc.headers.set("x-request-id", rc.requestId);
    sanitize(rc.headers);
    continueTrace(rc.headers);
    return undefined;
  },
};

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = "0".repeat(32);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const random = new Uint8Array(24);

function hex(from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += HEX[random[i]!];
  return s;
}

/**
 * W3C trace context: the gateway is one hop of the trace. A valid incoming `traceparent` keeps its
 * trace id and sampling flags and gets the gateway's span as parent; otherwise a new trace starts
 * (not sampled: no tracer is configured). B3 headers pass through unchanged.
 */
function continueTrace(headers: Headers): void {
  const m = TRACEPARENT.exec(headers.get("traceparent") ?? "");
  crypto.getRandomValues(random);
  const trace = m && m[1] !== ZERO_TRACE ? m[1]! : hex(0, 16);
  headers.set("traceparent", `00-${trace}-${hex(16, 24)}-${m ? m[3] : "00"}`);
}

/**
 * The client-certificate header a client must not be able to set (Istio's XFCC SANITIZE_SET: the
 * gateway sets it itself from the caller's binding identity). Envoy's `x-envoy-*` request controls
 * (timeout and retry overrides) are never honoured by Isthmus, so they need no scan per request.
 */
function sanitize(headers: Headers): void {
  headers.delete("x-forwarded-client-cert");
}
