/**
 * Stage 1: path normalization (Istio's BASE by default; `pathNormalization.normalization` of the
 * MESH_CONFIG var selects NONE, MERGE_SLASHES or DECODE_AND_MERGE_SLASHES mesh-wide) and the request
 * id and trace context (written onto the upstream request by the router stage). The normalized path
 * is what routing, authorization and the upstream all see, as in Istio.
 */
import { localReply } from "../../../policy/local-reply.js";
import { normalizePath } from "../../../router/path-normalization.js";
import { sanitizeEdgeHeaders } from "./edge-headers.js";
import type { RequestFilter } from "../../chain/filter.js";
import { record } from "../../chain/request-context.js";

export const normalizeFilter: RequestFilter = {
  name: "normalize",
  onRequest(rc) {
    const path = normalizePath(rc.path, rc.live.mesh.pathNormalization);
    // Envoy refuses a path its canonicalizer cannot take (`%00`): 400, details path_normalization_failed.
    if (path === undefined) return localReply(400, "", "-", "path_normalization_failed");
    record(rc, "normalize", { mode: rc.live.mesh.pathNormalization, path });
    rc.path = path;
    if (rc.listener === "gateway") sanitizeEdgeHeaders(rc);
    // Envoy keeps a client's x-request-id on internal requests and generates one otherwise; at the
    // edge every client is external, so a fresh id is set unless a mesh member propagates one.
    const incoming = rc.headers.get("x-request-id");
    rc.requestId = rc.listener === "mesh" && incoming ? incoming : crypto.randomUUID();
    rc.traceparent = continueTrace(rc.headers.get("traceparent"));
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
function continueTrace(incoming: string | null): string {
  const m = TRACEPARENT.exec(incoming ?? "");
  crypto.getRandomValues(random);
  const trace = m && m[1] !== ZERO_TRACE ? m[1]! : hex(0, 16);
  return `00-${trace}-${hex(16, 24)}-${m ? m[3] : "00"}`;
}

