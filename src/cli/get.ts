/**
 * `isthmus get KIND [NAME...]`: kubectl's get against the admin API's Kubernetes-style paths
 * (`/apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}]`, or across namespaces with `-A`).
 */
import { DEFAULT_NAMESPACE, KINDS, kindByName, type Resource } from "../config/resource.js";
import { resourcePath, serverErrorLines } from "./admin-client.js";
import { CliError, EXIT, type Command } from "./command.js";
import { boolFlag, stringFlag, UsageError } from "./flags.js";
import { notFoundMessage, OUTPUT_FORMATS, printResources, type OutputFormat } from "./resource-printer.js";

const KIND_LIST = KINDS.map((k) => `  ${k.plural.padEnd(24)} ${[k.kind, ...k.aliases.filter((a) => a !== k.kind.toLowerCase())].join(", ")}`).join("\n");

export const getCommand: Command = {
  name: "get",
  summary: "List or show stored resources",
  usage: "isthmus get KIND[/NAME] [NAME...] [-n NS | -A] [-o table|yaml|json|name]",
  description: `KIND is a plural, singular or short name (case-insensitive):
${KIND_LIST}

Examples:
  isthmus get virtualservices
  isthmus get vs reviews -o yaml
  isthmus get dr -A`,
  flags: [
    { name: "namespace", short: "n", kind: "string", value: "NS", help: "Namespace to look in", default: DEFAULT_NAMESPACE },
    { name: "all-namespaces", short: "A", kind: "boolean", help: "List the resources of every namespace" },
    { name: "output", short: "o", kind: "string", value: "FORMAT", choices: OUTPUT_FORMATS, help: `Output format: ${OUTPUT_FORMATS.join(", ")}`, default: "table" },
  ],
  async run(ctx) {
    const [first, ...rest] = ctx.positionals;
    if (!first) throw new UsageError(`you must specify the kind of resource to get. Kinds:\n${KIND_LIST}`);
    const slash = first.indexOf("/");
    const kindName = slash < 0 ? first : first.slice(0, slash);
    const names = slash < 0 ? rest : [first.slice(slash + 1), ...rest];
    const info = kindByName(kindName);
    if (!info) throw new CliError(`error: the server doesn't have a resource type ${JSON.stringify(kindName)}. Kinds:\n${KIND_LIST}`);
    const all = boolFlag(ctx.flags, "all-namespaces");
    if (all && names.length) throw new UsageError("a resource cannot be retrieved by name across all namespaces");
    const namespace = stringFlag(ctx.flags, "namespace") ?? DEFAULT_NAMESPACE;
    const format = (stringFlag(ctx.flags, "output") ?? "table") as OutputFormat;
    const client = await ctx.client();
    const tableOpts = { allNamespaces: all, now: ctx.now() };

    if (names.length === 0) {
      const res = await client.get(resourcePath(info, all ? undefined : namespace));
      if (!res.ok) {
        for (const line of serverErrorLines(res)) ctx.err(line);
        return EXIT.error;
      }
      const items = itemsOf(res.body);
      if (items.length === 0 && (format === "table" || format === "wide")) {
        ctx.err(all ? "No resources found" : `No resources found in ${namespace} namespace.`);
        return EXIT.ok;
      }
      ctx.io.stdout(printResources(info, items, false, format, tableOpts));
      return EXIT.ok;
    }

    const found: Resource[] = [];
    let code: number = EXIT.ok;
    for (const name of names) {
      const res = await client.get(resourcePath(info, namespace, name));
      if (res.status === 404) {
        ctx.err(`Error from server (NotFound): ${notFoundMessage(info, name)}`);
        code = EXIT.error;
      } else if (!res.ok) {
        for (const line of serverErrorLines(res)) ctx.err(line);
        code = EXIT.error;
      } else {
        const resource = asResource(res.body);
        if (resource) found.push(resource);
        else {
          ctx.err(`error: the server's answer for ${info.plural}/${name} is not a resource (no metadata.name)`);
          code = EXIT.error;
        }
      }
    }
    if (found.length) ctx.io.stdout(printResources(info, found, names.length === 1, format, tableOpts));
    return code;
  },
};

/** A Kubernetes List (`{items:[...]}`) or, leniently, a bare array; entries that are not resources are skipped. */
function itemsOf(body: unknown): Resource[] {
  const items = Array.isArray(body) ? body : (body as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items)) return [];
  return items.map(asResource).filter((r): r is Resource => r !== undefined);
}

/** The body as a stored resource, or undefined when it has no `metadata.name` (a broken or foreign server). */
function asResource(body: unknown): Resource | undefined {
  const metadata = (body as { metadata?: { name?: unknown } } | null | undefined)?.metadata;
  return typeof metadata?.name === "string" ? (body as Resource) : undefined;
}
