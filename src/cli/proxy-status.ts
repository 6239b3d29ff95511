/**
 * `isthmus proxy-status`, like `istioctl proxy-status`: which config version each gateway isolate
 * serves, where, and whether it is the ConfigStore's current one (`GET {prefix}/proxy-status`).
 */
import { printListing } from "./listing.js";
import { EXIT, type Command } from "./command.js";
import { renderTable } from "./table.js";

interface Row { proxy?: unknown; location?: unknown; version?: unknown; status?: unknown; lastSeenMs?: unknown }

export const proxyStatusCommand: Command = {
  name: "proxy-status",
  aliases: ["ps"],
  summary: "Which config version the gateway isolates serve, and where",
  usage: "isthmus proxy-status [-o table|yaml|json]",
  description: `Columns: NAME (a gateway isolate), LOCATION (Cloudflare colo, local in dev), VERSION (the config
version it serves), STATUS (SYNCED when that is the ConfigStore's current version, else STALE), LAST SEEN.`,
  flags: [
    { name: "output", short: "o", kind: "string", value: "FORMAT", choices: ["table", "yaml", "json"], help: "Output format", default: "table" },
  ],
  run: (ctx) =>
    printListing(ctx, "/proxy-status", (raw) => {
      const body = (raw ?? {}) as { version?: unknown; proxies?: unknown };
      const proxies = Array.isArray(body.proxies) ? (body.proxies as Row[]) : [];
      ctx.out(`config version: ${String(body.version ?? "unknown")}`);
      const rows = proxies.map((p) => [String(p.proxy ?? "-"), String(p.location ?? "-"), String(p.version ?? "-"), String(p.status ?? "-"),
        typeof p.lastSeenMs === "number" ? new Date(p.lastSeenMs).toISOString().replace(/\.\d+Z$/, "Z") : "-"]);
      ctx.io.stdout(renderTable(["NAME", "LOCATION", "VERSION", "STATUS", "LAST SEEN"], rows));
      return EXIT.ok;
    }),
};
