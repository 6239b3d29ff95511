/**
 * The filter interface (Envoy's decodeHeaders, reduced): a request filter either continues
 * (returns undefined) or stops the chain with a local reply. The terminal filter answers.
 */
import type { LocalReply } from "../../policy/local-reply.js";
import type { RequestContext } from "./request-context.js";

/** undefined: continue. A LocalReply (or, when repeated headers are needed, a Response): stop and answer. */
export type FilterResult = LocalReply | Response | undefined;

export interface RequestFilter {
  /** Stage name as in DESIGN §2, shown by explain and in traces. */
  readonly name: string;
  onRequest(rc: RequestContext): FilterResult | Promise<FilterResult>;
}

export interface TerminalFilter {
  readonly name: string;
  handle(rc: RequestContext): Promise<Response>;
}
