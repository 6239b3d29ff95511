/**
 * The test files that need a workerd runtime of their own (vitest.config.ts, project `isthmus`): they
 * reach the gateway Worker or a Durable Object, whose config, storage and isolate state must start
 * empty. Every other file runs in `isthmus-unit`, whose runtimes are reused across files.
 * test/architecture/vitest-projects.test.ts checks this list against the files.
 */
export const ISOLATED_TEST_FILES = [
  "test/cli/inject.test.ts",
  "test/cli/server.test.ts",
  "test/cli/verify-install.test.ts",
  "test/durable/config-store.test.ts",
  "test/gateway/actions.test.ts",
  "test/gateway/admin/admin-api.test.ts",
  "test/gateway/bookinfo-gateway-api.test.ts",
  "test/gateway/bookinfo.test.ts",
  "test/gateway/console.test.ts",
  "test/gateway/config-tier.test.ts",
  "test/gateway/east-west.test.ts",
  "test/gateway/enforcement-points.test.ts",
  "test/gateway/explain-property.test.ts",
  "test/gateway/ext-authz.test.ts",
  "test/gateway/gateway-api.test.ts",
  "test/gateway/issue7-defects.test.ts",
  "test/gateway/istio-tasks.test.ts",
  "test/gateway/jwks.test.ts",
  "test/gateway/mesh-destination.test.ts",
  "test/gateway/observability-metrics.test.ts",
  "test/gateway/observability-telemetry.test.ts",
  "test/gateway/origins.test.ts",
  "test/gateway/rate-limit.test.ts",
  "test/gateway/resilience.test.ts",
  "test/gateway/security-defects.test.ts",
  "test/gateway/security.test.ts",
  "test/gateway/span-exporter.test.ts",
  "test/gateway/tracing.test.ts",
  "test/policy/ratelimit/lease-property.test.ts",
  "test/policy/ratelimit/rate-limiter-do.test.ts",
  "test/policy/resilience/circuit-do.test.ts",
  "test/policy/resilience/circuit-relay.test.ts",
  "test/smoke.test.ts",
];
