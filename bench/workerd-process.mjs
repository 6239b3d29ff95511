/**
 * Starts and stops one `workerd serve` process for a benchmark run: pinned to the server core with
 * taskset when available, its own pid (not a wrapper's) so /proc/<pid>/stat counts its CPU, and
 * stopped by that pid only.
 */
import { spawn } from "node:child_process";
import { existsSync, openSync, closeSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";

/** The real workerd binary: node_modules/.bin/workerd may be a wrapper, whose pid would hide the server's CPU. */
export function workerdBinary(root) {
  const direct = join(root, "node_modules/@cloudflare/workerd-linux-64/bin/workerd");
  return existsSync(direct) ? direct : join(root, "node_modules/.bin/workerd");
}

/**
 * @param {{ root: string, config: string, cpu?: string, log: string, ports: number[], asyncTrace?: string, inspector?: number, taskset: boolean }} opts
 * @returns {Promise<{ pid: number, stop: () => Promise<void> }>}
 */
export async function startWorkerd(opts) {
  const args = ["serve", ...(opts.asyncTrace ? ["--async-trace", opts.asyncTrace] : []), ...(opts.inspector ? ["--inspector-addr", `127.0.0.1:${opts.inspector}`] : []), opts.config];
  const bin = workerdBinary(opts.root);
  const [cmd, argv] = opts.taskset && opts.cpu !== undefined ? ["taskset", ["-c", opts.cpu, bin, ...args]] : [bin, args];
  const fd = openSync(opts.log, "a");
  // taskset execs workerd in place, so the child's pid is workerd's.
  const child = spawn(cmd, argv, { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  let exited = false;
  const exit = new Promise((resolve) => child.on("exit", (code, signal) => {
    exited = true;
    resolve({ code, signal });
  }));
  try {
    for (const port of opts.ports) await waitForPort(port, 15_000, () => exited);
  } catch (e) {
    if (!exited) child.kill("SIGKILL");
    throw new Error(`workerd did not start (${e.message}); see ${opts.log}`);
  }
  return {
    pid: child.pid,
    /**
     * Graceful (SIGTERM) lets workerd finish writing an async trace or Durable Object storage, and takes
     * about 1.5 s; otherwise SIGKILL: between measurements nothing is being written (the config was
     * stored, durably, by the prepare step).
     */
    async stop({ graceful = false } = {}) {
      if (exited) return;
      child.kill(graceful ? "SIGTERM" : "SIGKILL");
      const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}

export async function waitForPort(port, timeoutMs, gaveUp = () => false) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gaveUp()) throw new Error("process exited");
    const ok = await new Promise((resolve) => {
      const s = net.connect({ port, host: "127.0.0.1" }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not listening after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
