/**
 * vitest.config.ts runs the files that reach the gateway Worker or a Durable Object (test/projects.ts,
 * project `isthmus`) in shared runtimes that test/fresh-mesh.ts resets before each file, and every other
 * file in `isthmus-unit`, whose one runtime resets nothing between files. A file that reaches the Worker
 * or a Durable Object must be in the list, or it would see what earlier files left in storage and module
 * state; a listed file that needs none of it only costs the reset.
 */
/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import { MESH_TEST_FILES, OWN_RUNTIME_TEST_FILES } from "../projects.js";

const files = import.meta.glob("../**/*.test.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

/** What makes a test file need the mesh: the Worker's bindings, its exports, or the admin test helper. */
const NEEDS_MESH = /from\s+["'](cloudflare:test|cloudflare:workers|[./]*helpers\/admin(\.js)?)["']/;

/** `test/a/**\/*.test.ts`-style patterns of test/projects.ts as regular expressions. */
function matcher(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*\//g, "(?:.*/)?").replace(/\*/g, "[^/]*");
  return new RegExp(`^${re}$`);
}
const listed = (list: string[], path: string) => list.some((p) => matcher(p).test(path));
/** A glob key (relative to this folder) as a path from the repository root. */
const repoPath = (key: string) => (key.startsWith("./") ? `test/architecture/${key.slice(2)}` : `test/${key.replace(/^\.\.\//, "")}`);

describe("vitest projects", () => {
  const entries = Object.entries(files).map(([key, text]) => [repoPath(key), text] as const);

  it("finds the test files", () => {
    expect(entries.length).toBeGreaterThan(50);
    expect(entries.map(([p]) => p)).toEqual(expect.arrayContaining(["test/smoke.test.ts", "test/architecture/imports.test.ts", "test/gateway/security.test.ts"]));
  });

  it("runs every file that reaches the Worker or a Durable Object where each file starts from a fresh mesh", () => {
    const unreset = entries.filter(([path, text]) => NEEDS_MESH.test(text) && !listed(MESH_TEST_FILES, path)).map(([p]) => p);
    expect(unreset).toEqual([]);
  });

  it("lists only files that reach the Worker or a Durable Object", () => {
    const unused = MESH_TEST_FILES.filter((p) => !entries.some(([path, text]) => matcher(p).test(path) && NEEDS_MESH.test(text)));
    expect(unused).toEqual([]);
  });

  it("gives a runtime of its own only to files of the list", () => {
    expect(OWN_RUNTIME_TEST_FILES.filter((p) => !MESH_TEST_FILES.includes(p))).toEqual([]);
  });
});
