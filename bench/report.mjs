/**
 * Medians, ratios to the floor, target verdicts, and the markdown tables `npm run bench` prints
 * (docs/performance.md quotes them).
 */

const METRICS = {
  "sat.rps": (r) => r.sat.rps,
  "sat.cpuUsPerReq": (r) => r.sat.cpuUsPerReq,
  "fix.p50": (r) => r.fix.p50,
  "fix.p90": (r) => r.fix.p90,
  "fix.p99": (r) => r.fix.p99,
  "fix.p999": (r) => r.fix.p999,
  "fix.max": (r) => r.fix.max,
  "fix.serviceP50": (r) => r.fix.service.p50,
  "fix.serviceP99": (r) => r.fix.service.p99,
  "fix.achievedRps": (r) => r.fix.achievedRps,
  "fix.cpuUsPerReq": (r) => r.fix.cpuUsPerReq,
  "fix.runDelayPerSliceUs": (r) => r.fix.runDelayPerSliceUs,
  "sat.runDelayPerSliceUs": (r) => r.sat.runDelayPerSliceUs,
  rssMiB: (r) => r.rssMiB,
};

/** Per scenario: median, min and max of every metric over the repetitions, and the ratio of the median to the floor's. */
export function summarize(results, scenarios, median) {
  const floor = results.scenarios.find((s) => s.floor);
  const stats = (runs, f) => {
    const xs = runs.map(f).filter(Number.isFinite);
    return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  };
  const floorMedians = Object.fromEntries(Object.entries(METRICS).map(([k, f]) => [k, stats(floor?.runs ?? [], f).median]));
  const perScenario = {};
  for (const s of results.scenarios) {
    const metrics = {};
    for (const [k, f] of Object.entries(METRICS)) {
      const st = stats(s.runs, f);
      metrics[k] = { ...st, ratio: st.median / floorMedians[k] };
    }
    perScenario[s.id] = metrics;
  }

  const value = (s, metric) => {
    if (metric.startsWith("do.")) return s.doCalls?.[metric.slice(3)];
    return perScenario[s.id]?.[metric]?.median;
  };
  const targets = [];
  for (const def of scenarios) {
    const s = results.scenarios.find((x) => x.id === def.id);
    for (const t of def.targets ?? []) {
      const v = value(s, t.metric);
      // The reference: the floor, or the scenario `of` names (the hand-written peer, (e) for (f)).
      const ref = t.max.of ? results.scenarios.find((x) => x.id === t.max.of) : undefined;
      if (t.max.of && !ref) continue; // that scenario was not run (--only)
      const f = t.metric.startsWith("do.") ? undefined : ref ? value(ref, t.metric) : floorMedians[t.metric];
      const refName = ref ? `(${ref.id})` : "floor";
      let pass;
      let measured;
      if (t.max.ratio !== undefined) {
        pass = v / f <= t.max.ratio;
        measured = `${fmt(v, 1)} vs ${refName} ${fmt(f, 1)} = ${fmt(v / f, 2)}×`;
      } else if (t.max.deltaUs !== undefined) {
        pass = v - f <= t.max.deltaUs;
        measured = `${fmt(v, 1)} − ${refName} ${fmt(f, 1)} = ${v - f >= 0 ? "+" : ""}${fmt(v - f, 1)} µs`;
      } else {
        pass = v <= t.max.value;
        measured = t.metric.startsWith("do.")
          ? `${v} (max per request over ${s.doCalls?.steadyRequests} steady-state requests; ${s.doCalls?.steadyDoCalls} DO call${s.doCalls?.steadyDoCalls === 1 ? "" : "s"} in all, ${s.doCalls?.steadyAwaited} awaited)`
          : fmt(v, 2);
      }
      if (v === undefined || Number.isNaN(v)) pass = false;
      targets.push({ scenario: def.id, label: t.label, metric: t.metric, value: v, measured, pass });
    }
  }
  return { floor: floor?.id, perScenario, targets };
}

/** Adds the microbenchmark targets (they have no floor). */
export function microTargets(results, defs) {
  const out = [];
  if (!results.micro) return out;
  for (const t of defs) {
    const [group, key] = t.metric.split(".");
    const v = results.micro[group]?.[key];
    out.push({ scenario: "micro", label: t.label, metric: t.metric, value: v, measured: `${fmt(v, 2)} ${t.unit}`, pass: Number.isFinite(v) && v <= t.max.value });
  }
  return out;
}

export function fmt(x, digits = 1) {
  if (x === undefined || x === null || Number.isNaN(x)) return "–";
  return Number(x).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Mean scheduler delay per wake-up above which another process evidently shared the server's core (idle wake-ups on this VM cost ≈ 40 µs). */
const RUN_DELAY_WARN_US = 150;

const ratio = (m) => (Number.isFinite(m?.ratio) ? `${fmt(m.ratio, 2)}×` : "–");

/** The comparisons the targets are about, as one line: each scenario over the floor, (e) over the hand-written peer, (f) − (e). */
function sideBySide(results, stat) {
  const p = results.summary.perScenario;
  const cpu = (id) => p[id]?.["sat.cpuUsPerReq"]?.[stat];
  const out = [];
  for (const s of results.scenarios) if (!s.floor && Number.isFinite(cpu(s.id)) && cpu(results.summary.floor)) out.push(`${s.id} ${fmt(cpu(s.id) / cpu(results.summary.floor), 2)}× floor`);
  if (Number.isFinite(cpu("e")) && Number.isFinite(cpu("peer"))) out.push(`**(e)/peer ${fmt(cpu("e") / cpu("peer"), 2)}×**`);
  if (Number.isFinite(cpu("f")) && Number.isFinite(cpu("e"))) out.push(`(f) − (e) ${fmt(cpu("f") - cpu("e"), 1)} µs`);
  if (Number.isFinite(cpu("h")) && Number.isFinite(cpu("c"))) out.push(`(h) − (c) ${fmt(cpu("h") - cpu("c"), 1)} µs`);
  return out;
}

export function renderReport(results) {
  const o = results.options;
  const sum = results.summary;
  const lines = [];
  const m = results.machine;
  lines.push(`## Isthmus gateway benchmark, ${results.date.slice(0, 16).replace("T", " ")} UTC`);
  lines.push("");
  lines.push(`${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB, Linux ${m.kernel}; ${results.tools.workerd}; closed loop: ${results.tools.load}; Node ${m.node}. ` +
    `Server pinned to CPU ${o.serverCpu}, load to CPU ${o.loadCpu}${results.tools.taskset ? "" : " (NOT pinned: taskset unavailable)"}. ` +
    `Load average before the run: ${m.loadAverageBefore}. ${o.reps} interleaved repetition(s), median shown${o.reps > 1 ? " (min–max in brackets)" : ""}.${o.quick ? " **Quick run: smoke figures only.**" : ""}`);
  lines.push("");
  lines.push(`### Throughput and server CPU (closed loop: ${results.tools.closedLoop === "wrk" ? `wrk -t1 -c${o.satConnections}` : `autocannon -c${o.satConnections}, no pipelining`}, ${o.satSeconds} s after ${o.warmSeconds} s warm-up)`);
  lines.push("");
  lines.push("| | scenario | req/s | × floor | server CPU µs/req | × floor | RSS MiB |");
  lines.push("|---|---|--:|--:|--:|--:|--:|");
  const range = (x, d) => (o.reps > 1 ? ` (${fmt(x.min, d)}–${fmt(x.max, d)})` : "");
  for (const s of results.scenarios) {
    const p = sum.perScenario[s.id];
    lines.push(`| ${s.id} | ${s.title} | ${fmt(p["sat.rps"].median, 0)}${range(p["sat.rps"], 0)} | ${ratio(p["sat.rps"])} | ` +
      `${fmt(p["sat.cpuUsPerReq"].median, 1)}${range(p["sat.cpuUsPerReq"], 1)} | ${ratio(p["sat.cpuUsPerReq"])} | ${fmt(p.rssMiB.median, 0)} |`);
  }
  const side = sideBySide(results, "median");
  if (side.length) {
    lines.push("", "Side by side (server CPU per request, medians of this run): " + side.join("; ") + ".");
    // Preemption and other processes only add CPU time: each scenario's fastest repetition is its least disturbed.
    if (o.reps > 1) lines.push("", "Side by side, fastest repetition of each: " + sideBySide(results, "min").join("; ") + ".");
  }
  lines.push("");
  lines.push(`### Latency at a fixed ${o.rate} req/s (open loop, ${o.fixConnections} keep-alive connections, ${o.fixSeconds} s; ms, from when each request was issued, waits for a connection included)`);
  lines.push("");
  lines.push("| | scenario | p50 | p90 | p99 | p99.9 | max | p50 × floor | p99 × floor | achieved req/s | server CPU µs/req | × floor | server run delay µs/wake-up |");
  lines.push("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const s of results.scenarios) {
    const p = sum.perScenario[s.id];
    lines.push(`| ${s.id} | ${s.title} | ${fmt(p["fix.p50"].median, 2)} | ${fmt(p["fix.p90"].median, 2)} | ${fmt(p["fix.p99"].median, 2)} | ` +
      `${fmt(p["fix.p999"].median, 1)} | ${fmt(p["fix.max"].median, 1)} | ${ratio(p["fix.p50"])} | ${ratio(p["fix.p99"])} | ` +
      `${fmt(p["fix.achievedRps"].median, 0)} | ${fmt(p["fix.cpuUsPerReq"].median, 1)} | ${ratio(p["fix.cpuUsPerReq"])} | ${fmt(p["fix.runDelayPerSliceUs"].median, 0)} |`);
  }
  const traced = results.scenarios.filter((s) => s.doCalls);
  if (traced.length) {
    lines.push("");
    lines.push(`### Durable Object calls per request (workerd --async-trace, fresh process, ${o.traceSeconds} s at ${o.rate} req/s)`);
    lines.push("");
    lines.push("| | scenario | requests | DO calls | DO calls/request | awaited by the cold first request | awaited in steady state |");
    lines.push("|---|---|--:|--:|--:|--:|--:|");
    for (const s of traced) {
      const d = s.doCalls;
      lines.push(`| ${s.id} | ${s.title} | ${d.forwarded} | ${d.doCalls} | ${fmt(d.doCallsPerRequest, 4)} | ${d.coldAwaited} | ${d.steadyAwaited} |`);
    }
  }
  if (results.micro) {
    const mc = results.micro.compile;
    const mm = results.micro.match;
    lines.push("");
    lines.push(`### Inside workerd, ${fmt(mm.routes, 0)} routes (one host, 100 VirtualServices)`);
    lines.push("");
    lines.push("| what | value |");
    lines.push("|---|--:|");
    lines.push(`| route match (virtual host + first matching route), p50 over ${mm.perRoute.length} routes spread over the table | ${fmt(mm.p50, 3)} µs |`);
    lines.push(`| route match p90 / max over those routes | ${fmt(mm.p90, 3)} / ${fmt(mm.max, 3)} µs |`);
    lines.push(`| first / middle / last route; no route (404 NR) | ${fmt(mm.first, 3)} / ${fmt(mm.middle, 3)} / ${fmt(mm.last, 3)}; ${fmt(mm.miss, 3)} µs |`);
    lines.push(`| snapshot compile (compileSnapshot), median of ${mc.reps} | ${fmt(mc.compileMs, 0)} ms |`);
    lines.push(`| isolate install of a new version (JSON.parse + buildRouter) | ${fmt(mc.installMs, 0)} ms |`);
    lines.push(`| admission (validate) / analyze, per apply of the whole set | ${fmt(mc.admissionMs, 0)} / ${fmt(mc.analyzeMs, 0)} ms |`);
    lines.push(`| snapshot size (JSON) | ${fmt(mc.snapshotBytes / 1024 / 1024, 2)} MiB |`);
    const jwt = results.micro.jwt;
    if (jwt) {
      lines.push("");
      lines.push("ES256 JWT inside the isolate (JavaScript-visible cost; the bench's RequestAuthentication):");
      lines.push("");
      lines.push("| operation | µs |");
      lines.push("|---|--:|");
      lines.push(`| crypto.subtle.verify (ECDSA P-256, key imported once) | ${fmt(jwt.verifyUs, 1)} |`);
      lines.push(`| authenticate(), token verified before (cache hit) | ${fmt(jwt.hitUs, 2)} |`);
      lines.push(`| authenticate(), new token (parse, checks, signature, cache insert) | ${fmt(jwt.missUs, 1)} |`);
    }
    const dest = results.micro.destination;
    if (dest) {
      lines.push("");
      lines.push("Destination stage inside the isolate (issue 7), per forwarded request, on the hydrated 100-route snapshot:");
      lines.push("");
      lines.push("| policies attached to the origin workload | µs, median of 7 batches | µs, fastest batch |");
      lines.push("|---|--:|--:|");
      lines.push(`| none (the stage is a lookup) | ${fmt(dest.noneUs, 3)} | ${fmt(dest.noneMinUs, 3)} |`);
      lines.push(`| 10 AuthorizationPolicies (6 DENY, 4 ALLOW, allowed by the last) | ${fmt(dest.tenUs, 3)} | ${fmt(dest.tenMinUs, 3)} |`);
    }
    const tel = results.micro.telemetry?.ops;
    if (tel) {
      lines.push("");
      lines.push("Stage 11 inside the isolate (issue 8's budgets: metrics + access log + unsampled trace context ≤ 5 µs; a sampled request's spans ≤ 20 µs), JavaScript-visible cost:");
      lines.push("");
      lines.push("| per request | µs, median of 5 batches | µs, fastest batch |");
      lines.push("|---|--:|--:|");
      for (const [name, v] of Object.entries(tel)) lines.push(`| ${name} | ${fmt(v.us, 2)} | ${fmt(v.minUs, 2)} |`);
    }
    const ops = results.micro.ops?.ops;
    if (ops) {
      lines.push("");
      lines.push("Per-request Web API plumbing inside the isolate (JavaScript-visible cost only; see `--costs` for process CPU):");
      lines.push("");
      lines.push("| operation | µs |");
      lines.push("|---|--:|");
      for (const [name, us] of Object.entries(ops)) lines.push(`| ${name.trim()} | ${fmt(us, 2)} |`);
    }
  }
  const warnings = [];
  for (const s of results.scenarios) {
    s.runs.forEach((r, i) => {
      if (r.sat.non2xx) warnings.push(`${s.id} rep ${i + 1}: ${r.sat.non2xx} non-2xx answers under closed-loop load`);
      if (r.sat.socketErrors) warnings.push(`${s.id} rep ${i + 1}: ${results.tools.closedLoop} ${r.sat.socketErrors}`);
      const bad = Object.entries(r.fix.statuses ?? {}).filter(([code]) => code !== "200");
      if (r.fix.errors || bad.length) warnings.push(`${s.id} rep ${i + 1}: fixed-rate load saw ${r.fix.errors} errors, statuses ${JSON.stringify(r.fix.statuses)}`);
      if (r.fix.achievedRps < 0.95 * o.rate) warnings.push(`${s.id} rep ${i + 1}: fixed-rate load achieved ${fmt(r.fix.achievedRps, 0)} req/s of ${o.rate} (server or load generator fell behind)`);
      if (r.fix.runDelayPerSliceUs > RUN_DELAY_WARN_US) warnings.push(`${s.id} rep ${i + 1}: during the fixed-rate run the server waited ${fmt(r.fix.runDelayPerSliceUs, 0)} µs per wake-up for its core (${fmt(r.fix.runDelayMs, 0)} ms in all): other processes held it, so this run's latency measures the machine`);
      if (r.sat.stealPct > 5) warnings.push(`${s.id} rep ${i + 1}: ${fmt(r.sat.stealPct, 1)}% CPU steal during the closed-loop run`);
    });
  }
  if (warnings.length) {
    lines.push("");
    lines.push("Warnings:");
    for (const w of warnings) lines.push(`- ${w}`);
  }
  lines.push("");
  lines.push("### Targets");
  lines.push("");
  lines.push("| | target | measured | |");
  lines.push("|---|---|---|---|");
  for (const t of results.targets) lines.push(`| ${t.scenario} | ${t.label} | ${t.measured} | ${t.pass ? "PASS" : "**FAIL**"} |`);
  lines.push("");
  return lines.join("\n");
}
