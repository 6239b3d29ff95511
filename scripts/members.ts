/**
 * The Bookinfo members (and the test echo member) as pre-built Workers for the vitest plugin, which
 * needs plain JS and absolute paths for auxiliary Workers. `npm start` runs the same members from their
 * wrangler.toml files instead.
 */
import { buildSync } from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "members");

interface Member { name: string; entry: string; serviceAccount: string; vars?: Record<string, string> }

export const MEMBERS: Member[] = [
  { name: "bookinfo-productpage", entry: "examples/bookinfo/productpage/index.ts", serviceAccount: "bookinfo-productpage" },
  { name: "bookinfo-details", entry: "examples/bookinfo/details/index.ts", serviceAccount: "bookinfo-details" },
  { name: "bookinfo-ratings", entry: "examples/bookinfo/ratings/index.ts", serviceAccount: "bookinfo-ratings" },
  { name: "bookinfo-reviews-v1", entry: "examples/bookinfo/reviews/index.ts", serviceAccount: "bookinfo-reviews", vars: { VERSION: "v1" } },
  { name: "bookinfo-reviews-v2", entry: "examples/bookinfo/reviews/index.ts", serviceAccount: "bookinfo-reviews", vars: { VERSION: "v2", STAR_COLOR: "black" } },
  { name: "bookinfo-reviews-v3", entry: "examples/bookinfo/reviews/index.ts", serviceAccount: "bookinfo-reviews", vars: { VERSION: "v3", STAR_COLOR: "red" } },
  { name: "httpbin", entry: "examples/httpbin/index.ts", serviceAccount: "httpbin" },
  { name: "test-echo", entry: "test/members/echo.ts", serviceAccount: "test-echo" },
  { name: "test-authz", entry: "test/members/authz.ts", serviceAccount: "test-authz" },
  { name: "test-otel", entry: "test/members/otel.ts", serviceAccount: "test-otel" },
];

const bundled = (m: Member) => join(out, `${m.entry.replace(/[/.]/g, "_")}.js`);

export function buildMembers(): void {
  mkdirSync(out, { recursive: true });
  const entries = [...new Set(MEMBERS.map((m) => m.entry))];
  for (const entry of entries) {
    const m = MEMBERS.find((x) => x.entry === entry)!;
    buildSync({ entryPoints: [join(root, entry)], bundle: true, format: "esm", platform: "neutral", target: "es2023", outfile: bundled(m), logLevel: "error" });
  }
}

/** Miniflare (v4-shaped) options for each member, bound back to the gateway runner as in wrangler.toml. */
export function memberWorkers(gatewayName: string) {
  return MEMBERS.map((m) => ({
    name: m.name,
    modules: true,
    scriptPath: bundled(m),
    compatibilityDate: "2026-11-01",
    bindings: m.vars ?? {},
    serviceBindings: {
      MESH: { name: gatewayName, entrypoint: "MeshEntrypoint", props: { namespace: "default", serviceAccount: m.serviceAccount } },
    },
  }));
}
