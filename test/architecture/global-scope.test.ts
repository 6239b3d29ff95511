/**
 * workerd refuses random values, timers and I/O in a Worker's global scope ("Disallowed operation called
 * within global scope"): `wrangler dev` (npm start) then fails to load the gateway at all, although the
 * vitest runtime may not notice. Module-level statements in src/ (unindented lines) must not do them.
 */
/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";

const sources = import.meta.glob("../../src/**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
const DISALLOWED = /\b(crypto\.randomUUID|crypto\.getRandomValues|Math\.random|setTimeout|setInterval|fetch)\s*\(/;

describe("global scope", () => {
  it("no module-level statement generates random values, sets a timer or does I/O", () => {
    const offending: string[] = [];
    for (const [file, text] of Object.entries(sources)) {
      if (file.includes("/src/cli/")) continue; // Node only
      text.split("\n").forEach((line, i) => {
        if (/^\s/.test(line) || /^(\/\/|\/\*|\*)/.test(line) || /^(export\s+)?(async\s+)?function\b/.test(line)) return;
        if (DISALLOWED.test(line)) offending.push(`${file.replace("../../", "")}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(Object.keys(sources).length).toBeGreaterThan(50);
    expect(offending).toEqual([]);
  });
});
