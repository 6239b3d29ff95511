/**
 * The Node edge of `isthmus`: real network (global fetch), files and folders, stdin, the dev token
 * file and the exit code. Everything else is runCli (src/cli/run.ts). Bundled by scripts/build-cli.mjs
 * into dist/cli/isthmus.mjs, which bin/isthmus.mjs runs.
 */
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import process from "node:process";
import type { InputFile, ReadInputsOptions } from "./command.js";
import { runCli } from "./run.js";

const CONFIG_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);
/** Name shown in messages for `-`. */
export const STDIN_NAME = "<stdin>";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** A folder's config files, sorted by name; subfolders (also sorted) only when recursive. */
async function readFolder(dir: string, recursive: boolean, out: InputFile[]): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) await readFolder(path, recursive, out);
    } else if (CONFIG_EXTENSIONS.has(extname(e.name).toLowerCase())) {
      out.push({ file: path, text: await readFile(path, "utf8") });
    }
  }
}

export async function readInputs(paths: string[], opts: ReadInputsOptions = {}): Promise<InputFile[]> {
  const out: InputFile[] = [];
  for (const p of paths) {
    if (p === "-") {
      out.push({ file: STDIN_NAME, text: await readStdin() });
      continue;
    }
    const info = await stat(p).catch(() => undefined);
    if (!info) throw new Error(`the path ${JSON.stringify(p)} does not exist`);
    if (info.isDirectory()) await readFolder(p, opts.recursive === true, out);
    else out.push({ file: p, text: await readFile(p, "utf8") });
  }
  return out;
}

/**
 * `npm start` writes the local mesh's admin token to `.isthmus/dev-token` in the project folder; look
 * there from the current folder upwards, as git finds `.git`, so subfolders of the project work too.
 */
async function devToken(): Promise<string | undefined> {
  for (let dir = process.cwd(); ; ) {
    try {
      const token = (await readFile(join(dir, ".isthmus", "dev-token"), "utf8")).trim();
      if (token) return token;
    } catch {
      // not here; try the parent
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** `isthmus get vs | head -1` closes stdout early; that is not an error worth a stack trace. */
function ignoreBrokenPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

async function main(): Promise<void> {
  ignoreBrokenPipe(process.stdout);
  ignoreBrokenPipe(process.stderr);
  const code = await runCli(process.argv.slice(2), {
    fetch: (req) => fetch(req),
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readInputs,
    writeFile: (path, text) => writeFile(path, text, "utf8"),
    env: process.env,
    devToken,
  });
  // Let pending writes drain instead of process.exit() cutting them off.
  process.exitCode = code;
}

await main();
