/**
 * Every test runs inside workerd through @cloudflare/vitest-plugin: the gateway Worker from
 * wrangler.toml (real ConfigStore Durable Object) plus the Bookinfo members and a test echo member as
 * auxiliary Workers, bound exactly as in `npm start`. Loopback HTTP origins are started by
 * test/global-setup.ts (Node) and their ports handed to the tests.
 */
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { buildMembers, memberWorkers } from "./scripts/members.js";

const PROJECT = "isthmus";
const RUNNER = `vitest-plugin-runner-${PROJECT}`;

buildMembers();

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ADMIN_TOKEN: "test-admin-token",
          ISTHMUS_DEV: "true",
          // Mesh config of the test gateway: one CUSTOM authorization provider (a test member), and an
          // OpenTelemetry collector (a test member) with random sampling off: only requests that come
          // with a sampled trace context are traced, so tests decide which.
          MESH_CONFIG: JSON.stringify({
            extensionProviders: [{
              name: "test-authz",
              envoyExtAuthzHttp: {
                service: "binding:TEST_AUTHZ",
                includeRequestHeadersInCheck: ["x-allow"],
                headersToUpstreamOnAllow: ["x-authz-user"],
                headersToDownstreamOnDeny: ["x-denied", "set-cookie"],
              },
            }, {
              name: "otel",
              opentelemetry: { service: "binding:TEST_OTEL", http: { path: "/v1/traces", timeout: "1s" } },
            }],
            defaultProviders: { tracing: ["otel"] },
            defaultConfig: { tracing: { sampling: 0 } },
          }),
        },
        // Test-only members the gateway can route to (in addition to Bookinfo's bindings in wrangler.toml).
        // ORIGIN_MTLS stands in for an `mtls_certificates` binding (it has the same fetch()).
        serviceBindings: { TEST_ECHO: "test-echo", ORIGIN_MTLS: "test-echo", TEST_AUTHZ: "test-authz", TEST_OTEL: "test-otel" },
        workers: memberWorkers(RUNNER),
      },
    }),
  ],
  test: {
    name: PROJECT,
    include: ["test/**/*.test.ts"],
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
