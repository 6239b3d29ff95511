/**
 * The `isthmus` command line, web-standard: `runCli(argv, io)` parses, runs one command and returns
 * its exit code. It imports nothing from Node — src/cli/node-main.ts supplies files, network and the
 * terminal through `CliIO` — so tests run it inside workerd against the real gateway Worker.
 *
 * @example
 *   const code = await runCli(["get", "vs", "-A"], io);
 */
import { parseDuration } from "../config/duration.js";
import { AdminClient, DEFAULT_PREFIX, DEFAULT_SERVER, type TokenSource } from "./admin-client.js";
import { analyzeCommand } from "./analyze.js";
import { applyCommand, deleteCommand } from "./apply.js";
import { CliError, EXIT, type CliIO, type Command, type CommandContext } from "./command.js";
import { configDumpCommand } from "./config-dump.js";
import { explainCommand } from "./explain.js";
import { boolFlag, flagHelp, parseArgs, stringFlag, UsageError, type FlagSpec, type FlagValues } from "./flags.js";
import { getCommand } from "./get.js";
import { historyCommand, rollbackCommand } from "./history.js";
import { injectCommand } from "./inject.js";
import { verifyInstallCommand } from "./verify-install.js";
import { versionCommand } from "./version.js";

export type { CliIO, InputFile, ReadInputsOptions } from "./command.js";
export { EXIT } from "./command.js";

export const COMMANDS: readonly Command[] = [
  applyCommand,
  deleteCommand,
  getCommand,
  analyzeCommand,
  explainCommand,
  configDumpCommand,
  historyCommand,
  rollbackCommand,
  injectCommand,
  verifyInstallCommand,
  versionCommand,
];

const DEFAULT_REQUEST_TIMEOUT = "60s";

/** Flags every command takes. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: "server", kind: "string", value: "URL", help: `Gateway URL (env ISTHMUS_SERVER; default ${DEFAULT_SERVER}, the local mesh)` },
  { name: "token", kind: "string", value: "TOKEN", help: "Admin token (env ISTHMUS_TOKEN; default: .isthmus/dev-token, written by `npm start`, here or in a parent folder)" },
  { name: "prefix", kind: "string", value: "PATH", help: `Admin API prefix (env ISTHMUS_ADMIN_PREFIX; default ${DEFAULT_PREFIX})` },
  { name: "request-timeout", kind: "string", value: "DURATION", help: "Give up on a server call after this long (0: never)", default: DEFAULT_REQUEST_TIMEOUT },
  { name: "help", short: "h", kind: "boolean", help: "Help for the command" },
];

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}

/**
 * The index of the command word: the first positional, skipping flags and their values, so that
 * `isthmus -n prod get vs` works as with kubectl (the command's own parse then checks the flags).
 */
function commandIndex(argv: readonly string[]): number {
  const valued = [...GLOBAL_FLAGS, ...COMMANDS.flatMap((c) => c.flags)].filter((f) => f.kind !== "boolean" && f.bare === undefined);
  const takesValue = new Set(valued.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return i + 1 < argv.length ? i + 1 : -1;
    if (a.startsWith("-") && a !== "-") {
      if (takesValue.has(a)) i++;
      continue;
    }
    return i;
  }
  return -1;
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `isthmus controls an Isthmus gateway: Istio configuration served by Cloudflare Workers.

Usage:
  isthmus COMMAND [flags]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`).join("\n")}

Global flags:
${flagHelp(GLOBAL_FLAGS)}

Run 'isthmus COMMAND --help' for a command's flags and examples.
`;
}

export function commandHelp(cmd: Command): string {
  return `${cmd.summary}.

Usage:
  ${cmd.usage}
${cmd.description ? `\n${cmd.description}\n` : ""}
Flags:
${flagHelp(cmd.flags)}

Global flags:
${flagHelp(GLOBAL_FLAGS)}
`;
}

/** `--server` / ISTHMUS_SERVER as a base URL: `http://` added when missing, no trailing slash. */
export function normalizeServer(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`invalid --server ${JSON.stringify(text)}: expected a URL like ${DEFAULT_SERVER}`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

/** `--prefix` / ISTHMUS_ADMIN_PREFIX as `/_mesh`: one leading slash, none trailing. */
export function normalizePrefix(text: string): string {
  const trimmed = text.replace(/^\/+|\/+$/g, "");
  return trimmed ? `/${trimmed}` : "";
}

const nonEmpty = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);

async function makeClient(flags: FlagValues, io: CliIO): Promise<AdminClient> {
  const server = normalizeServer(stringFlag(flags, "server") ?? nonEmpty(io.env.ISTHMUS_SERVER) ?? DEFAULT_SERVER);
  const prefix = normalizePrefix(stringFlag(flags, "prefix") ?? nonEmpty(io.env.ISTHMUS_ADMIN_PREFIX) ?? DEFAULT_PREFIX);
  let token = stringFlag(flags, "token");
  let tokenSource: TokenSource = "--token";
  if (token === undefined && nonEmpty(io.env.ISTHMUS_TOKEN)) {
    token = io.env.ISTHMUS_TOKEN;
    tokenSource = "ISTHMUS_TOKEN";
  }
  if (token === undefined) {
    token = nonEmpty((await io.devToken?.())?.trim());
    tokenSource = token === undefined ? "none" : ".isthmus/dev-token";
  }
  const timeoutText = stringFlag(flags, "request-timeout") ?? DEFAULT_REQUEST_TIMEOUT;
  const timeoutMs = timeoutText === "0" ? 0 : parseDuration(timeoutText);
  if (timeoutMs === undefined) throw new UsageError(`invalid --request-timeout ${JSON.stringify(timeoutText)}: a duration like 30s or 2m, or 0`);
  return new AdminClient((req) => io.fetch(req), { server, prefix, token, tokenSource, timeoutMs });
}

/** Runs `isthmus ARGV...` and returns the exit code (0 ok, 1 error, 64 usage; analyze: 65, 79). */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const line = (write: (t: string) => void) => (text: string) => write(`${text}\n`);
  let cmd: Command | undefined;
  try {
    const at = commandIndex(argv);
    const word = at < 0 ? undefined : argv[at]!;
    const rest = at < 0 ? [...argv] : [...argv.slice(0, at), ...argv.slice(at + 1)];
    if (word === undefined || word === "help") {
      const topic = word === "help" ? rest.find((a) => !a.startsWith("-")) : undefined;
      const target = topic === undefined ? undefined : findCommand(topic);
      if (topic !== undefined && !target) throw new UsageError(`unknown command ${JSON.stringify(topic)} for "isthmus"`);
      io.stdout(target ? commandHelp(target) : mainHelp());
      return EXIT.ok;
    }
    cmd = findCommand(word);
    if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(word)} for "isthmus"`);
    const { flags, positionals } = parseArgs(rest, [...GLOBAL_FLAGS, ...cmd.flags]);
    if (boolFlag(flags, "help")) {
      io.stdout(commandHelp(cmd));
      return EXIT.ok;
    }
    let client: Promise<AdminClient> | undefined;
    const ctx: CommandContext = {
      io,
      flags,
      positionals,
      client: () => (client ??= makeClient(flags, io)),
      out: line(io.stdout),
      err: line(io.stderr),
      now: () => io.now?.() ?? Date.now(),
    };
    return await cmd.run(ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`error: ${e.message}\nSee 'isthmus ${cmd ? `${cmd.name} ` : ""}--help'.\n`);
      return EXIT.usage;
    }
    if (e instanceof CliError) {
      io.stderr(`${e.message}\n`);
      return e.exitCode;
    }
    io.stderr(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.error;
  }
}
