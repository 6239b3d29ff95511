/** The part of @cloudflare/vitest-plugin's internal module test/fresh-mesh.ts uses (not typed by the plugin). */
declare module "cloudflare:test-internal" {
  /** Settles every `ctx.waitUntil` promise the plugin has seen so far (abandons them after its timeout). */
  export function waitForGlobalWaitUntil(): Promise<void>;
}
