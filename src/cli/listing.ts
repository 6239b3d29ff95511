/**
 * The read-only listings (history, proxy-status): one admin GET, printed as `-o json`, `-o yaml`, or the
 * command's own table. Server errors go to stderr with exit code 1.
 */
import { serverErrorLines } from "./admin-client.js";
import { EXIT, type CommandContext } from "./command.js";
import { stringFlag } from "./flags.js";
import { toJson, toYaml } from "./resource-printer.js";

export async function printListing(ctx: CommandContext, path: string, table: (body: unknown) => number): Promise<number> {
  const client = await ctx.client();
  const res = await client.get(path);
  if (!res.ok) {
    for (const line of serverErrorLines(res)) ctx.err(line);
    return EXIT.error;
  }
  const format = stringFlag(ctx.flags, "output");
  if (format === "json") ctx.io.stdout(toJson(res.body));
  else if (format === "yaml") ctx.io.stdout(toYaml(res.body));
  else return table(res.body);
  return EXIT.ok;
}
