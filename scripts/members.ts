/**
 * The Bookinfo members (and the test echo member) as pre-built Workers for the vitest plugin, which
 * needs plain JS and absolute paths for auxiliary Workers. `npm start` runs the same members from their
 * wrangler.toml files instead.
 */
import { buildSync } from "esbuild";
import { mkdirSync, readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { injectMember, MESH_ENTRYPOINT, type RegistryResource } from "../src/cli/inject-core.js";
import { readWranglerConfig } from "../src/cli/wrangler-config.js";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "members");

/** A member's binding to the gateway's mesh entrypoint, with the props its wrangler config gives it. */
export interface MeshBinding { props: Record<string, string> }

interface Member {
  name: string;
  entry: string;
  serviceAccount: string;
  vars?: Record<string, string>;
  /** Bindings to the gateway's MeshEntrypoint other than MESH (what `isthmus inject` writes); none: MESH only. */
  meshBindings?: () => Record<string, MeshBinding>;
  /** No MESH binding (a member written the plain way). */
  noMeshBinding?: boolean;
}

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
  // Written the plain way (direct bindings); its bindings are the ones `isthmus inject` gives it.
  { name: "plain-member", entry: "examples/plain-member/index.ts", serviceAccount: "plain-member", noMeshBinding: true, meshBindings: plainMemberBindings },
  { name: "test-otel", entry: "test/members/otel.ts", serviceAccount: "test-otel" },
];

/**
 * The member's bindings after `isthmus inject examples/plain-member/wrangler.toml -f examples/bookinfo/`:
 * inject runs here, on the real files, and the rewritten config's mesh bindings are the ones the test
 * member gets — so the tests exercise what inject writes, not a hand copy of it.
 */
function plainMemberBindings(): Record<string, MeshBinding> {
  const read = (p: string) => readFileSync(join(root, p), "utf8");
  const registry = parseAllDocuments(read("examples/bookinfo/bookinfo-services.yaml")).map((d) => d.toJS() as RegistryResource);
  const memberFile = "examples/plain-member/wrangler.toml";
  const injected = injectMember({ file: memberFile, text: read(memberFile) }, { gateway: readWranglerConfig(read("wrangler.toml")), registry, namespace: "default" });
  const out: Record<string, MeshBinding> = {};
  for (const b of readWranglerConfig(injected.text, memberFile).services) {
    if (b.entrypoint === MESH_ENTRYPOINT) out[b.binding] = { props: b.props as Record<string, string> };
  }
  return out;
}

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
      ...(m.noMeshBinding ? {} : { MESH: { name: gatewayName, entrypoint: "MeshEntrypoint", props: { namespace: "default", serviceAccount: m.serviceAccount } } }),
      ...Object.fromEntries(Object.entries(m.meshBindings?.() ?? {}).map(([binding, b]) => [binding, { name: gatewayName, entrypoint: "MeshEntrypoint", props: b.props }])),
    },
  }));
}
