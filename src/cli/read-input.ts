/** The text of one file named on the command line; a CliError naming it when it cannot be read. */
import { CliError } from "./errors.js";
import type { CommandContext } from "./command.js";

export async function readInputText(ctx: CommandContext, path: string): Promise<string> {
  try {
    const [input] = await ctx.io.readInputs([path]);
    if (!input) throw new Error(`the path ${JSON.stringify(path)} is not a file`);
    return input.text;
  } catch (e) {
    throw new CliError(`error: ${e instanceof Error ? e.message : String(e)}`);
  }
}
