/**
 * The filter interface (Envoy's decodeHeaders, reduced): a filter either continues (returns
 * undefined) or stops the chain with an answer — a local reply, or a Response (the router's upstream
 * answer, or a reply that needs what a LocalReply cannot carry, such as a streamed body).
 */
import type { LocalReply } from "../../policy/local-reply.js";
import type { RequestContext } from "./request-context.js";

/** undefined: continue. A LocalReply or a Response: stop and answer. */
export type FilterResult = LocalReply | Response | undefined;

export interface RequestFilter {
  /** Stage name as in DESIGN §2, shown by explain and in traces. */
  readonly name: string;
  onRequest(rc: RequestContext): FilterResult | Promise<FilterResult>;
}
