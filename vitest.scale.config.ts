/**
 * `npm run scale`: the internet-scale simulation (scale/scale.sim.ts) on workerd, with the gateway's
 * real Durable Object classes and Cache API — the same plugin set-up as the tests, other files.
 */
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // The project name stays: the members' bindings name the runner after it.
    include: ["scale/**/*.sim.ts"],
    testTimeout: 180_000,
  },
});
