/**
 * The layering of DESIGN §1, checked on the source itself: imports point downward only
 * (config < router < policy < durable < gateway; cli uses config only), and no module imports itself
 * back through others — type-only imports included, since a cycle of types is still a cycle to read.
 */
/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";

const sources = import.meta.glob("../../src/**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

const LAYERS = ["config", "router", "policy", "durable", "gateway"] as const;
/** The layers each top folder may import from (its own included). */
const ALLOWED: Record<string, readonly string[]> = {
  config: ["config"],
  router: ["config", "router"],
  policy: ["config", "router", "policy"],
  durable: ["config", "router", "policy", "durable"],
  gateway: [...LAYERS],
  cli: ["config", "cli"],
};

function normalize(path: string): string {
  const parts: string[] = [];
  for (const p of path.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

/** module → the modules it imports (relative specifiers resolved, `.js` → `.ts`). */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  const spec = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+["'](\.{1,2}\/[^"']+)["']/g;
  for (const [file, text] of Object.entries(sources)) {
    const from = normalize(file.replace(/^(\.\.\/)+/, ""));
    const dir = from.split("/").slice(0, -1).join("/");
    const deps: string[] = [];
    for (const m of text.matchAll(spec)) {
      if (!/\.(js|ts)$/.test(m[1]!)) continue; // data (package.json), not a module of the tree
      deps.push(normalize(`${dir}/${m[1]!.replace(/\.js$/, ".ts")}`));
    }
    g.set(from, deps);
  }
  return g;
}

describe("imports", () => {
  const g = graph();

  it("sees the whole tree", () => {
    expect(g.size).toBeGreaterThan(150);
    expect(g.get("src/gateway/index.ts")).toContain("src/gateway/chain/chain.ts");
  });

  it("point downward only", () => {
    const wrong: string[] = [];
    for (const [from, deps] of g) {
      const layer = from.split("/")[1]!;
      for (const to of deps) {
        const target = to.split("/")[1]!;
        if (!(ALLOWED[layer] ?? []).includes(target)) wrong.push(`${from} → ${to}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("form no cycle (type-only imports included)", () => {
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const stack: string[] = [];
    const visit = (m: string) => {
      state.set(m, "visiting");
      stack.push(m);
      for (const d of g.get(m) ?? []) {
        if (!g.has(d)) continue;
        if (state.get(d) === "visiting") cycles.push([...stack.slice(stack.indexOf(d)), d].join(" → "));
        else if (!state.has(d)) visit(d);
      }
      stack.pop();
      state.set(m, "done");
    };
    for (const m of g.keys()) if (!state.has(m)) visit(m);
    expect(cycles).toEqual([]);
  });
});
