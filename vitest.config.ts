/**
 * Every test runs inside workerd through @cloudflare/vitest-plugin: the gateway Worker from
 * wrangler.toml (real ConfigStore Durable Object) plus the Bookinfo members and a test echo member as
 * auxiliary Workers, bound exactly as in `npm start`. Loopback HTTP origins are started by
 * test/global-setup.ts (Node) and their ports handed to the tests.
 *
 * Two projects, so the suite pays for a workerd runtime only where a test needs a fresh one
 * (each runtime costs one Miniflare start, ≈ 1–3 s on a shared 2-core machine):
 * - `isthmus` (isolated, one runtime per file): files that reach the gateway Worker or a Durable Object
 *   (`cloudflare:test` / `cloudflare:workers`: SELF, env, runInDurableObject) — their config, Durable
 *   Object storage and isolate state must start empty;
 * - `isthmus-unit` (`isolate: false`, runtimes reused across files): every other file — pure modules
 *   (config, router, policy, cli, architecture) called directly, nothing a file leaves behind that the
 *   next could see.
 * A new test file goes to `isthmus-unit` unless it imports `cloudflare:test`/`cloudflare:workers` or the
 * admin test helper; test/projects.ts lists the rest by that rule (test/architecture/vitest-projects.test.ts
 * checks the list against the files, both ways).
 *
 * `isthmus-unit` runs first, all its files in one run of one runtime (`maxWorkers: 1`: vitest hands a
 * non-isolated single worker every file at once); then the isolated files, three at a time on any machine
 * (vitest's default on 2 cores is one): they spend much of their time waiting (runtime start, module
 * loading, origins, timers), not computing — on 2 cores, 4 at a time took the suite from 205 s to 148 s,
 * but starved a timing-sensitive test once in CI; 3 is the compromise.
 * ISTHMUS_TEST_WORKERS=1 runs them one at a time. Files share the loopback
 * origins of test/global-setup.ts, so a test keys what it asks them to remember (x-test-key, /flaky/<key>).
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { buildMembers, memberWorkers } from "./scripts/members.js";
import { ISOLATED_TEST_FILES } from "./test/projects.js";

buildMembers();

/** The gateway, its members and bindings, as `npm start` runs them, for the project `name`. */
export function workerd(name: string) {
  return cloudflareTest({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        ADMIN_TOKEN: "test-admin-token",
        ISTHMUS_DEV: "true",
        // Mesh config of the test gateway: one CUSTOM authorization provider (a test member).
        MESH_CONFIG: JSON.stringify({
          extensionProviders: [
          // Access-log providers for test/gateway/observability-telemetry.test.ts.
          {
            name: "custom-text",
            envoyFileAccessLog: { path: "/dev/stdout", logFormat: { text: "custom %REQ(:METHOD)% %REQ(X-USER?X-FALLBACK):6% %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %ROUTE_NAME% %UPSTREAM_CLUSTER% %UPSTREAM_HOST% %START_TIME(%Y/%m/%d)% %BYTES_SENT% %CEL(request.headers['x-tag'])% 100%%" } },
          },
          {
            name: "json-labels",
            envoyFileAccessLog: { logFormat: { labels: { code: "%RESPONSE_CODE%", path: "%REQ(:PATH)%", user: "%REQ(X-USER)%", details: "%RESPONSE_CODE_DETAILS%", tagged: "tag=%REQ(X-TAG)%" } } },
          },
          {
            name: "test-authz",
            envoyExtAuthzHttp: {
              service: "binding:TEST_AUTHZ",
              includeRequestHeadersInCheck: ["x-allow"],
              headersToUpstreamOnAllow: ["x-authz-user"],
              headersToDownstreamOnDeny: ["x-denied", "set-cookie"],
            },
          },
          // An OpenTelemetry collector (a test member) with random sampling off: only requests that come
          // with a sampled trace context are traced, so tests decide which.
          {
            name: "otel",
            opentelemetry: { service: "binding:TEST_OTEL", http: { path: "/v1/traces", timeout: "1s" } },
          }],
          defaultProviders: { tracing: ["otel"] },
          defaultConfig: { tracing: { sampling: 0 } },
        }),
      },
      // Test-only members the gateway can route to (in addition to Bookinfo's bindings in wrangler.toml).
      // ORIGIN_MTLS stands in for an `mtls_certificates` binding (it has the same fetch()).
      serviceBindings: { TEST_ECHO: "test-echo", ORIGIN_MTLS: "test-echo", TEST_AUTHZ: "test-authz", PLAIN_MEMBER: "plain-member", TEST_OTEL: "test-otel" },
      // The members bind back to this project's runner (the gateway under test).
      workers: memberWorkers(`vitest-plugin-runner-${name}`),
    },
  });
}

const common = { testTimeout: 20_000, hookTimeout: 30_000 };
/** Isolated files run this many at a time (ISTHMUS_TEST_WORKERS overrides). */
const WORKERS = Number(process.env.ISTHMUS_TEST_WORKERS ?? 3);

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [workerd("isthmus")],
        test: {
          ...common,
          name: "isthmus",
          include: ISOLATED_TEST_FILES,
          globalSetup: ["./test/global-setup.ts"],
          maxWorkers: WORKERS,
          sequence: { groupOrder: 1 },
        },
      },
      {
        plugins: [workerd("isthmus-unit")],
        // One runtime, every file in one run (vitest batches non-isolated files when maxWorkers is 1).
        test: { ...common, name: "isthmus-unit", include: ["test/**/*.test.ts"], exclude: ISOLATED_TEST_FILES, isolate: false, maxWorkers: 1, sequence: { groupOrder: 0 } },
      },
    ],
  },
});
