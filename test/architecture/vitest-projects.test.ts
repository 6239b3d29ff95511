/**
 * vitest.config.ts runs most test files in one shared workerd runtime (`isolate: false`) and only the
 * files of test/projects.ts in a runtime of their own. A file that reaches the gateway Worker or a
 * Durable Object must be in that list, or it would see what earlier files left in storage and isolate
 * state; a listed file that needs none of it only costs a runtime start.
 */
/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import { ISOLATED_TEST_FILES } from "../projects.js";

const files = import.meta.glob("../**/*.test.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

/** What makes a test file need a fresh runtime: the Worker's bindings, its exports, or the admin test helper. */
const NEEDS_RUNTIME = /from\s+["'](cloudflare:test|cloudflare:workers|[./]*helpers\/admin(\.js)?)["']/;

/** `test/a/**\/*.test.ts`-style patterns of test/projects.ts as regular expressions. */
function matcher(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*\//g, "(?:.*/)?").replace(/\*/g, "[^/]*");
  return new RegExp(`^${re}$`);
}
const isolated = (path: string) => ISOLATED_TEST_FILES.some((p) => matcher(p).test(path));
/** A glob key (relative to this folder) as a path from the repository root. */
const repoPath = (key: string) => (key.startsWith("./") ? `test/architecture/${key.slice(2)}` : `test/${key.replace(/^\.\.\//, "")}`);

describe("vitest projects", () => {
  const entries = Object.entries(files).map(([key, text]) => [repoPath(key), text] as const);

  it("finds the test files", () => {
    expect(entries.length).toBeGreaterThan(50);
    expect(entries.map(([p]) => p)).toEqual(expect.arrayContaining(["test/smoke.test.ts", "test/architecture/imports.test.ts", "test/gateway/security.test.ts"]));
  });

  it("runs every file that reaches the Worker or a Durable Object in a runtime of its own", () => {
    const shared = entries.filter(([path, text]) => NEEDS_RUNTIME.test(text) && !isolated(path)).map(([p]) => p);
    expect(shared).toEqual([]);
  });

  it("gives a runtime of its own only to files that need one", () => {
    const unused = ISOLATED_TEST_FILES.filter((p) => !entries.some(([path, text]) => matcher(p).test(path) && NEEDS_RUNTIME.test(text)));
    expect(unused).toEqual([]);
  });
});
