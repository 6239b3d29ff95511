#!/usr/bin/env node
/**
 * A fixed-rate (open-loop) HTTP/1.1 load generator, wrk2-style: request k is due at start + k/rate
 * whether or not earlier ones have answered, and its latency is measured from when it was issued —
 * including any wait for a free connection — so a server stall shows up in every request it delayed
 * (no coordinated omission). Keep-alive connections from one http.Agent; Node's fetch cannot set
 * Host, http.request can.
 *
 *   node bench/fixed-rate.mjs --url http://127.0.0.1:18080/svc50/items/42 --host bench.example.com \
 *     --rate 1000 --duration 10 --connections 16 --warmup 1 [--header 'x-tenant: t9'] [--request-module m.mjs]
 *
 * Prints one JSON object: sent, completed, errors, status counts, achieved rate, and latency
 * percentiles in ms — `latency` (from issue), `corrected` (from the due time), `service` (from the
 * actual send) and the generator's own `lag`.
 * A request module, if given, exports `request(k)` → `{ path?, headers? }` to vary requests (e.g. a
 * fresh JWT per request for cache-miss scenarios); k counts the run's requests from 0, warm-up included,
 * so no two requests of one run share a k.
 */
import http from "node:http";
import { pathToFileURL } from "node:url";
import { parseLoadArgs } from "./load-args.mjs";

const parseArgs = (argv) => parseLoadArgs(argv, { rate: 1000, duration: 10, connections: 16, warmup: 0 });

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

export function percentiles(values) {
  const s = Float64Array.from(values).sort();
  const at = (q) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: s.length ? s[s.length - 1] : NaN, mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
}

export async function runFixedRate(opts) {
  const url = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections, maxFreeSockets: opts.connections });
  const vary = opts.requestModule ? (await import(pathToFileURL(opts.requestModule).href)).request : undefined;
  const baseHeaders = { ...opts.headers, ...(opts.host ? { host: opts.host } : {}) };
  const corrected = [];
  const service = [];
  const latency = [];
  const lag = [];
  const statuses = {};
  let sent = 0;
  let errors = 0;
  let inFlight = 0;
  let answered = 0;

  const send = (due, record) => {
    const v = vary ? vary(sent) : undefined;
    const headers = v?.headers ? { ...baseHeaders, ...v.headers } : baseHeaders;
    inFlight++;
    sent++;
    const issuedAt = nowMs();
    if (record) lag.push(issuedAt - due);
    let sentAt = 0;
    const req = http.request({ agent, host: url.hostname, port: url.port, method: "GET", path: v?.path ?? url.pathname + url.search, headers }, (res) => {
      res.on("data", () => {});
      res.on("end", () => {
        const end = nowMs();
        inFlight--;
        answered++;
        if (record) {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          latency.push(end - issuedAt);
          corrected.push(end - due);
          service.push(end - sentAt);
        }
      });
    });
    // The agent may queue the request until a socket is free; `socket` marks the actual send.
    req.on("socket", () => (sentAt = nowMs()));
    req.on("error", () => {
      inFlight--;
      if (record) errors++;
    });
    req.end();
  };

  const phase = (seconds, record) =>
    new Promise((resolve) => {
      const start = nowMs();
      const total = Math.round(seconds * opts.rate);
      let k = 0;
      const pump = () => {
        const t = nowMs();
        while (k < total && start + (k * 1000) / opts.rate <= t) {
          send(start + (k * 1000) / opts.rate, record);
          k++;
        }
        // A 1 ms timer, not a spin: on a 2-core machine a spinning generator pushes every other
        // process onto the server's core. Requests issued late are sent together; latency is taken
        // from when each was issued (`lag` records how late that was).
        if (k < total) setTimeout(pump, 1);
        else resolve(start);
      };
      pump();
    });

  if (opts.warmup > 0) await phase(opts.warmup, false);
  const warmSent = sent;
  const start = await phase(opts.duration, true);
  // Wait for stragglers (bounded).
  const deadline = nowMs() + 5000;
  while (inFlight > 0 && nowMs() < deadline) await new Promise((r) => setTimeout(r, 5));
  const elapsed = (nowMs() - start) / 1000;
  agent.destroy();
  return {
    rate: opts.rate,
    duration: opts.duration,
    connections: opts.connections,
    sent: sent - warmSent,
    completed: corrected.length,
    /** Every response, warm-up included (for CPU per request over the whole run). */
    totalCompleted: answered,
    errors,
    statuses,
    achievedRps: corrected.length / elapsed,
    /** From when the generator issued the request: waiting for a free connection included. */
    latency: percentiles(latency),
    /** From when the request was due (includes the generator's own timer lag, ≤ ~1 ms). */
    corrected: percentiles(corrected),
    /** From when a connection took the request (what closed-loop tools report). */
    service: percentiles(service),
    /** How late the generator issued requests. */
    lag: percentiles(lag),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runFixedRate(parseArgs(process.argv.slice(2)));
  process.stdout.write(JSON.stringify(result) + "\n");
}
