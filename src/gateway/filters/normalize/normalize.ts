/**
 * Stage 1: path normalization (Istio's BASE by default; `pathNormalization.normalization` of the
 * MESH_CONFIG var selects NONE, MERGE_SLASHES or DECODE_AND_MERGE_SLASHES mesh-wide) and the request
 * id and trace context (W3C and B3, written onto each upstream request by its client span). The normalized path
 * is what routing, authorization and the upstream all see, as in Istio.
 */
import { localReply } from "../../../policy/local-reply.js";
import { normalizePath } from "../../../router/path-normalization.js";
import { sanitizeEdgeHeaders } from "./edge-headers.js";
import type { RequestFilter } from "../../chain/filter.js";
import { record } from "../../chain/request-context.js";
import { startRequestTrace } from "../../tracing/request-trace.js";

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
    // W3C or B3 context continued, or a new trace; sampled as the caller decided, else at random.
    rc.trace = startRequestTrace(rc.headers, rc.live.tracing, Math.random);
    return undefined;
  },
};
