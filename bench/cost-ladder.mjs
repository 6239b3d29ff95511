/**
 * `npm run bench -- --costs`: what common per-request operations cost in workerd, as process CPU per
 * request over the bare pass-through (bench/workers/cost-ladder.js). One workerd process runs the
 * origin and one Worker per variant; variants are loaded one at a time, interleaved, repeated, and
 * the median difference to the plain pass-through is the step's cost. Differences under ~5 µs are
 * within this machine's noise.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { closedLoop } from "./load.mjs";
import { processCpuSeconds } from "./system.mjs";
import { writeWorkerdConfig } from "./workerd-config.mjs";
import { startWorkerd } from "./workerd-process.mjs";

/** The variants, as data: id, steps (bench/workers/cost-ladder.js), what it stands for in a gateway. */
export const COST_VARIANTS = [
  { id: "plain", steps: [], what: "env.ORIGIN.fetch(request): the floor" },
  { id: "url", steps: ["url"], what: "new URL(request.url)" },
  { id: "query", steps: ["query"], what: "new URL(...).searchParams.get()" },
  { id: "headers", steps: ["headers"], what: "new Headers(request.headers) + 8 deletes + 2 sets (forwarded via new Request)", needs: ["request"] },
  { id: "request", steps: ["request"], what: "forward a new Request(url, {method, headers: request.headers}) instead of the original" },
  { id: "requestset", steps: ["requestset"], what: "new Request(url, {method, headers: request.headers}) + 2 headers.set on its copy (Isthmus's way)" },
  { id: "cloneset", steps: ["cloneset"], what: "new Request(request) + 2 headers.set on its copy" },
  { id: "fetchinit", steps: ["fetchinit"], what: "new Headers(request.headers) + 2 sets, then binding.fetch(url, {method, headers})" },
  { id: "abort", steps: ["abort"], what: "new AbortController + new Request(request, {signal})" },
  { id: "response", steps: ["response"], what: "new Response(res.body, res) + headers.set (a mutable response)" },
  { id: "log", steps: ["log"], what: "one console.log of an access-log line (Istio's default text format, ~300 bytes)" },
  { id: "uuid", steps: ["uuid"], what: "crypto.randomUUID()" },
  { id: "cf", steps: ["cf"], what: "read request.cf" },
  { id: "scan", steps: ["scan"], what: "request.headers.forEach (scan for x-envoy-*)" },
  { id: "awaits", steps: ["awaits"], what: "12 awaits of settled values (an async filter chain)" },
  { id: "all", steps: ["url", "query", "headers", "request", "abort", "response", "uuid", "cf", "scan", "awaits"], what: "all of the above together" },
];

export async function costLadder({ root, workDir, compatibilityDate, serverCpu, loadCpu, taskset, reps, seconds, freePort, log, generator = "wrk", only = [] }) {
  const variants = COST_VARIANTS.filter((v) => v.id === "plain" || !only.length || only.includes(v.id));
  const dir = join(workDir, "costs");
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(root, "bench/workers/origin.js"), join(dir, "origin.js"));
  copyFileSync(join(root, "bench/workers/cost-ladder.js"), join(dir, "cost-ladder.js"));
  const workers = [{ name: "origin", module: join(dir, "origin.js"), compatibilityDate }];
  const sockets = [];
  const ports = {};
  for (const v of variants) {
    // "headers" alone would copy and drop the copy; forwarding it needs a new Request too.
    const steps = v.needs ? [...v.steps, ...v.needs] : v.steps;
    const module = join(dir, `variant-${v.id}.js`);
    writeFileSync(module, `import { variant } from "./cost-ladder.js";\nexport default variant(${JSON.stringify(steps)});\n`);
    workers.push({ name: `v-${v.id}`, module, extraModules: [join(dir, "cost-ladder.js")], compatibilityDate, bindings: [{ name: "ORIGIN", service: "origin" }] });
    ports[v.id] = await freePort();
    sockets.push({ name: `v-${v.id}`, port: ports[v.id], service: `v-${v.id}` });
  }
  const config = writeWorkerdConfig(join(dir, "config.capnp"), { workers, sockets });
  const server = await startWorkerd({ root, config, cpu: serverCpu, taskset, log: join(dir, "workerd.log"), ports: Object.values(ports) });
  const samples = Object.fromEntries(variants.map((v) => [v.id, []]));
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (let i = 0; i < variants.length; i++) {
        const v = variants[(i + rep) % variants.length];
        const url = `http://127.0.0.1:${ports[v.id]}/svc50/items/42?color=blue`;
        const common = { root, url, host: "bench.example.com", connections: 16, cpu: taskset ? loadCpu : undefined };
        await closedLoop(generator, { ...common, seconds: 1 });
        const c0 = processCpuSeconds(server.pid);
        const w = await closedLoop(generator, { ...common, seconds });
        const c1 = processCpuSeconds(server.pid);
        samples[v.id].push(((c1 - c0) * 1e6) / w.requests);
      }
      log(`costs: repetition ${rep + 1}/${reps} done`);
    }
  } finally {
    await server.stop();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const plain = median(samples.plain);
  return variants.map((v) => ({ ...v, cpuUsPerReq: median(samples[v.id]), deltaUs: median(samples[v.id]) - plain, samples: samples[v.id] }));
}

export function renderCosts(rows, { reps, seconds, generator = "wrk" }) {
  const lines = [`### Per-request operation costs in workerd (process CPU over the plain pass-through; ${generator} -c16, ${seconds} s, median of ${reps})`, ""];
  lines.push("| variant | what it adds | CPU µs/req | Δ µs/req | samples |");
  lines.push("|---|---|--:|--:|---|");
  for (const r of rows) {
    lines.push(`| ${r.id} | ${r.what} | ${r.cpuUsPerReq.toFixed(1)} | ${r.id === "plain" ? "–" : (r.deltaUs >= 0 ? "+" : "") + r.deltaUs.toFixed(1)} | ${r.samples.map((x) => x.toFixed(0)).join(", ")} |`);
  }
  return lines.join("\n") + "\n";
}
