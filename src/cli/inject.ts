/**
 * `isthmus inject MEMBER_CONFIG` (istioctl kube-inject for Workers): shows, as a diff, how a member's
 * wrangler.toml / wrangler.jsonc changes so that its service bindings to other members go through the
 * gateway's mesh entrypoint, and prints the ServiceEntry that registers the member. `--write` changes
 * the file. The work is src/cli/inject-core.ts; this file reads the inputs and prints.
 */
import { readInputText } from "./read-input.js";
import { kindInfo } from "../config/resource.js";
import { resourcePath, serverErrorLines } from "./admin-client.js";
import { CliError, EXIT, type Command, type CommandContext } from "./command.js";
import { boolFlag, listFlag, stringFlag, UsageError } from "./flags.js";
import { injectMember, unifiedDiff, type RegistryResource } from "./inject-core.js";
import { loadInputs, parseErrorLines } from "./inputs.js";
import { readWranglerConfig, WranglerConfigError, type WranglerConfig } from "./wrangler-config.js";

export const injectCommand: Command = {
  name: "inject",
  summary: "Point a member's service bindings at the mesh (istioctl kube-inject)",
  usage: "isthmus inject MEMBER_WRANGLER_CONFIG [--write] [--gateway-config FILE] [-f FILE|DIR]... [-n NS] [--service-account SA]",
  description: `Rewrites a member Worker's wrangler.toml or wrangler.jsonc so that each service binding to
another member becomes a binding to the gateway's MeshEntrypoint with props
{ namespace, serviceAccount, destination }. The member's code does not change: env.DETAILS.fetch(request)
then goes through the mesh (routing, retries, policies, telemetry) to the destination service.

A binding to the Worker S maps to the ServiceEntry whose endpoint (or WorkloadEntry) has
address binding:G, where G is the gateway's own service binding to S (--gateway-config, default
wrangler.toml). The ServiceEntries come from -f files, or else from the gateway's stored config.

By default nothing changes: the diff is printed, then the ServiceEntry that registers the member.
--write changes the file in place; only the rewritten bindings change, comments and order stay.

Examples:
  isthmus inject examples/plain-member/wrangler.toml -f examples/bookinfo/
  isthmus inject ../shop/wrangler.jsonc -n shop --service-account cart --write`,
  flags: [
    { name: "write", kind: "boolean", help: "Change the file instead of printing the diff" },
    { name: "gateway-config", kind: "string", value: "FILE", help: "The gateway's wrangler config", default: "wrangler.toml" },
    { name: "filename", short: "f", kind: "list", value: "FILE|DIR|-", help: "ServiceEntries/WorkloadEntries to map bindings with (default: the stored config); repeatable" },
    { name: "namespace", short: "n", kind: "string", value: "NS", help: "The member's namespace (props.namespace)", default: "default" },
    { name: "service-account", kind: "string", value: "SA", help: "The member's service account (props.serviceAccount; default: its Worker name)" },
    { name: "port", kind: "string", value: "N", help: "Port of the member's own ServiceEntry", default: "80" },
  ],
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw new UsageError("give exactly one member wrangler config (wrangler.toml or wrangler.jsonc)");
    const memberFile = ctx.positionals[0]!;
    const write = boolFlag(ctx.flags, "write");
    if (write && !ctx.io.writeFile) throw new CliError("error: --write is not available here (no file access)");
    const port = Number(stringFlag(ctx.flags, "port") ?? "80");
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`invalid --port ${JSON.stringify(stringFlag(ctx.flags, "port"))}: must be 1-65535`);

    const member = await readInputText(ctx, memberFile);
    const gatewayFile = stringFlag(ctx.flags, "gateway-config") ?? "wrangler.toml";
    const gateway = parseConfig(await readInputText(ctx, gatewayFile), gatewayFile);
    parseConfig(member, memberFile); // report a broken member config with its name before anything else
    const registry = await loadRegistry(ctx);
    if (registry === undefined) return EXIT.error;

    const serviceAccount = stringFlag(ctx.flags, "service-account");
    const result = injectMember({ file: memberFile, text: member }, {
      gateway,
      registry,
      namespace: stringFlag(ctx.flags, "namespace") ?? "default",
      ...(serviceAccount ? { serviceAccount } : {}),
      port,
    });
    if (!result.memberName) throw new CliError(`error: ${memberFile} has no name: the member's Worker name is its default service account and its ServiceEntry name`);
    for (const s of result.skipped) ctx.err(`warning: binding ${s.binding} (service ${s.service}) not injected: ${s.reason}`);

    if (write) {
      if (result.text !== member) await ctx.io.writeFile!(memberFile, result.text);
      ctx.out(`${memberFile}: ${result.injected.length} binding(s) now go through the mesh${result.injected.map((b) => `\n  ${b.binding} → ${b.destination}`).join("")}`);
    } else {
      const diff = unifiedDiff(member, result.text, memberFile, `${memberFile} (injected)`);
      ctx.io.stdout(diff || `# ${memberFile}: nothing to inject\n`);
      if (diff) ctx.out("# (dry run: run again with --write to change the file)");
    }
    ctx.out("");
    ctx.io.stdout(result.registration);
    return EXIT.ok;
  },
};

export function parseConfig(text: string, file: string): WranglerConfig {
  try {
    return readWranglerConfig(text, file);
  } catch (e) {
    if (e instanceof WranglerConfigError) throw new CliError(`error: ${file}: ${e.message}`);
    throw e;
  }
}

/** ServiceEntries and WorkloadEntries from -f, else from the server; undefined after printing an error. */
export async function loadRegistry(ctx: CommandContext): Promise<RegistryResource[] | undefined> {
  const paths = listFlag(ctx.flags, "filename");
  if (paths.length) {
    const inputs = await loadInputs(ctx.io, paths, {});
    if (inputs.parseErrors.length) {
      for (const line of parseErrorLines(inputs.parseErrors)) ctx.err(line);
      return undefined;
    }
    return inputs.documents.map((d) => d.raw).filter(isRegistryResource);
  }
  const client = await ctx.client();
  const out: RegistryResource[] = [];
  for (const kind of ["ServiceEntry", "WorkloadEntry"]) {
    const res = await client.get(resourcePath(kindInfo(kind)!, undefined));
    if (!res.ok) {
      for (const line of serverErrorLines(res)) ctx.err(line);
      return undefined;
    }
    const items = (res.body as { items?: unknown[] } | undefined)?.items ?? [];
    out.push(...items.map((i) => ({ kind, ...(i as object) })).filter(isRegistryResource));
  }
  return out;
}

function isRegistryResource(v: unknown): v is RegistryResource {
  const r = v as RegistryResource | null;
  return !!r && (r.kind === "ServiceEntry" || r.kind === "WorkloadEntry") && typeof r.metadata?.name === "string";
}
