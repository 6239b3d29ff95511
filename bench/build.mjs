/**
 * Bundles the Workers under test with esbuild the way wrangler does (ESM, workerd/worker conditions,
 * `cloudflare:*` and `node:*` left to the runtime), into bench/.work/build/. The gateway is bundled
 * from src/gateway/index.ts as it is, whatever it exports (default, MeshEntrypoint, its Durable
 * Object classes); the metafile tells which names it exports, so new Durable Objects are picked up.
 */
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** esbuild options shared by every bundle: what wrangler uses for a Worker. */
const WORKER_BUILD = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["browser", "module", "main"],
  external: ["cloudflare:*", "node:*"],
  minify: false,
  sourcemap: false,
  metafile: true,
  logLevel: "error",
};

/**
 * @returns {Promise<{ path: string, exports: string[], bytes: number }>}
 */
export async function bundle(root, entry, outFile) {
  const result = await build({ ...WORKER_BUILD, absWorkingDir: root, entryPoints: [entry], outfile: outFile });
  const out = result.metafile.outputs[relative(root, outFile)] ?? Object.values(result.metafile.outputs)[0];
  return { path: outFile, exports: out?.exports ?? [], bytes: out?.bytes ?? 0 };
}

/**
 * A gateway bundle built elsewhere (`--gateway-bundle`, for A/B runs of a variant): copied as is;
 * its exports are read from the bundle's final `export { ... }` statement.
 */
function prebuilt(file, outFile) {
  const text = readFileSync(file, "utf8");
  copyFileSync(file, outFile);
  const list = [...text.matchAll(/^export\s*\{([^}]*)\}/gm)].at(-1)?.[1] ?? "";
  const exports = list.split(",").map((e) => e.trim().split(/\s+as\s+/).at(-1)).filter(Boolean);
  return { path: outFile, exports, bytes: text.length };
}

/** Builds everything one run needs; returns absolute module paths and the gateway's exports. */
export async function buildAll(root, workDir, { gatewayBundle } = {}) {
  const dir = join(workDir, "build");
  mkdirSync(dir, { recursive: true });
  const origin = join(dir, "origin.js");
  const passthrough = join(dir, "passthrough.js");
  copyFileSync(join(root, "bench/workers/origin.js"), origin);
  copyFileSync(join(root, "bench/workers/passthrough.js"), passthrough);
  const [gateway, micro, peer] = await Promise.all([
    gatewayBundle ? prebuilt(gatewayBundle, join(dir, "gateway.js")) : bundle(root, join(root, "src/gateway/index.ts"), join(dir, "gateway.js")),
    bundle(root, join(root, "bench/micro-worker.ts"), join(dir, "micro.js")),
    // The hand-written Hono + jose gateway (scenario "peer"), bundled like any Worker.
    bundle(root, join(root, "bench/workers/peer.ts"), join(dir, "peer.js")),
  ]);
  return { origin, passthrough, gateway, micro, peer: peer.path };
}
