/**
 * Every test runs inside workerd through @cloudflare/vitest-plugin: the gateway Worker from
 * wrangler.toml (real ConfigStore Durable Object) plus the Bookinfo members and a test echo member as
 * auxiliary Workers, bound exactly as in `npm start`. Loopback HTTP origins are started by
 * test/global-setup.ts (Node) and their ports handed to the tests.
 *
 * A workerd runtime costs a Miniflare start and a module load (≈ 1–4 s per runtime on a shared 2-core
 * machine), so no file gets one of its own:
 * - `isthmus-unit` (one runtime, `isolate: false`): pure modules (config, router, policy, cli,
 *   architecture) called directly; nothing a file leaves behind that the next could see. It runs first,
 *   every file in one run of one runtime (`maxWorkers: 1`: vitest hands a non-isolated single worker
 *   every file at once).
 * - `isthmus` (`isolate: false`, ISTHMUS_TEST_WORKERS runtimes, default 3): the files of
 *   test/projects.ts, which reach the gateway Worker or a Durable Object (`cloudflare:test` /
 *   `cloudflare:workers`: SELF, env, runInDurableObject, or the admin test helper). Each runtime runs its
 *   share of the files one after the other, and the setup file test/fresh-mesh.ts starts every file from a
 *   fresh mesh: it waits for the earlier file's background work, deletes all Durable Object storage
 *   (instances dropped), deletes the location tier's config pointer, empties the test collector, and
 *   resets vitest's module registry so the gateway's isolate and config state is evaluated anew
 *   (test/fresh-mesh.test.ts checks it). Files so pass in any order and any runtime assignment. Several
 *   runtimes at a time pay off as these files mostly wait (origins, timers): the whole `vitest run` took
 *   69 s with 1, 56 s with 2 and 56 s with 3 on a shared 2-core machine; 3 stays the default.
 * - `isthmus-own` (a runtime per file): for files that need what the reset cannot give; the list in
 *   test/projects.ts is empty, so the project is not created.
 * A new test file goes to `isthmus-unit` unless it imports `cloudflare:test`/`cloudflare:workers` or the
 * admin test helper; test/projects.ts lists the rest by that rule (test/architecture/vitest-projects.test.ts
 * checks the list against the files, both ways). Files share the loopback origins of
 * test/global-setup.ts, so a test keys what it asks them to remember (x-test-key, /flaky/<key>).
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { buildMembers, memberWorkers } from "./scripts/members.js";
import { MESH_TEST_FILES, OWN_RUNTIME_TEST_FILES } from "./test/projects.js";

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
/** Runtimes of the project `isthmus`, each running its share of the files one after the other (ISTHMUS_TEST_WORKERS overrides). */
const WORKERS = Number(process.env.ISTHMUS_TEST_WORKERS ?? 3);

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [workerd("isthmus-unit")],
        // One runtime, every file in one run (vitest batches non-isolated files when maxWorkers is 1).
        test: { ...common, name: "isthmus-unit", include: ["test/**/*.test.ts"], exclude: MESH_TEST_FILES, isolate: false, maxWorkers: 1, sequence: { groupOrder: 0 } },
      },
      {
        plugins: [workerd("isthmus")],
        test: {
          ...common,
          name: "isthmus",
          include: MESH_TEST_FILES,
          exclude: OWN_RUNTIME_TEST_FILES,
          globalSetup: ["./test/global-setup.ts"],
          // Runtimes are shared by files; this starts each file from a fresh mesh.
          setupFiles: ["./test/fresh-mesh.ts"],
          isolate: false,
          maxWorkers: WORKERS,
          sequence: { groupOrder: 1 },
        },
      },
      // A runtime per file, for what test/fresh-mesh.ts cannot reset (none today: see test/projects.ts).
      ...(OWN_RUNTIME_TEST_FILES.length === 0 ? [] : [{
        plugins: [workerd("isthmus-own")],
        test: { ...common, name: "isthmus-own", include: OWN_RUNTIME_TEST_FILES, globalSetup: ["./test/global-setup.ts"], maxWorkers: WORKERS, sequence: { groupOrder: 2 } },
      }]),
    ],
  },
});
