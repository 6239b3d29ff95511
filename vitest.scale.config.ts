/**
 * `npm run scale`: the internet-scale simulation (scale/scale.sim.ts) on workerd, with the gateway's
 * real Durable Object classes and Cache API — the same runtime set-up as the tests' `isthmus` project.
 */
import { defineConfig } from "vitest/config";
import { workerd } from "./vitest.config.js";

export default defineConfig({
  plugins: [workerd("isthmus")],
  test: {
    name: "isthmus",
    include: ["scale/**/*.sim.ts"],
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 30_000,
  },
});
