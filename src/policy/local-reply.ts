/**
 * A response the gateway makes itself (Envoy's "local reply"): status, body and the response flag
 * that the access log and the `response_flags` metric label carry (DESIGN §2).
 */

/** Envoy response flags used by Isthmus. */
export type ResponseFlag =
  | "NR" // no route
  | "NC" // no cluster
  | "UH" // no healthy upstream
  | "UF" // upstream connection failure
  | "URX" // upstream retry limit exceeded
  | "UO" // upstream overflow (concurrency limit)
  | "UT" // upstream request timeout
  | "RL" // rate limited
  | "RLSE" // rate limit service (RateLimiter Durable Object) error, with failureModeDeny
  | "UAEX" // unauthorized by external authorization
  | "RBAC" // denied by AuthorizationPolicy (Envoy logs "rbac_access_denied_matched_policy[...]")
  | "FI" // fault injected abort
  | "DI" // fault injected delay
  | "DC" // downstream connection termination
  | "UC" // upstream connection termination
  | "-";

export interface LocalReply {
  status: number;
  body: string;
  flag: ResponseFlag;
  /**
   * Envoy's `%RESPONSE_CODE_DETAILS%`: why this reply was sent (`route_not_found`,
   * `rbac_access_denied_matched_policy[ns[default]-policy[deny]-rule[0]]`, `fault_filter_abort`, ...).
   */
  details: string;
  /** Single-valued headers. */
  headers?: Record<string, string>;
  /** Headers whose names may repeat (`set-cookie` from an external authorizer), after `headers`. */
  headerList?: readonly (readonly [string, string])[];
}

export function localReply(status: number, body: string, flag: ResponseFlag, details: string, headers?: Record<string, string>): LocalReply {
  return { status, body, flag, details, headers };
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

/** Statuses whose responses carry no body (fetch refuses to build one with a body). */
export function isNullBodyStatus(status: number): boolean {
  return NULL_BODY_STATUS.has(status);
}

export function toResponse(reply: LocalReply): Response {
  const headers = new Headers(reply.headers);
  if (reply.headerList) for (const [name, value] of reply.headerList) headers.append(name, value);
  // Envoy sets a content type only on local replies that have a body.
  if (reply.body && !headers.has("content-type")) headers.set("content-type", "text/plain");
  return new Response(isNullBodyStatus(reply.status) ? null : reply.body, { status: reply.status, headers });
}
