/**
 * The syntax of Envoy header values with `%COMMAND(args)%` substitutions, shared by validation
 * (src/config/schemas) and evaluation (src/policy/header-value.ts) so the two never disagree.
 */

/** Index of the `%` closing a command that starts at `from`, skipping parentheses and quoted strings; -1 if none. */
export function commandEnd(value: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let j = from; j < value.length; j++) {
    const c = value[j];
    if (inString) {
      if (c === "\\") j++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"' && depth > 0) inString = true;
    else if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (c === "%" && depth === 0) return j;
  }
  return -1;
}

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

