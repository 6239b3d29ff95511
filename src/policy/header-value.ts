import { commandEnd } from "../config/header-value-syntax.js";
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
 * Parsing happens once per snapshot (header-ops compile); per request only the parts are joined.
 */

export type ValuePart = string | ValueCommand;

export interface ValueCommand {
  command: string;
  /** `REQ(x-a?x-b)` → ["x-a", "x-b"]; lower-cased header names. */
  headers?: string[];
  /** Raw argument of another command (`START_TIME(%s)`), which makes it unsupported. */
  arg?: string;
  /** `:N` suffix: keep at most N characters. */
  maxLength?: number;
}

/** A parsed value: all literal (the common case, no work per request) or literal and command parts. */
export interface ValueTemplate {
  literal?: string;
  parts?: ValuePart[];
}

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

const SUPPORTED = new Set([
  "REQ", "RESP", "DOWNSTREAM_REMOTE_ADDRESS", "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT", "PROTOCOL", "START_TIME", "ROUTE_NAME",
]);

/**
 * Splits `value` into literal text and commands. `unsupported` receives the names of commands this
 * module does not evaluate.
 *
 * @example parseHeaderValue("ip=%DOWNSTREAM_REMOTE_ADDRESS% 100%%").parts
 *          // ["ip=", { command: "DOWNSTREAM_REMOTE_ADDRESS" }, " 100%"]
 */
export function parseHeaderValue(value: string, unsupported?: string[]): ValueTemplate {
  if (!value.includes("%")) return { literal: value };
  const parts: ValuePart[] = [];
  let lit = "";
  let i = 0;
  while (i < value.length) {
    const ch = value[i]!;
    if (ch !== "%") {
      lit += ch;
      i++;
      continue;
    }
    if (value[i + 1] === "%") {
      lit += "%";
      i += 2;
      continue;
    }
    const end = commandEnd(value, i + 1);
    if (end < 0) {
      // Un-terminated (admission refuses it): keep the rest literally rather than fail a request.
      lit += value.slice(i);
      break;
    }
    if (lit) parts.push(lit);
    lit = "";
    const cmd = parseCommand(value.slice(i + 1, end));
    const headerCommand = cmd.command === "REQ" || cmd.command === "RESP";
    if (!SUPPORTED.has(cmd.command) || (headerCommand ? !cmd.headers?.[0] : cmd.arg !== undefined)) unsupported?.push(cmd.command);
    parts.push(cmd);
    i = end + 1;
  }
  if (lit) parts.push(lit);
  if (parts.every((p) => typeof p === "string")) return { literal: parts.join("") };
  return { parts };
}


function parseCommand(text: string): ValueCommand {
  const open = text.indexOf("(");
  if (open < 0) return { command: text.trim() };
  const close = text.lastIndexOf(")");
  const command = text.slice(0, open).trim();
  const arg = text.slice(open + 1, close < open ? text.length : close);
  const out: ValueCommand = { command };
  const rest = close < open ? "" : text.slice(close + 1);
  const m = /^:(\d+)$/.exec(rest.trim());
  if (m) out.maxLength = Number(m[1]);
  if (command === "REQ" || command === "RESP") out.headers = arg.split("?").map((h) => h.trim().toLowerCase());
  else out.arg = arg;
  return out;
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
