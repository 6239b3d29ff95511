/**
 * The two loads a measurement applies, both pinned to the load core:
 * - closed loop (throughput): `wrk -t1 -cN -dS` when wrk is installed, otherwise autocannon (a
 *   devDependency) in a child Node process (bench/closed-loop.mjs) — requests/s and a request count
 *   for CPU per request; the closed loop's latency figures are not used (wrk's break Little's law
 *   against workerd on this VM, see docs/performance.md);
 * - fixed rate (latency): bench/fixed-rate.mjs in a child Node process, open loop.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";

function run(cmd, args, timeoutMs, env) {
  return new Promise((resolve, reject) => {
    const options = { encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 << 20, ...(env ? { env: { ...process.env, ...env } } : {}) };
    execFile(cmd, args, options, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const pinned = (cpu, cmd, args) => (cpu === undefined ? [cmd, args] : ["taskset", ["-c", cpu, cmd, ...args]]);

/**
 * `script` is a wrk Lua script; `env` adds environment variables for it (e.g. BENCH_TOKENS).
 * @param {{ url: string, host?: string, headers?: Record<string,string>, seconds: number, connections: number, cpu?: string, script?: string, env?: Record<string,string> }} o
 * @returns {Promise<{ requests: number, rps: number, non2xx: number, socketErrors: string | undefined, raw: string }>}
 */
export async function wrk(o) {
  const args = ["-t1", `-c${o.connections}`, `-d${o.seconds}s`, "--timeout", "5s"];
  if (o.host) args.push("-H", `Host: ${o.host}`);
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push("-H", `${k}: ${v}`);
  if (o.script) args.push("-s", o.script);
  args.push(o.url);
  const [cmd, argv] = pinned(o.cpu, "wrk", args);
  const out = await run(cmd, argv, (o.seconds + 30) * 1000, o.env);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors:[^\n]*/.exec(out)?.[0];
  return { requests, rps, non2xx, socketErrors, raw: out };
}

/**
 * The closed loop with autocannon, same options as `wrk` plus `root` and `requestModule` (the
 * fixed-rate generator's request module stands in for the wrk Lua script).
 * @param {{ root: string, url: string, host?: string, headers?: Record<string,string>, seconds: number, connections: number, cpu?: string, requestModule?: string, env?: Record<string,string> }} o
 */
export async function autocannonLoad(o) {
  const args = [join(o.root, "bench/closed-loop.mjs"), "--url", o.url, "--duration", String(o.seconds), "--connections", String(o.connections)];
  if (o.host) args.push("--host", o.host);
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push("--header", `${k}: ${v}`);
  if (o.requestModule) args.push("--request-module", o.requestModule);
  const [cmd, argv] = pinned(o.cpu, process.execPath, args);
  const out = JSON.parse((await run(cmd, argv, (o.seconds + 30) * 1000, o.env)).trim().split("\n").at(-1));
  const socketErrors = out.errors ? `Socket errors: ${out.errors} (${out.timeouts} timeouts)` : undefined;
  return { requests: out.requests, issued: out.issued, rps: out.rps, non2xx: out.non2xx, socketErrors, raw: JSON.stringify(out) };
}

/** The closed loop with `generator` ("wrk" or "autocannon"); `o` carries both a wrk script and a request module. */
export function closedLoop(generator, o) {
  return generator === "autocannon" ? autocannonLoad(o) : wrk(o);
}

/**
 * `requestModule` varies requests (see fixed-rate.mjs); `env` adds environment variables for it.
 * @param {{ root: string, url: string, host?: string, headers?: Record<string,string>, rate: number, seconds: number, warmup: number, connections: number, cpu?: string, requestModule?: string, env?: Record<string,string> }} o
 */
export async function fixedRate(o) {
  const args = [join(o.root, "bench/fixed-rate.mjs"), "--url", o.url, "--rate", String(o.rate), "--duration", String(o.seconds),
    "--warmup", String(o.warmup), "--connections", String(o.connections)];
  if (o.host) args.push("--host", o.host);
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push("--header", `${k}: ${v}`);
  if (o.requestModule) args.push("--request-module", o.requestModule);
  const [cmd, argv] = pinned(o.cpu, process.execPath, args);
  // Generous: on a loaded machine a slow scenario (g) drains its backlog after the phase.
  const out = await run(cmd, argv, (o.seconds + o.warmup + 90) * 1000, o.env);
  return JSON.parse(out.trim().split("\n").at(-1));
}
