// npm runs this before `start` and `test`: wrangler and the vitest plugin need Node >= 22.12, which the
// pinned `node` dev dependency provides (npm puts node_modules/.bin first on PATH for scripts). If the
// install skipped its install script (`npm ci --ignore-scripts`), scripts would silently run on the
// machine's older Node; say so instead.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`Isthmus needs Node >= 22.12 for wrangler and workerd; this is ${process.versions.node}.\n` +
    "The project pins it as a dev dependency: run `npm install` (without --ignore-scripts) and use npm scripts / npx.");
  process.exit(1);
}
