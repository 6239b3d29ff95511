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
 *   resources(n)     gateway scenarios, optional: extra Istio resources to apply after the routes (may be async)
 *   request          { path, headers } the load sends; every scenario sends Host: bench.example.com
 *                    and the same path, so requests are alike (the security rows add their own headers)
 *   expectRoute      gateway scenarios: the route name explain must report for `request`
 *   wrkScript, requestModule   optional: vary requests per call (wrk Lua script / module exporting request(k)),
 *                    paths from the repository root; bench/run.mjs gives both BENCH_REQUEST_OFFSET, the index of
 *                    the first request (counting every earlier load of the scenario), so a sequence never restarts
 *   setup(dir)       optional, async: runs once before the config is applied (e.g. signs tokens into `dir`);
 *                    may return { env } — environment variables for wrkScript and requestModule
 *   peerVars         "peer" scenarios: text bindings of the hand-written gateway (bench/workers/peer.ts)
 *   gatewayVars      gateway scenarios, optional: extra vars of the gateway Worker (e.g. MESH_CONFIG)
 *   targets          [{ label, metric, max: { ratio } | { deltaUs } | { value } }], checked per scenario;
 *                    `ratio` and `deltaUs` compare with the floor, or with scenario `of` when given
 *                    (e.g. { ratio: 0.65, of: "peer" }, { deltaUs: 80, of: "e" })
 *
 * Metrics a target can name: "sat.cpuUsPerReq", "sat.rps", "fix.p50", "fix.p99", "fix.cpuUsPerReq",
 * "do.steadyAwaitedPerRequest", "do.maxAwaitedPerRequest".
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { httpRouteName, middleRoute, requestFor } from "./mesh-config.mjs";
import { BENCH_AUDIENCE, BENCH_CLIENT_IP, BENCH_ISSUER, benchSigner, destinationPolicies, fullChainResources, rateLimitPolicy } from "./security-config.mjs";

const gatewayRequest = (routes) => requestFor(middleRoute(routes));

/** One ES256 key per run (its public JWK goes inline in the RequestAuthentication) and the token (e) reuses. */
const signer = await benchSigner();
const REUSED_TOKEN = await signer.sign("reused");
/** Distinct tokens (f) cycles through: well over the 1000 the gateway's verified-token cache keeps, so each is a miss. */
const FRESH_TOKENS = 5000;
/** Signs `count` distinct tokens into `path`, one per line (read by bench/requests/fresh-token.*); returns `path`. */
async function writeTokens(signer, path, count) {
  const tokens = [];
  for (let i = 0; i < count; i++) tokens.push(await signer.sign(`fresh-${i}`));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, tokens.join("\n") + "\n");
  return path;
}
const securedRequest = (token) => {
  const r = gatewayRequest(100);
  return { path: r.path, headers: { ...r.headers, authorization: `Bearer ${token}`, "cf-connecting-ip": BENCH_CLIENT_IP } };
};

/** Zero awaited DO calls per request in steady state (DESIGN §5): config and circuit state come from isolate memory. */
const NO_AWAITED_DO_CALL = { label: "awaited DO calls/request (steady) = 0", metric: "do.maxAwaitedPerRequest", max: { value: 0 } };

/** A gateway scenario's set-up: the gateway Worker in front of the origin, serving `routes` routes. */
function gatewayOn(routes) {
  return { workers: ["origin", "gateway"], entry: "gateway", routes };
}

/** A mesh-wide Telemetry resource (root namespace) with `spec`. */
function telemetry(spec) {
  return { apiVersion: "telemetry.istio.io/v1", kind: "Telemetry", metadata: { name: "mesh-default", namespace: "istio-system" }, spec };
}

/**
 * MESH_CONFIG with an `opentelemetry` tracing provider at `sampling` %. The origin Worker stands in for
 * the collector (it answers the batched exports like any request).
 */
function otelTracing(sampling) {
  return JSON.stringify({
    extensionProviders: [{ name: "otel", opentelemetry: { service: "binding:ORIGIN", http: { path: "/v1/traces", timeout: "1s" } } }],
    defaultProviders: { tracing: ["otel"] },
    defaultConfig: { tracing: { sampling } },
  });
}

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
    ...gatewayOn(100),
    request: gatewayRequest(100),
    expectRoute: `r${middleRoute(100)}`,
    targets: [
      { label: "CPU/request ≤ 1.25 × floor", metric: "sat.cpuUsPerReq", max: { ratio: 1.25 } },
      NO_AWAITED_DO_CALL,
    ],
  },
  {
    id: "i",
    title: "(c) with the routes written as Gateway API HTTPRoutes",
    ...gatewayOn(100),
    gatewayApi: true,
    request: gatewayRequest(100),
    expectRoute: httpRouteName(middleRoute(100)),
    targets: [
      // Issue 9: the same route table costs within 5 % of the VirtualService figure.
      { label: "CPU/request ≤ 1.05 × (c)", metric: "sat.cpuUsPerReq", max: { ratio: 1.05, of: "c" } },
      NO_AWAITED_DO_CALL,
    ],
  },
  {
    id: "d",
    title: "Isthmus, 10,000 routes → origin",
    ...gatewayOn(10_000),
    request: gatewayRequest(10_000),
    expectRoute: `r${middleRoute(10_000)}`,
    targets: [
      { label: "CPU/request ≤ 1.3 × floor", metric: "sat.cpuUsPerReq", max: { ratio: 1.3 } },
      NO_AWAITED_DO_CALL,
    ],
  },

  // ── Issue 8 (observability): what metrics and the access log cost, on (c)'s table. ──────────────────
  // (j) − (k) is the cost of Istio's metrics (source and destination reporters), one access-log line
  // in Istio's default text format and an unsampled trace context (k has no tracing provider).
  {
    id: "j",
    title: "(c) + access log on (Istio's default text format, one line per request) + an unsampled trace context (provider at 0 %)",
    ...gatewayOn(100),
    // A tracing provider at 0 % sampling: every request gets a trace context (ids, traceparent on the
    // upstream request) and records nothing — issue 8's "unsampled trace context".
    gatewayVars: { MESH_CONFIG: otelTracing(0) },
    resources: () => [telemetry({ accessLogging: [{ providers: [{ name: "envoy" }] }] })],
    request: gatewayRequest(100),
    expectRoute: `r${middleRoute(100)}`,
    targets: [
      { label: "CPU/request ≤ (k) + 5 µs (metrics + access log)", metric: "sat.cpuUsPerReq", max: { deltaUs: 5, of: "k" } },
      NO_AWAITED_DO_CALL,
    ],
  },
  {
    id: "k",
    title: "(c) with every metric disabled (Telemetry overrides), no access log, no tracing provider",
    ...gatewayOn(100),
    resources: () => [telemetry({ metrics: [{ providers: [{ name: "prometheus" }], overrides: [{ match: { metric: "ALL_METRICS" }, disabled: true }] }] })],
    request: gatewayRequest(100),
    expectRoute: `r${middleRoute(100)}`,
    targets: [NO_AWAITED_DO_CALL],
  },
  {
    id: "l",
    title: "(c) with every request traced (100 % sampling; server + client span exported over OTLP/HTTP)",
    ...gatewayOn(100),
    gatewayVars: { MESH_CONFIG: otelTracing(100) },
    request: gatewayRequest(100),
    expectRoute: `r${middleRoute(100)}`,
    targets: [
      { label: "CPU/request ≤ (c) + 20 µs (a sampled request's spans)", metric: "sat.cpuUsPerReq", max: { deltaUs: 20, of: "c" } },
      NO_AWAITED_DO_CALL,
    ],
  },

  // ── Issue 4 (security): the stages a production gateway adds, on the 100-route table of (c). ──────
  // Requests carry `authorization` and `cf-connecting-ip` (the client IP the policies and rate-limit
  // keys read); the floor's requests do not (two headers more to parse; the token is not forwarded).
  {
    id: "e",
    title: "full chain: 100 routes + ES256 JWT (cache hit) + 10 AuthorizationPolicies + local rate limit",
    ...gatewayOn(100),
    resources: () => fullChainResources(signer.jwks),
    // One valid token, reused: after the first request the gateway's verified-token cache answers.
    request: securedRequest(REUSED_TOKEN),
    expectRoute: `r${middleRoute(100)}`,
    targets: [
      { label: "CPU/request ≤ 1.4 × floor", metric: "sat.cpuUsPerReq", max: { ratio: 1.4 } },
      { label: "CPU/request ≤ 0.65 × the hand-written gateway (peer)", metric: "sat.cpuUsPerReq", max: { ratio: 0.65, of: "peer" } },
      NO_AWAITED_DO_CALL,
    ],
  },
  {
    id: "peer",
    title: "hand-written Hono + jose gateway doing what (e) does (bench/workers/peer.ts)",
    workers: ["origin", "peer"],
    entry: "peer",
    peerVars: { JWKS: signer.jwks, ISSUER: BENCH_ISSUER, AUDIENCE: BENCH_AUDIENCE },
    // The same request as (e): same token (the peer verifies it on every request, as written by hand).
    request: securedRequest(REUSED_TOKEN),
    targets: [],
  },
  {
    id: "f",
    title: "as (e), a different ES256 JWT on every request (cache miss)",
    ...gatewayOn(100),
    resources: () => fullChainResources(signer.jwks),
    // The probe and explain use the reused token; the load sends a fresh one per request.
    request: securedRequest(REUSED_TOKEN),
    // FRESH_TOKENS distinct tokens, signed before the run, sent in turn (bench/requests/fresh-token.*).
    setup: async (dir) => ({ env: { BENCH_TOKENS: await writeTokens(signer, join(dir, "tokens.txt"), FRESH_TOKENS) } }),
    wrkScript: "bench/requests/fresh-token.lua",
    requestModule: "bench/requests/fresh-token.mjs",
    expectRoute: `r${middleRoute(100)}`,
    targets: [
      { label: "CPU/request ≤ (e) + 80 µs", metric: "sat.cpuUsPerReq", max: { deltaUs: 80, of: "e" } },
      NO_AWAITED_DO_CALL,
    ],
  },
  {
    id: "g",
    title: "100 routes + global rate limit (RateLimiter Durable Object)",
    ...gatewayOn(100),
    resources: () => [rateLimitPolicy("global")],
    request: { ...gatewayRequest(100), headers: { ...gatewayRequest(100).headers, "cf-connecting-ip": BENCH_CLIENT_IP } },
    expectRoute: `r${middleRoute(100)}`,
    targets: [
      { label: "CPU/request ≤ 1.5 × floor (leased path, issue 11)", metric: "sat.cpuUsPerReq", max: { ratio: 1.5 } },
      { label: "awaited DO calls/request ≤ 1 (steady)", metric: "do.maxAwaitedPerRequest", max: { value: 1 } },
    ],
  },

  // ── Issue 7 (destination stage): what the origin's own sidecar would enforce, run by the gateway. ──
  {
    id: "h",
    title: "(c) + 10 AuthorizationPolicies on the origin workload (destination stage)",
    ...gatewayOn(100),
    resources: () => destinationPolicies(),
    request: gatewayRequest(100),
    expectRoute: `r${middleRoute(100)}`,
    targets: [
      // Issue 7's in-isolate budget is 5 µs (the microbenchmark); process CPU per request carries noise of that size.
      { label: "CPU/request ≤ (c) + 10 µs", metric: "sat.cpuUsPerReq", max: { deltaUs: 10, of: "c" } },
      NO_AWAITED_DO_CALL,
    ],
  },
];

/** Targets measured by the microbenchmarks inside workerd (bench/micro-worker.ts). */
export const MICRO_TARGETS = [
  { label: "route match p50 ≤ 2 µs at 10,000 routes", metric: "match.p50", max: { value: 2 }, unit: "µs" },
  { label: "snapshot compile of 10,000 routes ≤ 150 ms", metric: "compile.compileMs", max: { value: 150 }, unit: "ms" },
  // Issue 7's cost budget for the destination stage, per forwarded request.
  { label: "destination stage, no policy attached to the workload ≤ 1 µs", metric: "destination.noneUs", max: { value: 1 }, unit: "µs" },
  { label: "destination stage, 10 AuthorizationPolicies on the workload ≤ 5 µs", metric: "destination.tenUs", max: { value: 5 }, unit: "µs" },
];

/** Route count the microbenchmarks use. */
export const MICRO_ROUTES = 10_000;
