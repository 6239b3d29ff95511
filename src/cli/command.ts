/**
 * What every `isthmus` command is given and returns. The core is web-standard (Request/Response,
 * strings): everything that touches the machine — network, files, stdin, the terminal, the environment
 * — comes in through `CliIO`, so the same code runs under Node (src/cli/node-main.ts) and in workerd tests.
 */
import type { AdminClient } from "./admin-client.js";
import type { FlagSpec, FlagValues } from "./flags.js";
import type { CliIO } from "./io.js";

export type { CliIO, InputFile, ReadInputsOptions } from "./io.js";
export { CliError, EXIT } from "./errors.js";

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
