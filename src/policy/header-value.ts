/**
 * Header op values as Envoy reads them. Istio passes `headers.*.set|add` values to Envoy verbatim and
 * Envoy treats them as substitution formats: `%%` is a literal `%`, and `%NAME%` / `%NAME(arg)%` /
 * `%NAME(arg):N%` are replaced per request (admission already refuses a lone `%`). Isthmus supports
 * a small set of commands; any other command evaluates to the empty string (so the op is skipped, as
 * Envoy skips empty values) and is listed in `unsupported` for explain and warnings.
 *
 * | command | value |
 * | --- | --- |
 * | `%REQ(name)%`, `%REQ(name?alt)%`, `:N` truncation | request header (`:authority`, `:path`, `:method`, `:scheme` too) |
 * | `%RESP(name)%`, `%RESP(name?alt)%` | response header (response ops only) |
 * | `%DOWNSTREAM_REMOTE_ADDRESS%`, `%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%` | client IP (Workers gives no client port) |
 * | `%PROTOCOL%` | `HTTP/1.1`, `HTTP/2`, `HTTP/3` |
 * | `%START_TIME%` (no format argument) | request start, `2024-01-02T03:04:05.678Z` |
 * | `%ROUTE_NAME%` | the route's name |
 *
 * Parsing happens once per snapshot (src/config/header-value-syntax.ts); per request only the parts are joined.
 */
import type { ValueCommand, ValueTemplate } from "../config/header-value-syntax.js";

export type { ValueCommand, ValuePart, ValueTemplate } from "../config/header-value-syntax.js";


/** What the commands may read. Everything is optional; missing data evaluates to "". */
export interface HeaderValueContext {
  /** Client IP (Workers: `cf-connecting-ip`), or the caller's address on the mesh listener. */
  downstreamRemoteAddress?: string;
  /** `HTTP/1.1`, `HTTP/2`, `HTTP/3` (Workers: `request.cf.httpProtocol`). */
  protocol?: string;
  /** Request start, epoch ms. */
  startTime?: number;
  routeName?: string;
  /** Request pseudo-headers for `%REQ(:authority)%` and friends. */
  authority?: string;
  path?: string;
  method?: string;
  scheme?: string;
  /** The request headers, for `%REQ()%` in response ops. */
  requestHeaders?: Headers;
}

/**
 * The value for this request. `own` are the headers the op edits (request headers for request ops,
 * response headers for response ops), read before any edit of the current stage.
 */
export function formatHeaderValue(t: ValueTemplate, side: "request" | "response", own: Headers, ctx: HeaderValueContext): string {
  if (t.literal !== undefined) return t.literal;
  let out = "";
  for (const p of t.parts!) out += typeof p === "string" ? p : evaluate(p, side, own, ctx);
  return out;
}

function evaluate(c: ValueCommand, side: "request" | "response", own: Headers, ctx: HeaderValueContext): string {
  let v: string;
  switch (c.command) {
    case "REQ":
      v = firstHeader(c.headers, side === "request" ? own : ctx.requestHeaders, ctx);
      break;
    case "RESP":
      v = side === "response" ? firstHeader(c.headers, own, undefined) : "";
      break;
    case "DOWNSTREAM_REMOTE_ADDRESS":
    case "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT":
      v = c.arg === undefined ? (ctx.downstreamRemoteAddress ?? "") : "";
      break;
    case "PROTOCOL":
      v = c.arg === undefined ? (ctx.protocol ?? "") : "";
      break;
    case "START_TIME":
      v = c.arg === undefined && ctx.startTime !== undefined ? new Date(ctx.startTime).toISOString() : "";
      break;
    case "ROUTE_NAME":
      v = c.arg === undefined ? (ctx.routeName ?? "") : "";
      break;
    default:
      v = "";
  }
  return c.maxLength !== undefined ? v.slice(0, c.maxLength) : v;
}

/** `REQ(a?b)`: the first of the named headers that is present. */
function firstHeader(names: string[] | undefined, headers: Headers | undefined, pseudo: HeaderValueContext | undefined): string {
  for (const name of names ?? []) {
    let v: string | null | undefined;
    if (name.startsWith(":")) {
      if (!pseudo) continue;
      if (name === ":authority") v = pseudo.authority ?? headers?.get("host");
      else if (name === ":path") v = pseudo.path;
      else if (name === ":method") v = pseudo.method;
      else if (name === ":scheme") v = pseudo.scheme;
    } else v = headers?.get(name);
    if (v !== null && v !== undefined) return v;
  }
  return "";
}
