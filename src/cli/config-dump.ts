/**
 * `isthmus config-dump`: the compiled snapshot the gateway serves (virtual hosts, routes, clusters,
 * policies), as `istioctl proxy-config all -o json` shows Envoy's.
 */
import { serverErrorLines } from "./admin-client.js";
import { EXIT, type Command } from "./command.js";
import { stringFlag } from "./flags.js";
import { toJson, toYaml } from "./resource-printer.js";

export const configDumpCommand: Command = {
  name: "config-dump",
  aliases: ["dump"],
  summary: "Print the compiled snapshot the gateway serves",
  usage: "isthmus config-dump [-o json|yaml]",
  flags: [
    { name: "output", short: "o", kind: "string", value: "FORMAT", choices: ["json", "yaml"], help: "Output format", default: "json" },
  ],
  async run(ctx) {
    const client = await ctx.client();
    const res = await client.get("/config_dump");
    if (!res.ok) {
      for (const line of serverErrorLines(res)) ctx.err(line);
      return EXIT.error;
    }
    ctx.io.stdout(stringFlag(ctx.flags, "output") === "yaml" ? toYaml(res.body) : toJson(res.body ?? res.text));
    return EXIT.ok;
  },
};
