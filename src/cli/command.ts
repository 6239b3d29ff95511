/**
 * What every `isthmus` command is given and returns. The core is web-standard (Request/Response,
 * strings): everything that touches the machine — network, files, stdin, the terminal, the environment
 * — comes in through `CliIO`, so the same code runs under Node (src/cli/node-main.ts) and in workerd tests.
 */
import type { AdminClient } from "./admin-client.js";
import type { FlagSpec, FlagValues } from "./flags.js";

/** One input read by `-f`/`analyze`: a file's text and the name to show in messages. */
export interface InputFile {
  file: string;
  text: string;
}

export interface ReadInputsOptions {
  /** Walk folders recursively (`-R`); otherwise only a folder's own files. */
  recursive?: boolean;
}

export interface CliIO {
  /** Sends a request to the admin API (Node: global fetch; tests: the gateway Worker). */
  fetch(req: Request): Promise<Response>;
  /** Writes text as is (commands end their lines with `\n`). */
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * Reads `FILE`, `DIR` (its `*.yaml`, `*.yml` and `*.json` files, sorted by name; subfolders only when
   * recursive) or `-` (stdin, named `<stdin>`). Rejects with a readable Error when a path does not exist.
   */
  readInputs(paths: string[], opts?: ReadInputsOptions): Promise<InputFile[]>;
  /** ISTHMUS_SERVER, ISTHMUS_TOKEN, ISTHMUS_ADMIN_PREFIX, ISTHMUS_GATEWAY_LABELS, ISTHMUS_GATEWAY_NAMESPACE. */
  env: Record<string, string | undefined>;
  /** The local mesh's dev admin token (`.isthmus/dev-token` here or in a parent folder, written by `npm start`), if there is one. */
  devToken?(): Promise<string | undefined>;
  /** Clock for AGE columns; defaults to Date.now. */
  now?(): number;
}

/** Exit codes (istioctl's: 64 usage, 65 unparseable input, 79 analyzers found issues). */
export const EXIT = { ok: 0, error: 1, usage: 64, dataError: 65, analyzerIssues: 79 } as const;

/** An error that ends the command with a message on stderr (printed as is) and an exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.error) {
    super(message);
  }
}

export interface CommandContext {
  io: CliIO;
  flags: FlagValues;
  positionals: string[];
  /** The admin API client, built from the global flags on first use. */
  client(): Promise<AdminClient>;
  out(line: string): void;
  err(line: string): void;
  now(): number;
}

export interface Command {
  name: string;
  /** Other names the command answers to. */
  aliases?: readonly string[];
  /** One line for the command list. */
  summary: string;
  /** `isthmus apply -f FILE|DIR|- [flags]` */
  usage: string;
  /** Longer help and examples, printed after the usage line. */
  description?: string;
  flags: readonly FlagSpec[];
  run(ctx: CommandContext): Promise<number>;
}
