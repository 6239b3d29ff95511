#!/usr/bin/env node
// The `isthmus` command. The CLI is TypeScript bundled by scripts/build-cli.mjs (run on `npm install`);
// this launcher only checks that the bundle is there.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundle = new URL("../dist/cli/isthmus.mjs", import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  process.stderr.write(
    "isthmus: the CLI is not built yet (dist/cli/isthmus.mjs is missing).\n" +
      "Build it from the project folder with:  npm run build:cli   (or: node scripts/build-cli.mjs)\n",
  );
  process.exit(1);
}
await import(bundle.href);
