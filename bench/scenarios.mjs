/**
 * The benchmark's scenarios and targets, as data. bench/run.mjs runs every scenario in this list,
 * interleaved, and checks every target; adding a case is adding a row here.
 *
 * A scenario:
 *   id, title        short id (a, b, ...) and what it is
 *   workers          which Workers the workerd process runs: "origin", "passthrough", "gateway"
 *   entry            the Worker the load is sent to
 *   floor            true for the one scenario every figure is divided by
 *   routes           gateway scenarios: number of VirtualService routes (bench/mesh-config.mjs)
 *   resources(n)     gateway scenarios, optional: extra Istio resources to apply after the routes
 *   request          { path, headers } the load sends; every scenario sends Host: bench.example.com
 *                    and the same path, so requests are byte-for-byte alike
 *   expectRoute      gateway scenarios: the route name explain must report for `request`
 *   wrkScript, requestModule   optional: vary requests per call (wrk Lua script / module exporting request(k))
 *   targets          [{ label, metric, max: { ratio } | { deltaUs } | { value } }], checked per scenario
 *
 * Metrics a target can name: "sat.cpuUsPerReq", "sat.rps", "fix.p50", "fix.p99", "fix.cpuUsPerReq",
 * "do.steadyAwaitedPerRequest", "do.maxAwaitedPerRequest".
 */
import { middleRoute, requestFor } from "./mesh-config.mjs";

const gatewayRequest = (routes) => requestFor(middleRoute(routes));

/** Zero awaited DO calls per request in steady state (DESIGN §5): config and circuit state come from isolate memory. */
const NO_AWAITED_DO_CALL = { label: "awaited DO calls/request (steady) = 0", metric: "do.maxAwaitedPerRequest", max: { value: 0 } };

export const SCENARIOS = [
  {
    id: "a",
    title: "origin Worker alone",
    workers: ["origin"],
    entry: "origin",
    request: gatewayRequest(100),
    targets: [],
  },
  {
    id: "b",
    title: "bare pass-through → origin (service binding): the floor",
    workers: ["origin", "passthrough"],
    entry: "passthrough",
    floor: true,
    request: gatewayRequest(100),
    targets: [],
  },
  {
    id: "c",
    title: "Isthmus, 100 routes → origin",
    workers: ["origin", "gateway"],
    entry: "gateway",
    routes: 100,
    request: gatewayRequest(100),
    expectRoute: `r${middleRoute(100)}`,
    targets: [
      { label: "CPU/request ≤ 1.15 × floor", metric: "sat.cpuUsPerReq", max: { ratio: 1.15 } },
      NO_AWAITED_DO_CALL,
    ],
  },
  {
    id: "d",
    title: "Isthmus, 10,000 routes → origin",
    workers: ["origin", "gateway"],
    entry: "gateway",
    routes: 10_000,
    request: gatewayRequest(10_000),
    expectRoute: `r${middleRoute(10_000)}`,
    targets: [
      { label: "CPU/request ≤ 1.25 × floor", metric: "sat.cpuUsPerReq", max: { ratio: 1.25 } },
      NO_AWAITED_DO_CALL,
    ],
  },

  // ── Issue 4 (security) adds its scenarios here, once those stages exist in the pipeline. ──────────
  // Sketch of the rows it asks for (see `issues show 4`, "Benchmark"):
  //
  // {
  //   id: "e",
  //   title: "full chain: 100 routes + ES256 JWT (cache hit) + 10 AuthorizationPolicies + local rate limit",
  //   workers: ["origin", "gateway"], entry: "gateway", routes: 100,
  //   resources: () => [/* RequestAuthentication with inline jwks, 10 AuthorizationPolicies, a local RateLimitPolicy
  //                       whose limit the load never reaches */],
  //   request: { ...gatewayRequest(100), headers: { authorization: `Bearer ${ONE_VALID_ES256_TOKEN}` } },
  //   expectRoute: `r${middleRoute(100)}`,
  //   targets: [{ label: "CPU/request ≤ 1.2 × floor", metric: "sat.cpuUsPerReq", max: { ratio: 1.2 } }, NO_AWAITED_DO_CALL],
  // },
  // {
  //   id: "f", title: "ES256 JWT on every request (cache miss)", ...as "e" with a fresh token per request:
  //   wrkScript: "bench/workers/fresh-token.lua", requestModule: "bench/workers/fresh-token.mjs",
  //   targets: [{ label: "CPU/request ≤ floor + 100 µs", metric: "sat.cpuUsPerReq", max: { deltaUs: 100 } }],
  // },
  // {
  //   id: "g", title: "global rate limit (RateLimiter DO)", ...,
  //   targets: [{ label: "awaited DO calls/request ≤ 1", metric: "do.maxAwaitedPerRequest", max: { value: 1 } }],
  // },
];

/** Targets measured by the microbenchmarks inside workerd (bench/micro-worker.ts). */
export const MICRO_TARGETS = [
  { label: "route match p50 ≤ 2 µs at 10,000 routes", metric: "match.p50", max: { value: 2 }, unit: "µs" },
  { label: "snapshot compile of 10,000 routes ≤ 150 ms", metric: "compile.compileMs", max: { value: 150 }, unit: "ms" },
];

/** Route count the microbenchmarks use. */
export const MICRO_ROUTES = 10_000;
