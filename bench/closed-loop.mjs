#!/usr/bin/env node
/**
 * The closed-loop load when `wrk` is not installed: autocannon (a devDependency, so `npm install`
 * brings it), run in its own Node process so bench/load.mjs can pin it to the load core like wrk.
 * Same shape as `wrk -t1 -cN -dS`: N keep-alive HTTP/1.1 connections, one request in flight on each
 * (no pipelining), for S seconds.
 *
 *   node bench/closed-loop.mjs --url http://127.0.0.1:18080/svc50/items/42 --host bench.example.com \
 *     --connections 16 --duration 8 [--header 'x-tenant: t9'] [--request-module bench/requests/fresh-token.mjs]
 *
 * A request module (the one bench/fixed-rate.mjs takes) exports `request(k)` → `{ path?, headers? }`;
 * k counts this run's requests from 0, so BENCH_REQUEST_OFFSET continues a sequence across loads.
 * Prints one JSON object: requests (answered), issued, rps, non2xx, errors, timeouts, generator.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import autocannon from "autocannon";
import { parseLoadArgs } from "./load-args.mjs";

const parseArgs = (argv) => parseLoadArgs(argv, { connections: 16, duration: 8 });

/** autocannon's version, for the report. */
export function autocannonVersion() {
  return createRequire(import.meta.url)("autocannon/package.json").version;
}

export async function runClosedLoop(o) {
  const headers = { ...o.headers, ...(o.host ? { host: o.host } : {}) };
  const vary = o.requestModule ? (await import(pathToFileURL(o.requestModule).href)).request : undefined;
  let k = 0;
  const requests = vary
    ? [{
        setupRequest: (req) => {
          const r = vary(k++);
          return { ...req, ...(r.path ? { path: r.path } : {}), headers: { ...req.headers, ...r.headers } };
        },
      }]
    : undefined;
  const result = await autocannon({
    url: o.url,
    connections: o.connections,
    pipelining: 1,
    duration: o.duration,
    headers,
    requests,
    timeout: 5,
    renderProgressBar: false,
    renderResultsTable: false,
    renderLatencyTable: false,
  });
  return {
    generator: `autocannon ${autocannonVersion()}`,
    requests: result.requests.total,
    issued: Math.max(result.requests.sent, k),
    rps: result.requests.total / result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = await runClosedLoop(parseArgs(process.argv.slice(2)));
  console.log(JSON.stringify(out));
}
