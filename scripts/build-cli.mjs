// Bundles the `isthmus` CLI (src/cli/node-main.ts and the src/config code it shares with the gateway)
// into one Node ESM file, dist/cli/isthmus.mjs, which bin/isthmus.mjs runs. Run: npm run build:cli.
import { build } from "esbuild";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

await build({
  entryPoints: [join(root, "src/cli/node-main.ts")],
  outfile: join(root, "dist/cli/isthmus.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
  // Bundled CommonJS dependencies may call require(); give the ESM bundle one.
  banner: { js: 'import { createRequire as __isthmusCreateRequire } from "node:module"; const require = __isthmusCreateRequire(import.meta.url);' },
});
