/**
 * Reads what `isthmus inject` and `isthmus verify-install` need from a wrangler config — `wrangler.toml`
 * or `wrangler.json[c]` — without a TOML dependency: the top-level table, `[vars]`, service bindings
 * (`services = [...]` or `[[services]]`), `[[durable_objects.bindings]]` and `[[migrations]]`, each service
 * binding with the character span it was written in, so a line-based editor can replace exactly that
 * binding and keep every comment and the order of everything else. `[env.*]` sections are read as
 * tables but not interpreted (the top-level config is the one `wrangler deploy` uses without `--env`).
 *
 * The TOML reader understands the part of TOML wrangler configs use: comments, bare/quoted/dotted keys,
 * `[table]` and `[[array of tables]]` headers, basic and literal strings (single-line and multi-line),
 * numbers, booleans, arrays (multi-line, trailing commas) and inline tables.
 */

export interface ServiceBinding {
  binding: string;
  service: string;
  entrypoint?: string;
  props?: Record<string, unknown>;
  /** Where the binding is written: `[start, end)` offsets in the text. */
  span: { start: number; end: number };
  /** `inline`: one `{ ... }` entry of a `services` array; `table`: a `[[services]]` section. */
  form: "inline" | "table";
}

export interface DurableObjectBinding {
  name: string;
  class_name: string;
  script_name?: string;
}

export interface Migration {
  tag?: string;
  new_classes?: string[];
  new_sqlite_classes?: string[];
  renamed_classes?: { from: string; to: string }[];
  deleted_classes?: string[];
}

export interface WranglerConfig {
  format: "toml" | "json";
  name?: string;
  main?: string;
  vars: Record<string, unknown>;
  services: ServiceBinding[];
  durableObjects: DurableObjectBinding[];
  migrations: Migration[];
  /** Everything read, as plain data. */
  raw: Record<string, unknown>;
}

export class WranglerConfigError extends Error {}

/** Reads a wrangler config; `file` decides the format (`.json`/`.jsonc` → JSON with comments, else TOML). */
export function readWranglerConfig(text: string, file = "wrangler.toml"): WranglerConfig {
  const json = /\.jsonc?$/i.test(file);
  const { raw, serviceSpans } = json ? readJsonc(text) : readToml(text);
  const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === "object" && x !== null) : []);
  const rawServices = list(raw.services);
  const services: ServiceBinding[] = rawServices.map((s, i) => ({
    binding: String(s.binding ?? ""),
    service: String(s.service ?? ""),
    ...(typeof s.entrypoint === "string" ? { entrypoint: s.entrypoint } : {}),
    ...(s.props && typeof s.props === "object" ? { props: s.props as Record<string, unknown> } : {}),
    span: serviceSpans[i]?.span ?? { start: 0, end: 0 },
    form: serviceSpans[i]?.form ?? "inline",
  }));
  const dobj = (raw.durable_objects as { bindings?: unknown } | undefined)?.bindings;
  return {
    format: json ? "json" : "toml",
    ...(typeof raw.name === "string" ? { name: raw.name } : {}),
    ...(typeof raw.main === "string" ? { main: raw.main } : {}),
    vars: raw.vars && typeof raw.vars === "object" ? (raw.vars as Record<string, unknown>) : {},
    services,
    durableObjects: list(dobj).map((d) => ({ name: String(d.name ?? ""), class_name: String(d.class_name ?? ""), ...(typeof d.script_name === "string" ? { script_name: d.script_name } : {}) })),
    migrations: list(raw.migrations) as Migration[],
    raw,
  };
}

interface SpanInfo {
  span: { start: number; end: number };
  form: "inline" | "table";
}

// ---------------------------------------------------------------------------------------------------
// JSON with comments

function readJsonc(text: string): { raw: Record<string, unknown>; serviceSpans: SpanInfo[] } {
  const blank = blankComments(text);
  let raw: unknown;
  try {
    raw = JSON.parse(blank.replace(/,(\s*[}\]])/g, " $1"));
  } catch (e) {
    throw new WranglerConfigError(`not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new WranglerConfigError("the config is not a JSON object");
  return { raw: raw as Record<string, unknown>, serviceSpans: jsonServiceSpans(blank) };
}

/** The text with comments replaced by spaces (offsets and newlines kept). */
function blankComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (c === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      out += " ".repeat(stop - i);
      i = stop;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just after the JSON string starting at `i`. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
  return j + 1;
}

/** Spans of the objects of the top-level `"services"` array (in a comment-free text). */
function jsonServiceSpans(text: string): SpanInfo[] {
  // Find `"services"` at depth 1 of the top-level object.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const end = stringEnd(text, i);
      if (depth === 1 && text.slice(i, end) === '"services"') {
        const colon = text.slice(end).search(/\S/);
        if (text[end + colon] === ":") {
          const open = end + colon + 1 + text.slice(end + colon + 1).search(/\S/);
          if (text[open] === "[") return arrayObjectSpans(text, open);
        }
      }
      i = end - 1;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
  }
  return [];
}

function arrayObjectSpans(text: string, open: number): SpanInfo[] {
  const out: SpanInfo[] = [];
  let depth = 0;
  let start = -1;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      i = stringEnd(text, i) - 1;
      continue;
    }
    if (c === "[" || c === "{") {
      depth++;
      if (depth === 2 && c === "{") start = i;
    } else if (c === "]" || c === "}") {
      if (depth === 2 && c === "}" && start >= 0) {
        out.push({ span: { start, end: i + 1 }, form: "inline" });
        start = -1;
      }
      depth--;
      if (depth === 0) break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// TOML (the subset wrangler configs use)

class TomlReader {
  i = 0;
  constructor(readonly text: string) {}

  fail(message: string): never {
    const line = this.text.slice(0, this.i).split("\n").length;
    throw new WranglerConfigError(`line ${line}: ${message}`);
  }

  /** Skips spaces and tabs (and, when `newlines`, newlines and comments). */
  skip(newlines: boolean): void {
    for (;;) {
      const c = this.text[this.i];
      if (c === " " || c === "\t" || c === "\r") this.i++;
      else if (newlines && c === "\n") this.i++;
      else if (c === "#") {
        if (!newlines) return;
        while (this.i < this.text.length && this.text[this.i] !== "\n") this.i++;
      } else return;
    }
  }

  /** After a value on a key line: only a comment may follow before the newline. */
  endOfLine(): void {
    this.skip(false);
    if (this.text[this.i] === "#") while (this.i < this.text.length && this.text[this.i] !== "\n") this.i++;
    if (this.i < this.text.length && this.text[this.i] !== "\n") this.fail(`unexpected ${JSON.stringify(this.text[this.i])} after a value`);
  }

  key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skip(false);
      const c = this.text[this.i];
      if (c === '"' || c === "'") parts.push(this.string());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.text.slice(this.i, this.i + 200));
        if (!m) this.fail("expected a key");
        parts.push(m[0]);
        this.i += m[0].length;
      }
      this.skip(false);
      if (this.text[this.i] !== ".") return parts;
      this.i++;
    }
  }

  string(): string {
    const t = this.text;
    if (t.startsWith('"""', this.i) || t.startsWith("'''", this.i)) {
      const q = t.slice(this.i, this.i + 3);
      const end = t.indexOf(q, this.i + 3);
      if (end < 0) this.fail("unterminated multi-line string");
      let s = t.slice(this.i + 3, end).replace(/^\r?\n/, "");
      this.i = end + 3;
      if (q === '"""') s = unescapeBasic(s.replace(/\\\r?\n\s*/g, ""));
      return s;
    }
    const q = t[this.i]!;
    let j = this.i + 1;
    while (j < t.length && t[j] !== q && t[j] !== "\n") j += q === '"' && t[j] === "\\" ? 2 : 1;
    if (t[j] !== q) this.fail("unterminated string");
    const body = t.slice(this.i + 1, j);
    this.i = j + 1;
    return q === '"' ? unescapeBasic(body) : body;
  }

  value(): unknown {
    this.skip(false);
    const t = this.text;
    const c = t[this.i];
    if (c === '"' || c === "'") return this.string();
    if (c === "[") return this.array();
    if (c === "{") return this.inlineTable().value;
    const m = /^[^\s,\]}#]+/.exec(t.slice(this.i, this.i + 100));
    if (!m) this.fail("expected a value");
    this.i += m[0].length;
    const word = m[0];
    if (word === "true") return true;
    if (word === "false") return false;
    const n = Number(word.replace(/_/g, ""));
    if (!Number.isNaN(n)) return n;
    return word; // dates and the like: kept as written
  }

  array(): unknown[] {
    this.i++; // [
    const out: unknown[] = [];
    for (;;) {
      this.skip(true);
      if (this.text[this.i] === "]") {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.skip(true);
      if (this.text[this.i] === ",") this.i++;
      else if (this.text[this.i] !== "]") this.fail("expected , or ] in an array");
    }
  }

  /** Also used for the spans of `services = [ {...}, ... ]` entries. */
  inlineTable(): { value: Record<string, unknown>; start: number; end: number } {
    const start = this.i;
    this.i++; // {
    const value: Record<string, unknown> = {};
    for (;;) {
      this.skip(true);
      if (this.text[this.i] === "}") {
        this.i++;
        return { value, start, end: this.i };
      }
      const key = this.key();
      if (this.text[this.i] !== "=") this.fail("expected = in an inline table");
      this.i++;
      setPath(value, key, this.value(), this);
      this.skip(true);
      if (this.text[this.i] === ",") this.i++;
      else if (this.text[this.i] !== "}") this.fail("expected , or } in an inline table");
    }
  }
}

function unescapeBasic(s: string): string {
  return s.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_, e: string) => {
    if (e[0] === "u" || e[0] === "U") return String.fromCodePoint(parseInt(e.slice(1), 16));
    return ({ n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", '"': '"', "\\": "\\" } as Record<string, string>)[e] ?? e;
  });
}

function setPath(target: Record<string, unknown>, key: string[], value: unknown, reader: TomlReader): void {
  let t = target;
  for (const k of key.slice(0, -1)) {
    const next = t[k];
    if (next === undefined) t = t[k] = {} as Record<string, unknown>;
    else if (typeof next === "object" && next !== null && !Array.isArray(next)) t = next as Record<string, unknown>;
    else reader.fail(`key ${key.join(".")} redefines a value`);
  }
  const last = key[key.length - 1]!;
  if (last in t) reader.fail(`key ${key.join(".")} is defined twice`);
  t[last] = value;
}

/** The table a `[a.b]` / `[[a.b]]` header opens (creating it, or appending to the array of tables). */
function openTable(root: Record<string, unknown>, key: string[], array: boolean, reader: TomlReader): Record<string, unknown> {
  let t = root;
  key.forEach((k, n) => {
    const last = n === key.length - 1;
    let next = t[k];
    if (last && array) {
      if (next === undefined) next = t[k] = [];
      if (!Array.isArray(next)) reader.fail(`[[${key.join(".")}]] but ${key.join(".")} is not an array of tables`);
      const table: Record<string, unknown> = {};
      (next as unknown[]).push(table);
      t = table;
      return;
    }
    if (next === undefined) next = t[k] = {};
    if (Array.isArray(next)) next = next[next.length - 1];
    if (typeof next !== "object" || next === null) reader.fail(`[${key.join(".")}] but ${k} is a value`);
    t = next as Record<string, unknown>;
  });
  return t;
}

function readToml(text: string): { raw: Record<string, unknown>; serviceSpans: SpanInfo[] } {
  const r = new TomlReader(text);
  const root: Record<string, unknown> = {};
  let table = root;
  let tablePath: string[] = [];
  const spans: SpanInfo[] = [];
  let openServiceTable: SpanInfo | undefined;
  for (;;) {
    r.skip(true);
    if (r.i >= text.length) break;
    const lineStart = text.lastIndexOf("\n", r.i - 1) + 1;
    if (text[r.i] === "[") {
      const array = text[r.i + 1] === "[";
      r.i += array ? 2 : 1;
      const key = r.key();
      if (!text.startsWith(array ? "]]" : "]", r.i)) r.fail("unterminated table header");
      r.i += array ? 2 : 1;
      r.endOfLine();
      table = openTable(root, key, array, r);
      tablePath = key;
      openServiceTable = undefined;
      if (array && key.length === 1 && key[0] === "services") {
        openServiceTable = { span: { start: lineStart, end: r.i }, form: "table" };
        spans.push(openServiceTable);
      }
      continue;
    }
    const key = r.key();
    if (text[r.i] !== "=") r.fail(`expected = after ${key.join(".")}`);
    r.i++;
    r.skip(false);
    if (tablePath.length === 0 && key.length === 1 && key[0] === "services" && text[r.i] === "[") {
      // services = [ {...}, ... ]: remember each entry's span.
      r.i++;
      const entries: unknown[] = [];
      for (;;) {
        r.skip(true);
        if (text[r.i] === "]") {
          r.i++;
          break;
        }
        if (text[r.i] === "{") {
          const t = r.inlineTable();
          entries.push(t.value);
          spans.push({ span: { start: t.start, end: t.end }, form: "inline" });
        } else entries.push(r.value());
        r.skip(true);
        if (text[r.i] === ",") r.i++;
        else if (text[r.i] !== "]") r.fail("expected , or ] in services");
      }
      setPath(table, key, entries, r);
    } else setPath(table, key, r.value(), r);
    r.endOfLine();
    if (openServiceTable) openServiceTable.span.end = r.i;
  }
  return { raw: root, serviceSpans: spans };
}
