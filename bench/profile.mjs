/**
 * `npm run bench -- --profile <id>`: a V8 CPU profile of one scenario under closed-loop load, taken
 * through workerd's inspector (`--inspector-addr`), so a cost ladder can name functions instead of
 * guessing. Writes bench/results/<id>-<time>.cpuprofile (open it in Chrome DevTools) and prints the
 * functions and source files with the most self time. The sampling interval and the inspector itself
 * slow the server; read the shares, not the absolute times.
 */

/** Talks the Chrome DevTools protocol to one inspector target (Node ≥ 22 has a global WebSocket). */
async function connect(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", () => reject(new Error(`inspector: cannot connect to ${url}`)), { once: true });
  });
  let next = 1;
  const waiting = new Map();
  ws.addEventListener("message", (event) => {
    const msg = JSON.parse(String(event.data));
    const w = msg.id !== undefined && waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(`inspector: ${msg.error.message}`));
    else w.resolve(msg.result);
  });
  return {
    send(method, params = {}) {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
    },
    close: () => ws.close(),
  };
}

/** The inspector target of the worker named `worker` (workerd lists one per service). */
export async function inspectorTarget(port, worker) {
  const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const target = list.find((t) => t.title === worker || t.id === worker || String(t.webSocketDebuggerUrl ?? "").endsWith(`/${worker}`)) ?? list[0];
  if (!target) throw new Error(`inspector: no target for ${worker} in ${JSON.stringify(list)}`);
  return target.webSocketDebuggerUrl ?? `ws://127.0.0.1:${port}/${worker}`;
}

/** Profiles `worker` while `load()` runs; returns the CDP Profile object. */
export async function profileDuring(port, worker, load, { intervalUs = 100 } = {}) {
  const session = await connect(await inspectorTarget(port, worker));
  try {
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: intervalUs });
    await session.send("Profiler.start");
    await load();
    const { profile } = await session.send("Profiler.stop");
    return profile;
  } finally {
    session.close();
  }
}

/** Samples allocations of `worker` while `load()` runs (V8's sampling heap profiler); returns the profile. */
export async function allocationsDuring(port, worker, load, { intervalBytes = 4096 } = {}) {
  const session = await connect(await inspectorTarget(port, worker));
  try {
    await session.send("HeapProfiler.enable");
    await session.send("HeapProfiler.startSampling", { samplingInterval: intervalBytes, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    await load();
    const { profile } = await session.send("HeapProfiler.stopSampling");
    return profile;
  } finally {
    session.close();
  }
}

/** Bytes allocated by function (self), largest first. */
export function summarizeAllocations(profile, requests, top = 30) {
  const bytes = new Map();
  let total = 0;
  const walk = (node) => {
    const f = node.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${(f.url || "(native)").split("/").pop()}:${f.lineNumber + 1}`;
    bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const c of node.children ?? []) walk(c);
  };
  walk(profile.head);
  const per = (n) => (requests ? `${(n / requests).toFixed(0).padStart(6)} B/request` : "");
  const rows = [...bytes].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, n]) => `${((100 * n) / total).toFixed(1).padStart(5)} %  ${per(n)}  ${k}`);
  return [`${(total / 1024 / 1024).toFixed(1)} MiB sampled${requests ? `, ${per(total)}` : ""}`, "", ...rows].join("\n");
}

/** Self time by function and by source file, as shares of all samples. */
export function summarizeProfile(profile, top = 40) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const fns = new Map();
  const files = new Map();
  for (const [id, n] of counts) {
    const f = byId.get(id).callFrame;
    const file = (f.url || "(native)").split("/").pop();
    const key = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + n);
    files.set(file, (files.get(file) ?? 0) + n);
  }
  const rows = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, n]) => `${((100 * n) / total).toFixed(1).padStart(5)} %  ${k}`);
  return [`${total} samples`, "", "self time by function:", ...rows(fns), "", "self time by file:", ...rows(files)].join("\n");
}
