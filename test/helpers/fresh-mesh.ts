/**
 * Gives the next test file a mesh as a fresh workerd runtime would (test/fresh-mesh.ts runs it before
 * every file of the vitest project `isthmus`, whose files share runtimes):
 *
 * 1. waits for the background work of the files before (`waitUntil`: config checks, metric flushes,
 *    span exports), so nothing they started lands in the next file's storage;
 * 2. deletes every Durable Object's storage and drops the running instances (ConfigStore, RateLimiter,
 *    Circuit, MetricsAggregator): the config store starts empty, at version 0, of a new epoch;
 * 3. deletes the location tier's pointer (src/gateway/runtime/config-tier.ts), the only Cache API entry
 *    a cold isolate trusts without asking the store (snapshot copies are keyed by the store's epoch,
 *    which step 2 renews);
 * 4. forgets the spans the test OpenTelemetry collector (test/members/otel.ts) received;
 * 5. resets vitest's registry of the repository's modules, so the gateway's module state (the isolate
 *    state of src/gateway/runtime/isolate.ts, the followed config of live-config.ts, the admin app of
 *    src/gateway/index.ts) is evaluated anew when the next file, `exports.default`, a member's mesh
 *    binding or a Durable Object first imports it. Module instances imported before stay as they were.
 *    Dependencies (zod, hono, jose, …: two thirds of the modules the gateway loads) stay evaluated, as
 *    they do across the files of `isthmus-unit`: that saves ≈ 0.2 s per file.
 *
 * The loopback origins of test/global-setup.ts are shared by every file (as they were when each file
 * had a runtime of its own, three at a time): tests key what they ask them to remember.
 */
import { reset } from "cloudflare:test";
// The plugin's wait for every `ctx.waitUntil` it has seen; `cloudflare:test` does not re-export it.
import { waitForGlobalWaitUntil } from "cloudflare:test-internal";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { pointerKey } from "../../src/gateway/runtime/config-tier.js";

/** The location tier's pointer key of the test gateway's ConfigStore. */
export const configPointerKey = () => pointerKey(env.CONFIG_STORE.idFromName("config").toString());

export async function freshMesh(): Promise<void> {
  // A rejected background task was the earlier file's to report; what matters here is that it settled.
  await waitForGlobalWaitUntil().catch(() => undefined);
  await reset();
  await caches.default.delete(configPointerKey());
  await (env as unknown as { TEST_OTEL: Fetcher }).TEST_OTEL.fetch("http://otel/__reset");
  resetOwnModules();
}

interface EvaluatedModule { promise?: unknown; exports?: unknown; evaluated: boolean; importers: Set<string> }

/**
 * What `vi.resetModules()` does (vitest's `resetModules`, 5.1), for the repository's modules only. The
 * registry is vitest's internal worker state: without it, this falls back to `vi.resetModules()`
 * (dependencies included), and test/fresh-mesh.test.ts checks the gateway modules are evaluated anew.
 */
function resetOwnModules(): void {
  const state = (globalThis as { __vitest_worker__?: { evaluatedModules?: { idToModuleMap?: Map<string, EvaluatedModule> } } }).__vitest_worker__;
  const modules = state?.evaluatedModules?.idToModuleMap;
  if (!(modules instanceof Map)) {
    vi.resetModules();
    return;
  }
  for (const [id, node] of modules) {
    if (id.includes("/node_modules/") || id.startsWith("mock:")) continue;
    node.promise = undefined;
    node.exports = undefined;
    node.evaluated = false;
    node.importers.clear();
  }
}
