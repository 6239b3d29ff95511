/**
 * Workers refuse random values, timers and I/O in a module's global scope ("Disallowed operation called
 * within global scope"): the gateway would not boot under `npm start` or `wrangler deploy`, while the
 * test runtime may let it pass. Module-level bindings must not be initialised with them.
 */
/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";

const sources = import.meta.glob("../../src/**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

/** A top-level (unindented) binding initialised by a call Workers refuse at startup. */
const DISALLOWED = /^(?:export\s+)?(?:const|let|var)\s+[^=\n]+=\s*(?:await\s+)?(?:crypto\.(?:randomUUID|getRandomValues)|Math\.random|setTimeout|setInterval|fetch)\s*\(/m;

describe("global scope", () => {
  it("initialises no module-level binding with random values, timers or I/O", () => {
    const offenders = Object.entries(sources).filter(([, text]) => DISALLOWED.test(text)).map(([file]) => file);
    expect(offenders).toEqual([]);
  });

  it("the rule catches the mistake it is for", () => {
    expect(DISALLOWED.test("export const isolateId: string = crypto.randomUUID();")).toBe(true);
    expect(DISALLOWED.test("  const id = crypto.randomUUID();")).toBe(false);
  });
});
