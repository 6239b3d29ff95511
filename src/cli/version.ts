/**
 * `isthmus version`: the CLI's own version, then the config version the gateway serves
 * (`GET {prefix}/version`), which an apply's answer can be compared with.
 */
import pkg from "../../package.json";
import { serverErrorLines } from "./admin-client.js";
import { EXIT, type Command } from "./command.js";
import { boolFlag, stringFlag } from "./flags.js";
import { toJson, toYaml } from "./resource-printer.js";

export const CLI_VERSION: string = pkg.version;

export const versionCommand: Command = {
  name: "version",
  summary: "Print the client version and the server's config version",
  usage: "isthmus version [--client] [-o json|yaml]",
  flags: [
    { name: "client", kind: "boolean", help: "Only the client version (no server call)" },
    { name: "output", short: "o", kind: "string", value: "FORMAT", choices: ["json", "yaml"], help: "Output format" },
  ],
  async run(ctx) {
    const format = stringFlag(ctx.flags, "output");
    const print = (value: Record<string, unknown>) => ctx.io.stdout(format === "json" ? toJson(value) : toYaml(value));
    if (boolFlag(ctx.flags, "client")) {
      if (format) print({ clientVersion: CLI_VERSION });
      else ctx.out(`client version: ${CLI_VERSION}`);
      return EXIT.ok;
    }
    if (!format) ctx.out(`client version: ${CLI_VERSION}`);
    const client = await ctx.client();
    const res = await client.get("/version");
    if (!res.ok) {
      for (const line of serverErrorLines(res)) ctx.err(line);
      return EXIT.error;
    }
    const server = (res.body ?? {}) as Record<string, unknown>;
    if (format) {
      print({ clientVersion: CLI_VERSION, server: { url: client.target.server, ...server } });
      return EXIT.ok;
    }
    ctx.out(`server: ${client.target.server}`);
    ctx.out(`config version: ${String(server.version ?? "unknown")}`);
    for (const [k, v] of Object.entries(server)) if (k !== "version") ctx.out(`${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
    return EXIT.ok;
  },
};
