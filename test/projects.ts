/**
 * The test files that reach the gateway Worker or a Durable Object (vitest.config.ts, project `isthmus`).
 * They share workerd runtimes, each runtime running its share of the files one after the other, and
 * test/fresh-mesh.ts starts every file from a fresh mesh (empty Durable Objects, no location pointer,
 * gateway modules evaluated anew). Every other file runs in `isthmus-unit`: one runtime for all, nothing
 * reset between files. test/architecture/vitest-projects.test.ts checks this list against the files,
 * both ways.
 */
export const MESH_TEST_FILES = [
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
  "test/fresh-mesh.test.ts",
  "test/smoke.test.ts",
];

/**
 * Files of MESH_TEST_FILES that need a workerd runtime of their own (project `isthmus-own`): state that
 * test/fresh-mesh.ts cannot reset, such as what workerd itself keeps for the process. None today: every
 * file passes in shared runtimes, in any order (each mesh-level singleton is a module the reset
 * re-evaluates). A file added here needs a comment saying what it cannot share, measured.
 */
export const OWN_RUNTIME_TEST_FILES: string[] = [];
