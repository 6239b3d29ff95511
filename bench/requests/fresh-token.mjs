/**
 * Request module for bench/fixed-rate.mjs: a different valid JWT on every request (scenario f, ES256
 * cache miss). Same file and same sequence as fresh-token.lua: request k of the run (warm-up included)
 * sends token (BENCH_REQUEST_OFFSET + k) mod count from the file BENCH_TOKENS.
 */
import { readFileSync } from "node:fs";

const path = process.env.BENCH_TOKENS;
if (!path) throw new Error("BENCH_TOKENS is not set");
const tokens = readFileSync(path, "utf8").split("\n").filter(Boolean).map((t) => `Bearer ${t}`);
if (!tokens.length) throw new Error(`no tokens in ${path}`);
const offset = Number(process.env.BENCH_REQUEST_OFFSET ?? 0) || 0;

/** @param {number} k the request's index in this run, warm-up included */
export function request(k) {
  return { headers: { authorization: tokens[(offset + k) % tokens.length] } };
}
