#!/usr/bin/env node
/**
 * `npm start`: the local mesh on workerd. One `wrangler dev` runs the gateway and every Bookinfo member
 * (service bindings and the ConfigStore Durable Object work in one process), then the Bookinfo config
 * (examples/bookinfo/*.yaml) is applied through the admin API. No Cloudflare account is needed.
 *
 *   npm start                 gateway + members + Bookinfo config
 *   npm start -- --empty      same mesh, no config at all
 *   npm start -- --keep       keep the config stored by the previous run (default: start fresh)
 *   npm start -- --port 8788  listen elsewhere (default 8787)
 *
 * Prints the URL and `admin token: <token>`; the token is also written to .isthmus/dev-token, where the
 * `isthmus` CLI finds it.
 *
 * The port you connect to is a small front proxy (Node) before `wrangler dev`, which listens on a free
 * loopback port of its own. wrangler dev rewrites every response header holding an absolute URL with the
 * request's own host to its http origin, so `Location: https://bookinfo.local/` (a Gateway's
 * httpsRedirect) would reach the client as `http://...`. The front proxy hands wrangler dev a neutral Host
 * (its inner address) and the client's Host in `x-isthmus-dev-host`, which the gateway restores under
 * ISTHMUS_DEV (src/gateway/runtime/dev-front-proxy.ts): answers arrive as a deployed gateway sends them.
 *
 * No internet needed: the `Request.cf` object is a placeholder unless CLOUDFLARE_CF_FETCH_ENABLED or
 * CLOUDFLARE_CF_FETCH_PATH says otherwise (miniflare would try to download one and print stack traces).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const empty = flag("--empty");
const port = Number(option("--port", process.env.PORT ?? "8787"));
const host = "127.0.0.1";
const prefix = "/_mesh";
const base = `http://${host}:${port}`;

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`Node ${process.versions.node} runs this script; wrangler needs >= 22.12. Run it through npm (npm start), which uses the pinned node dev dependency, after npm install.`);
  process.exit(1);
}

const CONFIGS = [
  "wrangler.toml",
  "examples/bookinfo/productpage/wrangler.toml",
  "examples/bookinfo/details/wrangler.toml",
  "examples/bookinfo/reviews/wrangler.v1.toml",
  "examples/bookinfo/reviews/wrangler.v2.toml",
  "examples/bookinfo/reviews/wrangler.v3.toml",
  "examples/bookinfo/ratings/wrangler.toml",
  "examples/httpbin/wrangler.toml",
];

const token = process.env.ISTHMUS_TOKEN || `dev-${randomBytes(18).toString("base64url")}`;
const stateDir = join(root, ".isthmus", "state");
if (!flag("--keep")) rmSync(stateDir, { recursive: true, force: true });
mkdirSync(join(root, ".isthmus"), { recursive: true });
writeFileSync(join(root, ".isthmus", "dev-token"), token + "\n", { mode: 0o600 });

/** A free loopback port for wrangler dev itself (the front proxy takes `port`). */
function freePort() {
  return new Promise((ok, fail) => {
    const probe = http.createServer();
    probe.on("error", fail);
    probe.listen(0, host, () => {
      const { port: p } = probe.address();
      probe.close(() => ok(p));
    });
  });
}
const innerPort = await freePort();
const inner = `${host}:${innerPort}`;

// Same string as DEV_HOST_HEADER in src/gateway/runtime/dev-front-proxy.ts.
const DEV_HOST_HEADER = "x-isthmus-dev-host";
const agent = new http.Agent({ keepAlive: true });
const front = http.createServer((req, res) => {
  const headers = { ...req.headers, host: inner, [DEV_HOST_HEADER]: req.headers.host ?? `${host}:${port}` };
  const upstream = http.request({ host, port: innerPort, method: req.method, path: req.url, headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
    answer.pipe(res);
  });
  upstream.on("error", (e) => {
    if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
    res.end(`the local mesh is not answering (${e.code ?? e.message}); is wrangler dev still starting?\n`);
  });
  req.pipe(upstream);
});
await new Promise((ok, fail) => {
  front.once("error", fail);
  front.listen(port, host, ok);
});

const wranglerArgs = [
  "wrangler", "dev", ...CONFIGS.flatMap((c) => ["-c", c]),
  "--ip", host, "--port", String(innerPort), "--persist-to", stateDir,
  "--var", `ADMIN_TOKEN:${token}`, "--var", "ISTHMUS_DEV:true",
  "--show-interactive-dev-session=false", "--log-level", process.env.WRANGLER_LOG ?? "warn",
];
/** Placeholder `Request.cf` unless the user chose otherwise: no download attempt, no stack traces offline. */
function quietCf(env) {
  if (env.CLOUDFLARE_CF_FETCH_ENABLED !== undefined || env.CLOUDFLARE_CF_FETCH_PATH !== undefined) return env;
  return { ...env, CLOUDFLARE_CF_FETCH_ENABLED: "false" };
}

const child = spawn("npx", wranglerArgs, {
  cwd: root,
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...quietCf(process.env), CI: "true", WRANGLER_SEND_METRICS: "false" },
  // Its own process group, so stopping reaches wrangler and workerd behind npx, not only npx.
  detached: true,
});
let stopping = false;
const stop = (code) => {
  if (stopping) return;
  stopping = true;
  front.close();
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    child.kill("SIGTERM");
  }
  setTimeout(() => process.exit(code), 500).unref();
};
child.on("exit", (code) => {
  if (!stopping) console.error(`wrangler dev exited (${code})`);
  process.exit(code ?? 1);
});
process.on("exit", () => {
  if (child.exitCode === null) try { process.kill(-child.pid, "SIGTERM"); } catch { /* already gone */ }
});
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

async function waitHealthy() {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${base}${prefix}/healthz`);
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((ok) => setTimeout(ok, 300));
  }
  throw new Error(`the gateway did not answer ${base}${prefix}/healthz within 90 s`);
}

async function seed() {
  const dir = join(root, "examples", "bookinfo");
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const body = files.map((f) => readFileSync(join(dir, f), "utf8")).join("\n---\n");
  const res = await fetch(`${base}${prefix}/apply`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/yaml" },
    body,
  });
  const out = await res.json();
  if (!res.ok) {
    console.error(`seeding examples/bookinfo failed (${res.status}):`, JSON.stringify(out, null, 2));
    return;
  }
  console.log(`applied ${files.join(", ")} → version ${out.version} (${out.results.length} resources)`);
  for (const w of out.warnings ?? []) console.log(`  ${w.level} [${w.code}] (${w.kind} ${w.namespace}/${w.name}) ${w.message}`);
}

try {
  await waitHealthy();
  if (!empty) await seed();
  console.log("");
  console.log(`Isthmus local mesh: ${base}`);
  console.log(`admin API: ${base}${prefix}/  (Authorization: Bearer <token>)`);
  console.log(`admin token: ${token}`);
  if (!empty) console.log(`try: curl -H 'Host: bookinfo.local' ${base}/productpage`);
  else console.log("started with no config (--empty): apply some with `npx isthmus apply -f FILE`");
} catch (e) {
  console.error(String(e));
  stop(1);
}
