/**
 * `isthmus explain METHOD URL [-H K:V]`: asks the gateway which virtual host, route, policies and
 * destination would decide a request, and why (`POST {prefix}/explain`), without sending it anywhere.
 */
import { serverErrorLines } from "./admin-client.js";
import { EXIT, type Command } from "./command.js";
import { listFlag, stringFlag, UsageError } from "./flags.js";
import { toJson, toYaml } from "./resource-printer.js";

const METHOD = /^[A-Za-z]+$/;

/** `K:V` / `K: V` → [k, v]; header names are case-insensitive, so they are sent lower-case. */
export function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(":");
  if (colon <= 0) throw new UsageError(`invalid header ${JSON.stringify(text)}: use -H 'Name: value'`);
  return [text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim()];
}

/**
 * The absolute URL the gateway would see: `http://` is added when the scheme is missing, and a bare
 * path takes its authority from `-H Host:...`, as curl users write it.
 */
export function requestUrl(target: string, headers: Record<string, string>): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return target;
  if (target.startsWith("/")) {
    const host = headers["host"];
    if (!host) throw new UsageError(`${JSON.stringify(target)} has no host: give a full URL (http://bookinfo.local${target}) or -H 'Host: bookinfo.local'`);
    return `http://${host}${target}`;
  }
  return `http://${target}`;
}

interface ExplainAnswer {
  outcome?: string;
  status?: number;
  flags?: string;
  stage?: string;
  body?: string;
}

/** One line: `forward` or `<status> <flags> at <stage>: <body>`. */
export function verdict(a: ExplainAnswer | null): string {
  if (!a || a.outcome === "forward") return "forward";
  const flags = a.flags && a.flags !== "-" ? ` ${a.flags}` : "";
  return `${a.status ?? "?"}${flags} at ${a.stage ?? "?"}${a.body ? `: ${a.body}` : ""}`;
}

export const explainCommand: Command = {
  name: "explain",
  summary: "Show how the gateway would decide a request (route, policies, destination)",
  usage: "isthmus explain [METHOD] URL [-H 'Name: value' ...] [-o yaml|json]",
  description: `METHOD defaults to GET. URL may be a full URL, host/path, or a path with -H 'Host: ...'.
Nothing is sent upstream: the gateway reports the virtual host, the matching route, the policies
that apply and the destination it would pick, with the reasons.

Examples:
  isthmus explain GET http://bookinfo.local/productpage
  isthmus explain /reviews/0 -H 'Host: reviews' -H 'end-user: jason'`,
  flags: [
    { name: "header", short: "H", kind: "list", value: "'Name: value'", help: "A request header; repeatable" },
    { name: "output", short: "o", kind: "string", value: "FORMAT", choices: ["yaml", "json"], help: "yaml (readable) or json (as the server answers)", default: "yaml" },
  ],
  async run(ctx) {
    const args = ctx.positionals;
    let method = "GET";
    let target: string | undefined;
    if (args.length === 1) target = args[0];
    else if (args.length === 2 && METHOD.test(args[0]!)) [method, target] = [args[0]!.toUpperCase(), args[1]];
    if (!target) throw new UsageError("give the request to explain: isthmus explain [METHOD] URL");
    const headers: Record<string, string> = {};
    for (const h of listFlag(ctx.flags, "header")) {
      const [k, v] = parseHeader(h);
      headers[k] = headers[k] === undefined ? v : `${headers[k]},${v}`;
    }
    const url = requestUrl(target, headers);
    const client = await ctx.client();
    const res = await client.post("/explain", { method, url, headers });
    if (!res.ok) {
      for (const line of serverErrorLines(res)) ctx.err(line);
      return EXIT.error;
    }
    if (stringFlag(ctx.flags, "output") === "json") ctx.io.stdout(toJson(res.body));
    else {
      // The verdict first (`outcome: forward`, `403 RBAC (rbac)`), then the stage-by-stage detail.
      ctx.io.stdout(`outcome: ${verdict(res.body as ExplainAnswer)}\n` + toYaml(res.body));
    }
    return EXIT.ok;
  },
};
