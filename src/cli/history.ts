/**
 * `isthmus history` and `isthmus rollback VERSION`: the ConfigStore keeps the last 50 versions; a
 * rollback makes a new version holding the resources of an old one (DESIGN §4, issue 2 item 4).
 */
import { printListing } from "./listing.js";
import type { HistoryEntry } from "../config/store-api.js";
import { serverErrorLines } from "./admin-client.js";
import { applyResponseOf, printApplyResults } from "./apply.js";
import { EXIT, type Command } from "./command.js";
import { stringFlag, UsageError } from "./flags.js";
import { toJson, toYaml } from "./resource-printer.js";
import { renderTable } from "./table.js";

/** `2026-11-26T19:41:07.123Z` → `2026-11-26T19:41:07Z`: seconds are enough to tell versions apart. */
function shortTime(iso: unknown): string {
  if (typeof iso !== "string") return "-";
  return iso.replace(/\.\d+Z$/, "Z");
}

export const historyCommand: Command = {
  name: "history",
  summary: "List the stored config versions (the last 50)",
  usage: "isthmus history [-o table|yaml|json]",
  description: `Columns: VERSION, CREATED (UTC), CAUSE (apply, delete, put, rollback to N) and RESOURCES
(how many resources that version holds). Any listed version can be restored with rollback.`,
  flags: [
    { name: "output", short: "o", kind: "string", value: "FORMAT", choices: ["table", "yaml", "json"], help: "Output format", default: "table" },
  ],
  run: (ctx) =>
    printListing(ctx, "/history", (body) => {
      const items = historyItems(body);
      if (items.length === 0) {
        ctx.err("No config versions yet: apply something first.");
        return EXIT.ok;
      }
      const rows = items.map((h) => [String(h.version), shortTime(h.createdAt), String(h.cause ?? "-"), String(h.resources ?? "-")]);
      ctx.io.stdout(renderTable(["VERSION", "CREATED", "CAUSE", "RESOURCES"], rows));
      return EXIT.ok;
    }),
};

/** The history entries of a `/history` answer, oldest first; entries without a numeric version are skipped. */
function historyItems(body: unknown): HistoryEntry[] {
  const items = (body as { items?: unknown } | null | undefined)?.items;
  if (!Array.isArray(items)) return [];
  return (items as Partial<HistoryEntry>[])
    .filter((h): h is HistoryEntry => typeof h?.version === "number")
    .sort((a, b) => a.version - b.version);
}

export const rollbackCommand: Command = {
  name: "rollback",
  summary: "Make a new config version with the resources of an earlier one",
  usage: "isthmus rollback VERSION [-o json|yaml]",
  description: `VERSION is one of the versions \`isthmus history\` lists. Nothing is rewritten: the rollback is a
new version (with cause "rollback to VERSION"), so it can itself be rolled back.

Example:
  isthmus history
  isthmus rollback 3`,
  flags: [
    { name: "output", short: "o", kind: "string", value: "FORMAT", choices: ["json", "yaml"], help: "json or yaml: print the server's answer as is" },
  ],
  async run(ctx) {
    const [arg, ...extra] = ctx.positionals;
    if (arg === undefined || extra.length) throw new UsageError("give exactly one version: isthmus rollback VERSION");
    const version = Number(arg);
    if (!/^\d+$/.test(arg) || !Number.isSafeInteger(version) || version < 1) throw new UsageError(`invalid version ${JSON.stringify(arg)}: a positive integer from \`isthmus history\``);
    const client = await ctx.client();
    const res = await client.post("/rollback", { version });
    if (!res.ok) {
      for (const line of serverErrorLines(res)) ctx.err(line);
      return EXIT.error;
    }
    const format = stringFlag(ctx.flags, "output");
    if (format === "json" || format === "yaml") {
      ctx.io.stdout(format === "json" ? toJson(res.body) : toYaml(res.body));
      return EXIT.ok;
    }
    const body = applyResponseOf(res);
    printApplyResults(ctx, body, { dryRun: false });
    ctx.out(`rolled back to version ${version}: now at version ${body.version}`);
    return EXIT.ok;
  },
};
