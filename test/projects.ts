/**
 * The test files that need a workerd runtime of their own (vitest.config.ts, project `isthmus`): they
 * reach the gateway Worker or a Durable Object, whose config, storage and isolate state must start
 * empty. Every other file runs in `isthmus-unit`, whose runtimes are reused across files.
 * test/architecture/vitest-projects.test.ts checks this list against the files.
 */
export const ISOLATED_TEST_FILES = [
  "test/cli/server.test.ts",
  "test/durable/config-store.test.ts",
  "test/gateway/**/*.test.ts",
  "test/policy/ratelimit/rate-limiter-do.test.ts",
  "test/policy/resilience/circuit-do.test.ts",
  "test/smoke.test.ts",
];
