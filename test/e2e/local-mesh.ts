/**
 * The end-to-end suite's processes: the local mesh (`npm start`'s script on its own port, seeded with
 * Bookinfo), a real Prometheus scraping its `/_mesh/metrics` with the bearer token, and Debian's
 * Chromium driven by playwright-core. Each runs in its own process group and is stopped by its id.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface Started {
  url: string;
  stop(): void;
}

function stopGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    /* already gone */
  }
}

async function waitFor(what: string, ok: () => Promise<boolean>, ms: number, log: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if (await ok()) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} did not come up within ${ms / 1000} s:\n${log().slice(-3000)}`);
}

/** `node scripts/start.mjs --port PORT` with a known token; resolves when Bookinfo is applied. */
export async function startMesh(port: number): Promise<Started & { token: string }> {
  const token = `e2e-${randomBytes(12).toString("hex")}`;
  let log = "";
  const child = spawn(process.execPath, ["scripts/start.mjs", "--port", String(port)], {
    cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ISTHMUS_TOKEN: token, CI: "true", WRANGLER_SEND_METRICS: "false" },
  });
  // The mesh's own output, for a failed run: $TMPDIR/isthmus-e2e-mesh.log.
  const logFile = join(tmpdir(), "isthmus-e2e-mesh.log");
  writeFileSync(logFile, "");
  const keep = (d: Buffer) => {
    log += d.toString();
    appendFileSync(logFile, d);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  await waitFor("the local mesh", async () => log.includes("admin token:"), 180_000, () => log);
  if (!log.includes("applied ")) throw new Error(`the local mesh did not seed Bookinfo:\n${log}`);
  return { url: `http://127.0.0.1:${port}`, token, stop: () => stopGroup(child) };
}

/**
 * Debian's prometheus with the shipped examples/prometheus/prometheus.yml, pointed at the local mesh
 * (http, 127.0.0.1:PORT, the token in a temp file, scraped every second).
 */
export async function startPrometheus(meshPort: number, token: string, port: number): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), "isthmus-prom-"));
  writeFileSync(join(dir, "token"), token, { mode: 0o600 });
  const shipped = readFileSync(join(ROOT, "examples", "prometheus", "prometheus.yml"), "utf8");
  const config = shipped
    .replace(/scrape_interval: 15s/, "scrape_interval: 1s")
    .replace(/evaluation_interval: 15s/, "evaluation_interval: 1s")
    .replace("scheme: https", "scheme: http")
    .replaceAll("/etc/prometheus/isthmus-token", join(dir, "token"))
    .replace("mesh.example.com", `127.0.0.1:${meshPort}`);
  if (config === shipped) throw new Error("examples/prometheus/prometheus.yml changed shape: update the e2e's rewrite");
  writeFileSync(join(dir, "prometheus.yml"), config);
  let log = "";
  const child = spawn(process.env.PROMETHEUS_BIN ?? "prometheus", [
    `--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn",
  ], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor("prometheus", async () => (await fetch(`${url}/-/ready`)).ok, 30_000, () => log);
  return { url, stop: () => stopGroup(child) };
}

/** A PromQL instant query's vector. */
export async function promQuery(prometheus: string, query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] }; error?: string };
  if (body.status !== "success") throw new Error(`query ${query}: ${body.error}`);
  return body.data!.result;
}

/** Bookinfo traffic: productpage (which calls details and reviews, reviews v2/v3 call ratings) for `ms`. */
export async function bookinfoTraffic(mesh: string, ms: number): Promise<number> {
  let n = 0;
  const until = Date.now() + ms;
  const worker = async () => {
    while (Date.now() < until) {
      const res = await fetch(`${mesh}/productpage`, { headers: { host: "bookinfo.local" } });
      await res.arrayBuffer();
      n++;
    }
  };
  await Promise.all([worker(), worker()]);
  return n;
}
