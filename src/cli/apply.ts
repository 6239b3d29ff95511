/**
 * `isthmus apply -f` and `isthmus delete -f|KIND NAME`: kubectl's verbs against the admin API.
 *
 * The inputs are loaded and validated here first, with the same code the server runs, so a mistake is
 * reported as `file:line` before anything is sent; then all documents go in one JSON array, so the server
 * stores all of them or none (DESIGN §4). What the server answers about a resource is pointed back at
 * the file and line it came from.
 */
import { formatMessage, type AnalyzerMessage } from "../config/errors.js";
import { kindByName, kindInfo, type KindInfo } from "../config/resource.js";
import { validateDocuments } from "../config/validate.js";
import type { ApplyResultRow } from "../config/store-api.js";
import { describeConfigError, resourcePath, serverErrorLines, type AdminResponse } from "./admin-client.js";
import { CliError, EXIT, type Command, type CommandContext } from "./command.js";
import { boolFlag, listFlag, stringFlag, UsageError, type FlagSpec } from "./flags.js";
import { loadInputs, parseErrorLines, sourceLocator, withNamespace } from "./inputs.js";
import { notFoundMessage, quotedName, resourceName, toJson, toYaml } from "./resource-printer.js";

/** The 200 body of apply, delete and rollback. */
export interface ApplyResponse {
  version: number;
  results: ApplyResultRow[];
  warnings?: AnalyzerMessage[];
}

const FILE_FLAGS: readonly FlagSpec[] = [
  { name: "filename", short: "f", kind: "list", value: "FILE|DIR|-", help: "A file, a folder (its *.yaml, *.yml, *.json), or - for stdin; repeatable" },
  { name: "recursive", short: "R", kind: "boolean", help: "Also read the subfolders of folders given with -f" },
  { name: "namespace", short: "n", kind: "string", value: "NS", help: "Namespace for resources that name none (default: default)" },
  { name: "dry-run", kind: "string", value: "server|none", bare: "server", choices: ["server", "none", "true", "false"], help: "Validate and analyze on the server, store nothing" },
  { name: "output", short: "o", kind: "string", value: "FORMAT", choices: ["json", "yaml"], help: "json or yaml: print the server's answer as is" },
];

function dryRunOf(ctx: CommandContext): boolean {
  const v = stringFlag(ctx.flags, "dry-run");
  return v === "server" || v === "true";
}

/** Loads `-f` inputs, applies `-n`, and validates; prints what is wrong and returns undefined when something is. */
async function admitInputs(ctx: CommandContext, verb: string) {
  const paths = listFlag(ctx.flags, "filename");
  if (paths.length === 0) throw new UsageError(`must specify -f FILE|DIR|- with the resources to ${verb}`);
  const inputs = await loadInputs(ctx.io, paths, { recursive: boolFlag(ctx.flags, "recursive") });
  if (inputs.parseErrors.length) {
    for (const line of parseErrorLines(inputs.parseErrors)) ctx.err(line);
    return undefined;
  }
  const namespace = stringFlag(ctx.flags, "namespace");
  const docs = withNamespace(inputs.documents, namespace);
  if (docs.length === 0) throw new CliError(`error: no objects passed to ${verb}`);
  const validated = validateDocuments(docs, { defaultNamespace: namespace });
  // Deleting needs only each resource's identity: a file with an outdated spec must still delete
  // (the server applies the same rule).
  const errors = verb === "delete" ? validated.errors.filter((e) => !e.path.startsWith("spec")) : validated.errors;
  if (errors.length) {
    for (const e of errors) ctx.err(`error: ${describeConfigError(e)}`);
    ctx.err(`error: nothing was sent: fix the ${errors.length === 1 ? "error" : `${errors.length} errors`} above and run ${verb} again`);
    return undefined;
  }
  return docs;
}

function infoOf(kind: string): KindInfo {
  return kindInfo(kind) ?? { kind: kind as KindInfo["kind"], group: "unknown", versions: ["v1"], plural: `${kind.toLowerCase()}s`, aliases: [] };
}

export function applyResponseOf(res: AdminResponse): ApplyResponse {
  const b = res.body as Partial<ApplyResponse> | undefined;
  if (!b || typeof b !== "object" || !Array.isArray(b.results)) {
    throw new CliError(`error: unexpected answer from ${res.url}: ${res.text.slice(0, 200)}`);
  }
  return { version: Number(b.version), results: b.results, warnings: Array.isArray(b.warnings) ? b.warnings : [] };
}

/** Prints `-o json|yaml` and reports whether it did. */
function printRaw(ctx: CommandContext, body: unknown): boolean {
  const output = stringFlag(ctx.flags, "output");
  if (output === "json") ctx.io.stdout(toJson(body));
  else if (output === "yaml") ctx.io.stdout(toYaml(body));
  else return false;
  return true;
}

/**
 * Prints apply/rollback results the kubectl way (`virtualservice.networking.istio.io/reviews created`)
 * and the analyzer warnings in istioctl's form on stderr.
 */
export function printApplyResults(
  ctx: CommandContext,
  body: ApplyResponse,
  opts: { dryRun: boolean; locate?: (m: AnalyzerMessage) => AnalyzerMessage },
): void {
  const suffix = opts.dryRun ? " (server dry run)" : "";
  for (const row of body.results) {
    const info = infoOf(row.kind);
    if (row.action === "deleted") ctx.out(`${quotedName(info, row.name)} deleted${suffix}`);
    else if (row.action === "notfound") ctx.err(`Error from server (NotFound): ${notFoundMessage(info, row.name)}`);
    else ctx.out(`${resourceName(info, row.name)} ${row.action}${suffix}`);
  }
  const locate = opts.locate ?? ((m) => m);
  for (const w of body.warnings ?? []) ctx.err(formatMessage(locate(w)));
}

export const applyCommand: Command = {
  name: "apply",
  summary: "Apply configuration from files, folders or stdin (all or nothing)",
  usage: "isthmus apply -f FILE|DIR|- [-f ...] [-R] [-n NS] [--dry-run] [-o json|yaml]",
  description: `Validates every document locally (errors name file:line, kind, namespace, name and field path),
then sends them all in one request: the gateway stores all of them or none. Analyzer findings
(IST codes) never block an apply; they are printed as warnings on stderr.

Examples:
  isthmus apply -f examples/bookinfo/
  isthmus apply -f route.yaml --dry-run
  cat route.yaml | isthmus apply -f -`,
  flags: FILE_FLAGS,
  async run(ctx) {
    const docs = await admitInputs(ctx, "apply");
    if (!docs) return EXIT.error;
    const dryRun = dryRunOf(ctx);
    const client = await ctx.client();
    const res = await client.post(`/apply${dryRun ? "?dryRun=true" : ""}`, docs.map((d) => d.raw));
    const locate = sourceLocator(docs);
    if (!res.ok) {
      for (const line of serverErrorLines(res, locate)) ctx.err(line);
      return EXIT.error;
    }
    const body = applyResponseOf(res);
    if (printRaw(ctx, res.body)) return EXIT.ok;
    printApplyResults(ctx, body, { dryRun, locate });
    return EXIT.ok;
  },
};

const DELETE_FLAGS: readonly FlagSpec[] = [
  ...FILE_FLAGS,
  { name: "ignore-not-found", kind: "boolean", help: "Treat resources that do not exist as deleted (exit 0)" },
];

export const deleteCommand: Command = {
  name: "delete",
  summary: "Delete the resources named in files, or KIND NAME...",
  usage: "isthmus delete -f FILE|DIR|- [-R] [-n NS] [--dry-run] [--ignore-not-found]\n       isthmus delete KIND NAME... [-n NS] [--ignore-not-found]",
  description: `With -f, deletes every resource the inputs name (the same inputs apply takes), in one request.
With KIND NAME..., deletes those resources of one kind (KIND as for get: vs, virtualservice, ...).
A resource that does not exist is an error (exit 1) unless --ignore-not-found.

Examples:
  isthmus delete -f route.yaml
  isthmus delete vs reviews -n default`,
  flags: DELETE_FLAGS,
  async run(ctx) {
    const ignoreNotFound = boolFlag(ctx.flags, "ignore-not-found");
    if (listFlag(ctx.flags, "filename").length === 0 && ctx.positionals.length > 0) return deleteByName(ctx, ignoreNotFound);
    if (ctx.positionals.length > 0) throw new UsageError("give either -f or KIND NAME..., not both");
    const docs = await admitInputs(ctx, "delete");
    if (!docs) return EXIT.error;
    const dryRun = dryRunOf(ctx);
    const client = await ctx.client();
    const res = await client.post(`/delete${dryRun ? "?dryRun=true" : ""}`, docs.map((d) => d.raw));
    const locate = sourceLocator(docs);
    if (!res.ok) {
      for (const line of serverErrorLines(res, locate)) ctx.err(line);
      return EXIT.error;
    }
    const body = applyResponseOf(res);
    if (printRaw(ctx, res.body)) return EXIT.ok;
    const shown = ignoreNotFound ? { ...body, results: body.results.filter((r) => r.action !== "notfound") } : body;
    printApplyResults(ctx, shown, { dryRun, locate });
    return shown.results.some((r) => r.action === "notfound") ? EXIT.error : EXIT.ok;
  },
};

/** `delete KIND NAME...`: one DELETE per name. */
async function deleteByName(ctx: CommandContext, ignoreNotFound: boolean): Promise<number> {
  const [kindName, ...names] = ctx.positionals;
  const info = kindByName(kindName!);
  if (!info) throw new UsageError(`the server doesn't have a resource type ${JSON.stringify(kindName)}`);
  if (names.length === 0) throw new UsageError(`name the ${info.kind} to delete: isthmus delete ${kindName} NAME`);
  const namespace = stringFlag(ctx.flags, "namespace") ?? "default";
  const dryRun = dryRunOf(ctx);
  const client = await ctx.client();
  let code: number = EXIT.ok;
  for (const name of names) {
    const path = resourcePath(info, namespace, name);
    const res = await client.request("DELETE", `${path}${dryRun ? "?dryRun=true" : ""}`);
    if (res.status === 404) {
      if (!ignoreNotFound) {
        ctx.err(`Error from server (NotFound): ${notFoundMessage(info, name)}`);
        code = EXIT.error;
      }
      continue;
    }
    if (!res.ok) {
      for (const line of serverErrorLines(res)) ctx.err(line);
      code = EXIT.error;
      continue;
    }
    ctx.out(`${quotedName(info, name)} deleted${dryRun ? " (server dry run)" : ""}`);
  }
  return code;
}
