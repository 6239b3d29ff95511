/**
 * Counts Durable Object calls per request from a workerd `--async-trace` file, and which of them a
 * request actually waited for. The trace records every request, operation and continuation with
 * "what caused what": an operation's `trigger` is the operation whose completion ran the code that
 * started it. So a DO call is *awaited* by a request when the request's upstream subrequest (the
 * `fetch` that forwards it) descends from that call's completion; a refresh scheduled with
 * `ctx.waitUntil` runs beside the forward and is not in its ancestry.
 *
 * Requests are the gateway's incoming `fetch` requests (stateless contexts of the gateway worker);
 * DO calls are Durable Object requests (`jsrpc`/`fetch` in an actor context) linked from them.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/** Operations that reach a Durable Object from the caller's side. */
const DO_OPERATIONS = new Set(["jsRpcCall", "durable_object_subrequest"]);

/**
 * @param {string} path  the trace file
 * @param {string} worker  the gateway's service name
 */
export async function analyzeTrace(path, worker) {
  /** ctx → { worker, actor } */
  const contexts = new Map();
  /** ctx → (id → { kind, name, trigger, at }) */
  const nodes = new Map();
  const nodesOf = (ctx) => {
    let m = nodes.get(ctx);
    if (!m) nodes.set(ctx, (m = new Map()));
    return m;
  };
  /** Gateway request contexts in order of arrival. */
  const requestCtxs = [];
  /** gateway ctx → number of DO requests linked from it */
  const doCallsFrom = new Map();
  const rl = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) continue;
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      continue; // a line cut short when the process stopped
    }
    if (e.e === "ctx") contexts.set(e.ctx, { worker: e.worker, actor: e.actor });
    else if (e.e === "init") {
      nodesOf(e.ctx).set(e.id, { kind: e.kind, name: e.name, trigger: e.trigger, at: e.at });
      const c = contexts.get(e.ctx);
      if (c && c.worker === worker && c.actor === null && e.kind === "request" && e.name === "fetch" && e.trigger === 0) requestCtxs.push(e.ctx);
    } else if (e.e === "link") {
      const target = contexts.get(e.ctx);
      const node = nodes.get(e.ctx)?.get(e.id);
      if (target?.actor && node?.kind === "request") doCallsFrom.set(e.fromCtx, (doCallsFrom.get(e.fromCtx) ?? 0) + 1);
    }
  }

  const perRequest = requestCtxs.map((ctx) => {
    const own = nodes.get(ctx) ?? new Map();
    const upstream = [];
    let doOps = 0;
    for (const [id, n] of own) {
      if (n.kind === "operation" && n.name === "fetch") upstream.push(id);
      if (n.kind === "operation" && DO_OPERATIONS.has(n.name)) doOps++;
    }
    // DO operations on the causal path to the first upstream subrequest.
    let awaited = 0;
    if (upstream.length) {
      const seen = new Set();
      let id = upstream.sort((a, b) => own.get(a).at - own.get(b).at)[0];
      while (id && !seen.has(id)) {
        seen.add(id);
        const n = own.get(id);
        if (!n) break;
        if (n.kind === "operation" && DO_OPERATIONS.has(n.name)) awaited++;
        id = n.trigger;
      }
    }
    return { ctx, forwarded: upstream.length > 0, doCalls: doCallsFrom.get(ctx) ?? 0, doOps, awaited };
  });

  const forwarded = perRequest.filter((r) => r.forwarded);
  // The isolate's first request loads the config (a cold start); steady state is everything after it.
  const steady = forwarded.slice(1);
  const sum = (rs, f) => rs.reduce((a, r) => a + r[f], 0);
  return {
    requests: perRequest.length,
    forwarded: forwarded.length,
    coldAwaited: forwarded[0]?.awaited ?? 0,
    doCalls: sum(perRequest, "doCalls"),
    doCallsPerRequest: perRequest.length ? sum(perRequest, "doCalls") / perRequest.length : 0,
    steadyRequests: steady.length,
    steadyDoCalls: sum(steady, "doCalls"),
    steadyAwaited: sum(steady, "awaited"),
    steadyAwaitedPerRequest: steady.length ? sum(steady, "awaited") / steady.length : 0,
    maxAwaitedPerRequest: steady.reduce((m, r) => Math.max(m, r.awaited), 0),
  };
}
