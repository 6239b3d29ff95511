/**
 * `isthmus verify-install` (istioctl verify-install): reads the gateway's wrangler config, the members'
 * configs (`--member`), and the stored config and admin API of the gateway (or `-f` files), and reports
 * what cannot work. The checks are src/cli/verify-install-core.ts; this file gathers the inputs and prints.
 * Exit code 1 when there is an error.
 */
import { readInputText } from "./read-input.js";
import { kindInfo } from "../config/resource.js";
import { resourcePath } from "./admin-client.js";
import { CliError, EXIT, type Command, type CommandContext } from "./command.js";
import { boolFlag, listFlag, stringFlag, UsageError } from "./flags.js";
import type { RegistryResource } from "./inject-core.js";
import { loadRegistry, parseConfig } from "./inject.js";
import { verifyInstall, type ServerProbe, type VerifyFinding } from "./verify-install-core.js";

export const verifyInstallCommand: Command = {
  name: "verify-install",
  summary: "Check that the gateway and its members are set up to work (istioctl verify-install)",
  usage: "isthmus verify-install [--gateway-config FILE] [--member FILE]... [-f FILE|DIR]... [--offline]",
  description: `Reads the gateway's wrangler config (--gateway-config, default wrangler.toml), each member's
wrangler config (--member, repeatable) and the gateway's stored config through the admin API (or -f
files instead), and reports what cannot work:

  - Durable Object bindings or SQLite migrations missing (CONFIG_STORE, RATE_LIMITER, CIRCUIT, METRICS);
  - a binding:NAME in a ServiceEntry, WorkloadEntry or MESH_CONFIG that no service binding provides;
  - a member without a mesh binding, calling another member directly, without identity props,
    with an invalid destination, not registered, or calling as another service account than registered;
  - ADMIN_TOKEN in plain [vars], half-configured Access, ISTHMUS_DEV in [vars]; a gateway whose admin
    API is disabled (no ADMIN_TOKEN secret, no Access) or answers without credentials.

--offline asks no server (the -f files, if any, are the registry). Exit code 1 on an error.

Examples:
  isthmus verify-install
  isthmus verify-install --member examples/plain-member/wrangler.toml -f examples/bookinfo/ --offline
  isthmus verify-install --server https://mesh.example.com`,
  flags: [
    { name: "gateway-config", kind: "string", value: "FILE", help: "The gateway's wrangler config", default: "wrangler.toml" },
    { name: "member", kind: "list", value: "FILE", help: "A member's wrangler config; repeatable" },
    { name: "filename", short: "f", kind: "list", value: "FILE|DIR|-", help: "ServiceEntries/WorkloadEntries to check instead of the stored config; repeatable" },
    { name: "offline", kind: "boolean", help: "Ask no server" },
  ],
  async run(ctx) {
    if (ctx.positionals.length) throw new UsageError(`verify-install takes no arguments (got ${ctx.positionals.join(" ")}): use --member FILE`);
    const gatewayFile = stringFlag(ctx.flags, "gateway-config") ?? "wrangler.toml";
    const gateway = { file: gatewayFile, config: parseConfig(await readInputText(ctx, gatewayFile), gatewayFile) };
    const members = [];
    for (const file of listFlag(ctx.flags, "member")) members.push({ file, config: parseConfig(await readInputText(ctx, file), file) });

    const offline = boolFlag(ctx.flags, "offline");
    let server: ServerProbe | undefined;
    let registry: RegistryResource[] | undefined;
    const notes: VerifyFinding[] = [];
    if (!offline) server = await probe(ctx, notes);
    if (listFlag(ctx.flags, "filename").length || (!offline && server)) {
      try {
        registry = await loadRegistry(ctx);
      } catch (e) {
        if (!(e instanceof CliError)) throw e;
        notes.push({ level: "Warning", subject: "stored config", message: `not checked: ${e.message.replace(/^error: /, "").split("\n")[0]}` });
      }
      if (registry === undefined && !notes.length) notes.push({ level: "Warning", subject: "stored config", message: "not checked: the server refused to list it" });
    } else if (offline) notes.push({ level: "Warning", subject: "stored config", message: "not checked (--offline without -f)" });

    const findings = [...notes, ...verifyInstall({ gateway, members, ...(registry ? { registry } : {}), ...(server ? { server } : {}) })];
    for (const f of findings) ctx.out(line(f));
    const errors = findings.filter((f) => f.level === "Error").length;
    const warnings = findings.filter((f) => f.level === "Warning").length;
    ctx.out("");
    ctx.out(errors ? `✘ ${errors} error(s), ${warnings} warning(s): this installation cannot work as configured` : `✔ no errors${warnings ? `, ${warnings} warning(s)` : ""}`);
    return errors ? EXIT.error : EXIT.ok;
  },
};

function line(f: VerifyFinding): string {
  const mark = f.level === "OK" ? "✔" : f.level === "Error" ? "Error:" : "Warning:";
  return `${mark} [${f.subject}] ${f.message}`;
}

/** One admin call without credentials: how the gateway guards its admin API. Undefined when unreachable. */
async function probe(ctx: CommandContext, notes: VerifyFinding[]): Promise<ServerProbe | undefined> {
  const client = await ctx.client();
  const base = `${client.target.server}${client.target.prefix}`;
  const local = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/i.test(client.target.server);
  let res: Response;
  try {
    res = await ctx.io.fetch(new Request(`${base}${resourcePath(kindInfo("ServiceEntry")!, undefined)}`, { headers: { accept: "application/json" } }));
  } catch (e) {
    notes.push({ level: "Warning", subject: client.target.server, message: `the gateway did not answer (${e instanceof Error ? e.message : String(e)}): the admin API and stored config are not checked` });
    return undefined;
  }
  const text = await res.text();
  let message = text;
  try {
    const body = JSON.parse(text) as { errors?: { message?: string }[] };
    message = body.errors?.map((e) => e.message ?? "").join("; ") ?? text;
  } catch {
    // not JSON: keep the text
  }
  return { url: client.target.server, local, anonymous: { status: res.status, message } };
}
