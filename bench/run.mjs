#!/usr/bin/env node
/**
 * `npm run bench`: the gateway's performance on workerd, measured the way docs/performance.md
 * describes — `workerd serve` directly (never `wrangler dev`), server and load on different cores,
 * every scenario of bench/scenarios.mjs interleaved and repeated, medians, every figure as a ratio to
 * the bare pass-through floor; plus microbenchmarks inside workerd. Targets print PASS/FAIL; a miss
 * never fails the process (only a broken setup does).
 *
 *   npm run bench                    full run (3 repetitions; about 6 minutes on 2 cores)
 *   npm run bench -- --quick         smoke run (1 repetition, short phases; about 1 minute)
 *   npm run bench -- --only b,c      some scenarios (the floor is always added)
 *   npm run bench -- --reps 5 --seconds 10 --rate 1000 --connections 16
 *   npm run bench -- --no-micro      skip the in-workerd microbenchmarks
 *   npm run bench -- --load autocannon   closed loop with autocannon even if wrk is installed (the default without wrk)
 *   npm run bench -- --v8-flags "--max-old-space-size=32 --max-semi-space-size=4"
 *   npm run bench -- --costs         only the per-request operation cost ladder (bench/cost-ladder.mjs)
 *   npm run bench -- --profile e     a V8 CPU profile of one scenario under load (bench/profile.mjs; --interval µs, --top N)
 *   npm run bench -- --profile g --allocations   bytes allocated per request, by function (sampling heap profiler)
 *   npm run bench -- --gateway-bundle /tmp/variant.js --only c   A/B: measure a gateway bundle built elsewhere
 *
 * Writes bench/results/<timestamp>.json (raw figures of every repetition) and prints markdown tables.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildAll } from "./build.mjs";
import { costLadder, renderCosts } from "./cost-ladder.mjs";
import { allocationsDuring, profileDuring, summarizeAllocations, summarizeProfile } from "./profile.mjs";
import { analyzeTrace } from "./durable-object-calls.mjs";
import { autocannonLoad, fixedRate, wrk } from "./load.mjs";
import { autocannonVersion } from "./closed-loop.mjs";
import { applyBatches, BENCH_HOST, gatewayApiResources, meshResources } from "./mesh-config.mjs";
import { microTargets, renderReport, summarize } from "./report.mjs";
import { MICRO_ROUTES, MICRO_TARGETS, SCENARIOS } from "./scenarios.mjs";
import { loadAverage, machineCounters, machineInfo, machineShare, processCpuSeconds, processSchedstat, runDelay, tryRun } from "./system.mjs";
import { writeWorkerdConfig } from "./workerd-config.mjs";
import { startWorkerd, workerdBinary } from "./workerd-process.mjs";
import { readWranglerSettings } from "./wrangler-settings.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const workDir = join(root, "bench/.work");
const resultsDir = join(root, "bench/results");

// ---- options ----

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const quick = flag("--quick");
const opts = {
  quick,
  reps: Number(option("--reps", quick ? 1 : 3)),
  warmSeconds: Number(option("--warmup", quick ? 1 : 2)),
  satSeconds: Number(option("--seconds", quick ? 3 : 6)),
  fixSeconds: Number(option("--fixed-seconds", quick ? 2 : 3)),
  rate: Number(option("--rate", 1000)),
  satConnections: Number(option("--connections", 16)),
  fixConnections: Number(option("--fixed-connections", 16)),
  traceSeconds: Number(option("--trace-seconds", quick ? 2 : 3)),
  micro: !flag("--no-micro"),
  microSamples: Number(option("--micro-samples", quick ? 16 : 64)),
  compileReps: Number(option("--compile-reps", quick ? 3 : 5)),
  v8Flags: option("--v8-flags", "").split(/\s+/).filter(Boolean),
  only: option("--only", "").split(",").filter(Boolean),
  serverCpu: option("--server-cpu", "0"),
  loadCpu: option("--load-cpu", "1"),
};
if (flag("--help") || flag("-h")) {
  const text = readFileSync(fileURLToPath(import.meta.url), "utf8");
  console.log(text.slice(text.indexOf("/**") + 3, text.indexOf("*/")).split("\n").map((l) => l.replace(/^ \* ?/, "")).join("\n").trim());
  process.exit(0);
}

const log = (...a) => console.error("[bench]", ...a);

/**
 * A scenario's phase lengths: the run's, the same for every scenario — ratios between scenarios measured
 * with different phase lengths are biased (a shorter warm-up leaves more JIT and heap growth in the loop).
 */
function phasesOf() {
  return { warmSeconds: opts.warmSeconds, satSeconds: opts.satSeconds, fixSeconds: opts.fixSeconds };
}

/**
 * What a load of `scenario` needs to vary its requests (bench/requests/): the wrk script or request
 * module (absolute paths) and their environment — the scenario's `setup` env plus BENCH_REQUEST_OFFSET,
 * the index of the load's first request. `advance(n)` moves that index past the n requests a load may
 * have sent, so the next load of the scenario continues the sequence instead of restarting it.
 */
function varied(scenario) {
  scenario.requestCursor ??= 0;
  const env = scenario.loadEnv ? { ...scenario.loadEnv, BENCH_REQUEST_OFFSET: String(scenario.requestCursor) } : undefined;
  return {
    script: scenario.wrkScript && join(root, scenario.wrkScript),
    requestModule: scenario.requestModule && join(root, scenario.requestModule),
    env,
    advance: (n) => (scenario.requestCursor += Number.isFinite(n) ? Math.ceil(n) : 1_000_000),
  };
}

/** Requests a wrk run may have asked its script for: those answered, plus one in flight per connection, plus reconnects. */
const wrkIssued = (w, connections) => w.requests + 2 * connections + 64;

// ---- environment checks ----

/**
 * The closed-loop generator: wrk when it is on PATH (`--load autocannon` forces the other), else
 * autocannon from node_modules (a devDependency, so `npm install` is all a fresh clone needs).
 */
function preflight() {
  const hasWrk = Boolean(tryRun("sh", ["-c", "command -v wrk"]));
  const wanted = option("--load", hasWrk ? "wrk" : "autocannon");
  if (wanted === "wrk" && !hasWrk) {
    console.error("--load wrk: wrk is not installed. On Debian/Ubuntu: apt-get install -y wrk  (https://github.com/wg/wrk)");
    process.exit(2);
  }
  let load;
  if (wanted === "wrk") {
    const wrkVersion = tryRun("sh", ["-c", "wrk -v 2>&1 | head -1"]) ?? "";
    load = `wrk ${wrkVersion.replace(/^wrk /, "").split(" ")[0]}`.trim();
  } else {
    load = `autocannon ${autocannonVersion()}`;
    if (!hasWrk) log("wrk is not installed: the closed loop uses autocannon (from node_modules); apt-get install -y wrk to use wrk");
  }
  const cpus = machineInfo().cpus;
  const taskset = Boolean(tryRun("sh", ["-c", "command -v taskset"])) && cpus >= 2;
  if (!taskset) log(cpus < 2 ? "one CPU: server and load share it; figures are pessimistic" : "taskset not found: server and load are not pinned");
  const workerdVersion = tryRun(workerdBinary(root), ["--version"]);
  return { load, closedLoop: wanted, taskset, workerd: workerdVersion };
}

// ---- helpers ----

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** GET with a Host header (Node's fetch cannot set one). */
function httpGet(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, headers: { host: BENCH_HOST, ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function admin(port, token, method, path, body) {
  const res = await fetch(`http://127.0.0.1:${port}/_mesh${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body,
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  if (!res.ok) throw new Error(`${method} /_mesh${path}: ${res.status} ${text.slice(0, 500)}`);
  return json;
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function rssMiB(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

// ---- one workerd process per scenario ----

/** Writes the capnp config for `scenario` and returns what starting it needs. */
async function scenarioProcess(scenario, built, wrangler, token) {
  const dir = join(workDir, scenario.id);
  const ports = {};
  for (const w of scenario.workers) ports[w] = await freePort();
  const workers = [];
  const sockets = [];
  for (const name of scenario.workers) {
    if (name === "origin") {
      workers.push({ name, module: built.origin, compatibilityDate: wrangler.compatibilityDate });
    } else if (name === "passthrough") {
      workers.push({ name, module: built.passthrough, compatibilityDate: wrangler.compatibilityDate, bindings: [{ name: "ORIGIN", service: "origin" }] });
    } else if (name === "peer") {
      // The hand-written gateway: the origin binding plus the scenario's text bindings (JWKS, issuer, audience).
      const text = Object.entries(scenario.peerVars ?? {}).map(([n, t]) => ({ name: n, text: t }));
      workers.push({ name, module: built.peer, compatibilityDate: wrangler.compatibilityDate, compatibilityFlags: wrangler.compatibilityFlags,
        bindings: [{ name: "ORIGIN", service: "origin" }, ...text] });
    } else if (name === "gateway") {
      // Every Durable Object class the bundle exports, bound under wrangler.toml's binding names.
      const dos = wrangler.durableObjects.filter((d) => built.gateway.exports.includes(d.className));
      const vars = {
        ...wrangler.vars,
        ADMIN_TOKEN: token,
        ADMIN_PREFIX: "/_mesh",
        GATEWAY_LABELS: "istio=ingressgateway",
        GATEWAY_NAMESPACE: "istio-system",
        TRUST_DOMAIN: "cluster.local",
        ...(scenario.gatewayVars ?? {}),
      };
      workers.push({
        name,
        module: built.gateway.path,
        compatibilityDate: wrangler.compatibilityDate,
        compatibilityFlags: wrangler.compatibilityFlags,
        bindings: [
          { name: "ORIGIN", service: "origin" },
          ...Object.entries(vars).map(([n, text]) => ({ name: n, text })),
          ...dos.map((d) => ({ name: d.name, durableObject: d.className })),
        ],
        durableObjects: dos.map((d) => ({ className: d.className, sqlite: d.sqlite })),
        storageDir: join(dir, "do-storage"),
      });
    } else throw new Error(`unknown worker ${name}`);
    sockets.push({ name, port: ports[name], service: name });
  }
  const config = writeWorkerdConfig(join(dir, "config.capnp"), { workers, sockets, v8Flags: opts.v8Flags });
  return {
    ports,
    entryPort: ports[scenario.entry],
    start: (extra = {}) =>
      startWorkerd({ root, config, cpu: opts.serverCpu, taskset: preflightInfo.taskset, log: join(dir, "workerd.log"), ports: Object.values(ports), ...extra }),
  };
}

/** Gateway scenarios: store the config once (Durable Object on disk), check routing, count DO calls. */
async function prepare(scenario, proc, token) {
  const server = await proc.start();
  let version;
  try {
    const { base, virtualServices } = (scenario.gatewayApi ? gatewayApiResources : meshResources)(scenario.routes);
    const extra = (await scenario.resources?.(scenario.routes)) ?? [];
    const t0 = performance.now();
    for (const body of applyBatches([...base, ...virtualServices, ...extra])) {
      ({ version } = await admin(proc.entryPort, token, "POST", "/apply", body));
    }
    const applyMs = performance.now() - t0;
    const v = await admin(proc.entryPort, token, "GET", "/version");
    if (v.version !== version) throw new Error(`version after apply is ${v.version}, expected ${version}`);
    const explain = await admin(proc.entryPort, token, "POST", "/explain", JSON.stringify({
      method: "GET", url: `http://${BENCH_HOST}${scenario.request.path}`, headers: { host: BENCH_HOST, ...scenario.request.headers },
    }));
    // The route explain reports (its shape has changed before: accept both).
    const routeName = explain.stages?.route?.name ?? explain.decision?.routeName;
    // The load must measure forwarded requests, not a local reply (a 403 or 429 costs far less).
    if (explain.outcome !== undefined && explain.outcome !== "forward") {
      throw new Error(`scenario ${scenario.id}: explain's outcome is ${explain.outcome} (${explain.details ?? explain.flags ?? ""}), not a forwarded request`);
    }
    if (scenario.expectRoute && routeName === undefined) {
      log(`scenario ${scenario.id}: could not read the route from explain (${JSON.stringify(explain).slice(0, 200)}...); not checked`);
    } else if (scenario.expectRoute && routeName !== scenario.expectRoute) {
      throw new Error(`scenario ${scenario.id}: explain says route ${routeName}, expected ${scenario.expectRoute}: ${explain.outcome ?? ""}`);
    }
    log(`scenario ${scenario.id}: ${scenario.routes} routes applied as version ${version} in ${applyMs.toFixed(0)} ms; request → ${routeName}`);
    scenario.prepared = { version, applyMs, routeName };
  } finally {
    await server.stop({ graceful: true });
  }
  // DO calls: a fresh process (cold isolate) under fixed-rate load, with workerd's async trace on.
  const trace = join(workDir, scenario.id, "async-trace.jsonl");
  rmSync(trace, { force: true });
  const traced = await proc.start({ asyncTrace: trace });
  try {
    const v = varied(scenario);
    await fixedRate({ root, url: `http://127.0.0.1:${proc.entryPort}${scenario.request.path}`, host: BENCH_HOST, headers: scenario.request.headers,
      rate: opts.rate, seconds: opts.traceSeconds, warmup: 0, connections: opts.fixConnections, cpu: preflightInfo.taskset ? opts.loadCpu : undefined,
      requestModule: v.requestModule, env: v.env });
    v.advance(opts.rate * opts.traceSeconds);
  } finally {
    await traced.stop({ graceful: true });
  }
  scenario.doCalls = await analyzeTrace(trace, "gateway");
  rmSync(trace, { force: true });
  const d = scenario.doCalls;
  log(`scenario ${scenario.id}: ${d.forwarded} traced requests, ${d.doCalls} DO calls (${d.steadyDoCalls} in steady state), awaited: cold ${d.coldAwaited}, steady ${d.steadyAwaited}`);
}

/** `seconds` of closed-loop load on `scenario`'s entry, with the run's generator and the scenario's requests. */
function closedLoopOf(scenario, proc) {
  const url = `http://127.0.0.1:${proc.entryPort}${scenario.request.path}`;
  const common = { url, host: BENCH_HOST, headers: scenario.request.headers, cpu: preflightInfo.taskset ? opts.loadCpu : undefined };
  return async (seconds) => {
    const v = varied(scenario);
    if (preflightInfo.closedLoop === "autocannon") {
      const w = await autocannonLoad({ ...common, root, seconds, connections: opts.satConnections, requestModule: v.requestModule, env: v.env });
      v.advance(w.issued + 2 * opts.satConnections);
      return w;
    }
    const w = await wrk({ ...common, seconds, connections: opts.satConnections, script: v.script, env: v.env });
    v.advance(wrkIssued(w, opts.satConnections));
    return w;
  };
}

/** One repetition of one scenario: fresh process, warm-up, closed loop, fixed rate. */
async function measure(scenario, proc) {
  const server = await proc.start();
  const url = `http://127.0.0.1:${proc.entryPort}${scenario.request.path}`;
  const loadCpu = preflightInfo.taskset ? opts.loadCpu : undefined;
  const common = { url, host: BENCH_HOST, headers: scenario.request.headers, cpu: loadCpu };
  const { warmSeconds, satSeconds, fixSeconds } = phasesOf(scenario);
  const closedLoop = closedLoopOf(scenario, proc);
  try {
    const probe = await httpGet(proc.entryPort, scenario.request.path, scenario.request.headers);
    if (probe.status !== 200) throw new Error(`scenario ${scenario.id}: ${scenario.request.path} answered ${probe.status} ${probe.body.slice(0, 200)}`);
    await closedLoop(warmSeconds);

    const load0 = loadAverage();
    let m0 = machineCounters();
    let q0 = processSchedstat(server.pid);
    let c0 = processCpuSeconds(server.pid);
    const w = await closedLoop(satSeconds);
    let c1 = processCpuSeconds(server.pid);
    let delay = runDelay(q0, processSchedstat(server.pid));
    let share = machineShare(m0, machineCounters());
    if (w.non2xx || w.socketErrors) log(`scenario ${scenario.id}: ${preflightInfo.closedLoop} saw ${w.non2xx} non-2xx, ${w.socketErrors ?? "no socket errors"}`);
    const sat = {
      rps: w.rps,
      requests: w.requests,
      cpuSeconds: c1 - c0,
      cpuUsPerReq: ((c1 - c0) * 1e6) / w.requests,
      serverCoreBusyPct: (100 * (c1 - c0)) / satSeconds,
      non2xx: w.non2xx,
      socketErrors: w.socketErrors,
      stealPct: share.stealPct,
      runDelayMs: delay.waitMs,
      runDelayPerSliceUs: delay.perSliceUs,
      loadAvg: load0,
    };

    m0 = machineCounters();
    q0 = processSchedstat(server.pid);
    c0 = processCpuSeconds(server.pid);
    const v = varied(scenario);
    const f = await fixedRate({ ...common, root, rate: opts.rate, seconds: fixSeconds, warmup: 1, connections: opts.fixConnections, requestModule: v.requestModule, env: v.env });
    v.advance(Math.round(opts.rate * 1) + Math.round(opts.rate * fixSeconds));
    c1 = processCpuSeconds(server.pid);
    delay = runDelay(q0, processSchedstat(server.pid));
    share = machineShare(m0, machineCounters());
    const served = f.totalCompleted ?? f.completed;
    const fix = {
      ...f,
      p50: f.latency.p50,
      p90: f.latency.p90,
      p99: f.latency.p99,
      p999: f.latency.p999,
      max: f.latency.max,
      cpuUsPerReq: ((c1 - c0) * 1e6) / served,
      stealPct: share.stealPct,
      runDelayMs: delay.waitMs,
      runDelayPerSliceUs: delay.perSliceUs,
    };
    return { sat, fix, rssMiB: rssMiB(server.pid) };
  } finally {
    await server.stop();
  }
}

async function micro(built, wrangler) {
  const port = await freePort();
  const dir = join(workDir, "micro");
  const config = writeWorkerdConfig(join(dir, "config.capnp"), {
    workers: [{ name: "micro", module: built.micro.path, compatibilityDate: wrangler.compatibilityDate }],
    sockets: [{ name: "micro", port, service: "micro" }],
    v8Flags: opts.v8Flags,
  });
  const server = await startWorkerd({ root, config, cpu: opts.serverCpu, taskset: preflightInfo.taskset, log: join(dir, "workerd.log"), ports: [port] });
  try {
    const get = async (path) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      const json = await res.json();
      if (!res.ok) throw new Error(`micro ${path}: ${json.error ?? res.status}`);
      return json;
    };
    const compile = await get(`/compile?routes=${MICRO_ROUTES}&reps=${opts.compileReps}`);
    const match = await get(`/match?routes=${MICRO_ROUTES}&samples=${opts.microSamples}&batchMs=${opts.quick ? 10 : 20}`);
    const ops = await get(`/ops?batchMs=${opts.quick ? 10 : 15}`);
    const jwt = await get(`/jwt?samples=3`);
    const batchMs = opts.quick ? 10 : 15;
    const destination = {
      none: await get(`/destination?policies=0&batchMs=${batchMs}`),
      ten: await get(`/destination?policies=10&batchMs=${batchMs}`),
    };
    destination.noneUs = destination.none.us;
    destination.tenUs = destination.ten.us;
    destination.noneMinUs = destination.none.minUs;
    destination.tenMinUs = destination.ten.minUs;
    const telemetry = await get(`/telemetry?batchMs=${batchMs}`);
    return { compile, match, ops, jwt, destination, telemetry };
  } finally {
    await server.stop();
  }
}

// ---- main ----

const preflightInfo = preflight();
// This process (and every thread of it) stays off the server's core too.
if (preflightInfo.taskset) tryRun("taskset", ["-a", "-p", "-c", opts.loadCpu, String(process.pid)]);

async function costsOnly() {
  const started = new Date();
  rmSync(workDir, { recursive: true, force: true });
  const wrangler = readWranglerSettings(join(root, "wrangler.toml"));
  const reps = Number(option("--reps", 3));
  const seconds = Number(option("--seconds", 4));
  const rows = await costLadder({
    root, workDir, compatibilityDate: wrangler.compatibilityDate, serverCpu: opts.serverCpu, loadCpu: opts.loadCpu,
    taskset: preflightInfo.taskset, reps, seconds, freePort, log, generator: preflightInfo.closedLoop, only: opts.only,
  });
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `costs-${started.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ date: started.toISOString(), machine: machineInfo(), tools: preflightInfo, reps, seconds, rows }, null, 2) + "\n");
  console.log(renderCosts(rows, { reps, seconds, generator: preflightInfo.closedLoop }));
  log(`raw results: ${file}`);
  if (!flag("--keep-work")) rmSync(workDir, { recursive: true, force: true });
}

/** `--profile <id>`: a CPU profile of the scenario's entry Worker under load (bench/profile.mjs). */
async function profileOnly(id, built, wrangler, token) {
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (!scenario) throw new Error(`--profile: no scenario ${id} (${SCENARIOS.map((s) => s.id).join(", ")})`);
  const proc = await scenarioProcess(scenario, built, wrangler, token);
  if (scenario.setup) scenario.loadEnv = (await scenario.setup(join(workDir, scenario.id)))?.env;
  if (scenario.workers.includes("gateway")) await prepare(scenario, proc, token);
  const inspector = await freePort();
  const server = await proc.start({ inspector });
  const seconds = opts.satSeconds;
  try {
    const load = closedLoopOf(scenario, proc);
    await load(opts.warmSeconds);
    let requests = 0;
    if (flag("--allocations")) {
      const profile = await allocationsDuring(inspector, scenario.entry, async () => {
        requests = (await load(seconds)).requests;
      });
      console.log(`## Allocations of scenario ${scenario.id} (${scenario.entry}), ${requests} requests in ${seconds} s\n`);
      console.log(summarizeAllocations(profile, requests, Number(option("--top", 30))));
      return;
    }
    const profile = await profileDuring(inspector, scenario.entry, async () => {
      requests = (await load(seconds)).requests;
    }, { intervalUs: Number(option("--interval", 100)) });
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, `${scenario.id}-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`## CPU profile of scenario ${scenario.id} (${scenario.entry}), ${requests} requests in ${seconds} s\n`);
    console.log(summarizeProfile(profile, Number(option("--top", 40))));
    log(`profile: ${file}`);
  } finally {
    await server.stop();
  }
}

async function main() {
  if (flag("--costs")) return costsOnly();
  const started = new Date();
  const t0 = performance.now();
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const loadBefore = loadAverage();
  if (loadBefore > 0.5) log(`load average is ${loadBefore}: other processes are running, figures will be noisy`);

  const wrangler = readWranglerSettings(join(root, "wrangler.toml"));
  const gatewayBundle = option("--gateway-bundle", undefined);
  const built = await buildAll(root, workDir, { gatewayBundle: gatewayBundle && resolve(gatewayBundle) });
  log(`built gateway (${(built.gateway.bytes / 1024).toFixed(0)} KiB; exports ${built.gateway.exports.join(", ")})`);

  const token = `bench-${randomBytes(12).toString("hex")}`;
  const profiled = option("--profile", undefined);
  if (profiled) return profileOnly(profiled, built, wrangler, token);
  const scenarios = SCENARIOS.filter((s) => !opts.only.length || opts.only.includes(s.id) || s.floor);
  const procs = new Map();
  for (const s of scenarios) procs.set(s.id, await scenarioProcess(s, built, wrangler, token));
  for (const s of scenarios) {
    if (!s.setup) continue;
    const t = performance.now();
    s.loadEnv = (await s.setup(join(workDir, s.id)))?.env;
    log(`scenario ${s.id}: set up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  for (const s of scenarios) if (s.workers.includes("gateway")) await prepare(s, procs.get(s.id), token);

  const runs = Object.fromEntries(scenarios.map((s) => [s.id, []]));
  for (let rep = 0; rep < opts.reps; rep++) {
    // Interleaved, and rotated each repetition so no scenario always runs first or last.
    const order = scenarios.map((_, i) => scenarios[(i + rep) % scenarios.length]);
    for (const s of order) {
      const r = await measure(s, procs.get(s.id));
      runs[s.id].push(r);
      log(`rep ${rep + 1}/${opts.reps} ${s.id}: ${r.sat.rps.toFixed(0)} rps, ${r.sat.cpuUsPerReq.toFixed(1)} µs CPU/req; ` +
        `@${opts.rate}/s p50 ${r.fix.p50.toFixed(2)} p99 ${r.fix.p99.toFixed(2)} max ${r.fix.max.toFixed(1)} ms`);
    }
  }

  const microResults = opts.micro ? await micro(built, wrangler) : undefined;
  const elapsedSeconds = (performance.now() - t0) / 1000;

  const results = {
    date: started.toISOString(),
    elapsedSeconds,
    machine: { ...machineInfo(), loadAverageBefore: loadBefore },
    tools: { ...preflightInfo, esbuild: (await import("esbuild")).version },
    options: opts,
    gatewayBundle: { bytes: built.gateway.bytes, exports: built.gateway.exports, prebuilt: gatewayBundle ?? null },
    scenarios: scenarios.map((s) => ({
      id: s.id, title: s.title, floor: Boolean(s.floor), routes: s.routes, request: s.request, phases: phasesOf(s),
      varied: s.wrkScript || s.requestModule ? { wrkScript: s.wrkScript, requestModule: s.requestModule } : undefined,
      prepared: s.prepared, doCalls: s.doCalls, runs: runs[s.id],
    })),
    micro: microResults,
  };
  results.summary = summarize(results, scenarios, median);
  results.targets = [...results.summary.targets, ...microTargets(results, MICRO_TARGETS)];

  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${started.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  console.log(renderReport(results));
  log(`raw results: ${file} (${elapsedSeconds.toFixed(0)} s)`);
  if (!flag("--keep-work")) rmSync(workDir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e?.stack ?? e);
  process.exit(1);
});
