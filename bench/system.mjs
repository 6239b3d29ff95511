/**
 * What the machine says about a measurement: CPU time of the server process (utime + stime from
 * /proc/<pid>/stat, clock ticks), steal and load during the run, and the machine's identity for the
 * report.
 */
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { readFileSync } from "node:fs";

let ticksPerSecond;

/** Clock ticks per second (USER_HZ), 100 on Linux unless `getconf` says otherwise. */
export function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system, all threads) the process has used so far. */
export function processCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start at state; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / clockTicks();
}

/**
 * Scheduler counters of the process's main thread (/proc/<pid>/task/<pid>/schedstat): nanoseconds
 * on a CPU, nanoseconds runnable but waiting for one, and time slices. Long waits mean something
 * else held the server's core: the run's latency figures then measure the machine, not the gateway.
 */
export function processSchedstat(pid) {
  // The main thread only (tid = pid): it runs every isolate's JavaScript and all request I/O. V8's
  // helper threads (concurrent GC, compilation) share the pinned core and wait behind it, which is
  // the process competing with itself, not the machine's load.
  try {
    const [runNs, waitNs, slices] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").trim().split(/\s+/).map(Number);
    return { runNs, waitNs, slices };
  } catch {
    return undefined;
  }
}

/**
 * Between two readings: milliseconds runnable but not running, and the mean delay per time slice in
 * µs. Every wake-up pays some delay (on this VM ≈ 40 µs from idle); hundreds of µs per slice mean
 * another process held the core.
 */
export function runDelay(before, after) {
  if (!before || !after) return { waitMs: NaN, perSliceUs: NaN };
  const waitNs = after.waitNs - before.waitNs;
  const slices = after.slices - before.slices;
  return { waitMs: waitNs / 1e6, perSliceUs: slices > 0 ? waitNs / slices / 1e3 : NaN };
}

/** Whole-machine counters (/proc/stat "cpu" line), to derive steal and busy share over an interval. */
export function machineCounters() {
  const line = readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith("cpu "));
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal };
}

/** Steal % and non-idle % of the whole machine between two counter readings. */
export function machineShare(before, after) {
  const total = after.total - before.total || 1;
  return {
    stealPct: (100 * (after.steal - before.steal)) / total,
    busyPct: (100 * (total - (after.idle - before.idle))) / total,
  };
}

export function loadAverage() {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

export function machineInfo() {
  const c = cpus();
  let kernel = "";
  try {
    kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  } catch {}
  return { cpuModel: c[0]?.model ?? "unknown", cpus: c.length, memGiB: Math.round(totalmem() / 2 ** 30), kernel, node: process.version };
}

/** Runs a command and returns its stdout, or undefined when it cannot run. */
export function tryRun(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return undefined;
  }
}
