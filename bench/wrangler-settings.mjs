/**
 * The few wrangler.toml settings the benchmark must share with a real deployment: compatibility date
 * and flags, [vars], and the Durable Object bindings (binding name → class, SQLite or not). Read with
 * a deliberately small TOML subset reader so the bench needs no dependency; anything it does not
 * understand is ignored, and the bench's own bindings override [vars].
 */
import { readFileSync } from "node:fs";

/**
 * @typedef {object} WranglerSettings
 * @property {string} compatibilityDate
 * @property {string[]} compatibilityFlags
 * @property {Record<string, string>} vars
 * @property {{ name: string, className: string, sqlite: boolean }[]} durableObjects
 */

/** @returns {WranglerSettings} */
export function readWranglerSettings(path) {
  const text = readFileSync(path, "utf8");
  /** @type {{ table: string, entries: Record<string, string | string[]> }[]} */
  const tables = [{ table: "", entries: {} }];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i]).trim();
    if (!line) continue;
    const header = /^\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?$/.exec(line);
    if (header) {
      tables.push({ table: header[1], entries: {} });
      continue;
    }
    const kv = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    let value = kv[2];
    // Multi-line arrays: gather until the brackets balance.
    if (value.startsWith("[")) {
      while (depth(value) > 0 && i + 1 < lines.length) value += " " + stripComment(lines[++i]).trim();
    }
    const parsed = parseValue(value);
    if (parsed !== undefined) tables.at(-1).entries[kv[1]] = parsed;
  }
  const top = tables[0].entries;
  const sqliteClasses = new Set(tables.filter((t) => t.table === "migrations").flatMap((t) => asList(t.entries.new_sqlite_classes)));
  return {
    compatibilityDate: typeof top.compatibility_date === "string" ? top.compatibility_date : "2025-01-01",
    compatibilityFlags: asList(top.compatibility_flags),
    vars: Object.fromEntries(Object.entries(tables.find((t) => t.table === "vars")?.entries ?? {}).filter(([, v]) => typeof v === "string")),
    durableObjects: tables
      .filter((t) => t.table === "durable_objects.bindings" && typeof t.entries.name === "string" && typeof t.entries.class_name === "string")
      .map((t) => ({ name: t.entries.name, className: t.entries.class_name, sqlite: sqliteClasses.has(t.entries.class_name) })),
  };
}

function stripComment(line) {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"' && line[i - 1] !== "\\") inString = !inString;
    else if (c === "#" && !inString) return line.slice(0, i);
  }
  return line;
}

function depth(s) {
  let d = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' && s[i - 1] !== "\\") inString = !inString;
    else if (!inString && (c === "[" || c === "{")) d++;
    else if (!inString && (c === "]" || c === "}")) d--;
  }
  return d;
}

/** A string, or an array of strings; inline tables and other types give undefined. */
function parseValue(v) {
  v = v.trim();
  if (v.startsWith('"')) {
    try {
      return JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  if (v.startsWith("[") && !v.includes("{")) {
    const items = [...v.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`));
    return items;
  }
  return undefined;
}

function asList(v) {
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}
