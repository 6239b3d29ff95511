/**
 * Loads the four body forms of DESIGN §4 into documents: multi-document YAML, a JSON object, a JSON
 * array of objects, or a Kubernetes `kind: List` with `items`. YAML keeps the line of every field so
 * later stages can point at it (`bookinfo.yaml:12`).
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from "yaml";
import type { ConfigError } from "./errors.js";

/** One object as loaded, before validation. */
export interface LoadedDocument {
  /** The plain value of the document (normally an object with apiVersion, kind, metadata, spec). */
  raw: unknown;
  file?: string;
  /** 1-based line where the document (or List item) starts; undefined for JSON bodies. */
  line?: number;
  /** Line of each field path (`spec.http[0].route`), for YAML input. */
  lines?: Map<string, number>;
}

export interface LoadResult {
  documents: LoadedDocument[];
  /** Syntax errors: the whole input is refused when there is any. */
  errors: ConfigError[];
}

export interface LoadOptions {
  /** Shown in error messages and analyzer output. */
  file?: string;
}

function parseError(message: string, file: string | undefined, line?: number): ConfigError {
  return { kind: "", namespace: "", name: "", path: "", message, code: "ParseError", file, line };
}

/** Loads YAML or JSON text (JSON is YAML, but a leading `[`/`{` is parsed as JSON for exact errors). */
export function loadText(text: string, opts: LoadOptions = {}): LoadResult {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return fromValue(JSON.parse(text), opts);
    } catch (e) {
      // Fall through to YAML: flow-style YAML also starts with { or [; it reports positions.
      if (!(e instanceof SyntaxError)) throw e;
    }
  }
  return loadYaml(text, opts);
}

/** Loads an already-parsed JSON value: an object, an array of objects, or a `kind: List`. */
export function fromValue(value: unknown, opts: LoadOptions = {}): LoadResult {
  const documents: LoadedDocument[] = [];
  const items = Array.isArray(value) ? value : isList(value) ? (value as { items: unknown[] }).items : [value];
  for (const raw of items) documents.push({ raw, file: opts.file });
  return { documents, errors: [] };
}

function isList(v: unknown): boolean {
  return (
    typeof v === "object" && v !== null && !Array.isArray(v) &&
    (v as { kind?: unknown }).kind === "List" && Array.isArray((v as { items?: unknown }).items)
  );
}

function loadYaml(text: string, opts: LoadOptions): LoadResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const errors: ConfigError[] = [];
  const documents: LoadedDocument[] = [];
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    errors.push(parseError("not a YAML stream", opts.file));
    return { documents, errors };
  }
  for (const [index, doc] of list.entries()) {
    for (const err of doc.errors) {
      const pos = lineCounter.linePos(err.pos[0]);
      const what = /call stack/i.test(err.message) ? "YAML nests too deeply" : `YAML syntax error: ${firstLine(err.message)}`;
      errors.push(parseError(list.length > 1 ? `document ${index + 1}: ${what}` : what, opts.file, pos.line));
    }
    if (doc.errors.length) continue;
    if (doc.contents === null) continue; // empty document (e.g. a trailing `---`)
    const lineOf = (n: Node | null | undefined) => (n?.range ? lineCounter.linePos(n.range[0]).line : undefined);
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
    } catch (e) {
      // Aliases that expand without bound (a "billion laughs" document), or nesting beyond the stack.
      errors.push(parseError(`document ${index + 1}: ${expansionError(e)}`, opts.file, lineOf(doc.contents as Node)));
      continue;
    }
    if (raw === null || raw === undefined) continue;
    if (isList(raw) && isMap(doc.contents)) {
      const itemsNode = doc.contents.get("items", true);
      (raw as { items: unknown[] }).items.forEach((item, i) => {
        const node = isSeq(itemsNode) ? (itemsNode.items[i] as Node | undefined) : undefined;
        const lines = new Map<string, number>();
        if (node) collectLines(node, "", lines, lineOf);
        documents.push({ raw: item, file: opts.file, line: lineOf(node), lines });
      });
      continue;
    }
    if (Array.isArray(raw) && isSeq(doc.contents)) {
      const seq = doc.contents;
      raw.forEach((item, i) => {
        const node = seq.items[i] as Node | undefined;
        const lines = new Map<string, number>();
        if (node) collectLines(node, "", lines, lineOf);
        documents.push({ raw: item, file: opts.file, line: lineOf(node), lines });
      });
      continue;
    }
    const lines = new Map<string, number>();
    collectLines(doc.contents as Node, "", lines, lineOf);
    documents.push({ raw, file: opts.file, line: lineOf(doc.contents as Node), lines });
  }
  return { documents, errors };
}

/** Alias uses the YAML library allows per document before refusing it as a resource-exhaustion attack. */
const MAX_ALIAS_COUNT = 100;

function expansionError(e: unknown): string {
  const message = String((e as Error)?.message ?? e);
  if (/alias count/i.test(message)) return `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} alias uses, nested): refused as a resource-exhaustion attack`;
  if (e instanceof RangeError) return "YAML nests too deeply";
  return `YAML error: ${firstLine(message)}`;
}

function firstLine(s: string): string {
  return s.split("\n")[0] ?? s;
}

function collectLines(
  node: Node,
  path: string,
  out: Map<string, number>,
  lineOf: (n: Node | null | undefined) => number | undefined,
): void {
  const line = lineOf(node);
  if (line !== undefined && !out.has(path)) out.set(path, line);
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const child = joinPath(path, key);
      const keyLine = lineOf(pair.key as Node);
      if (keyLine !== undefined) out.set(child, keyLine);
      if (pair.value && typeof pair.value === "object") collectLines(pair.value as Node, child, out, lineOf);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      if (item && typeof item === "object") collectLines(item as Node, `${path}[${i}]`, out, lineOf);
    });
  }
}

/** Joins a field path the way error messages print it: `spec.http[0].match`, `metadata.labels["app.kubernetes.io/name"]`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  const simple = /^[A-Za-z_$@][\w$@-]*$/.test(key);
  if (!simple) return `${base}[${JSON.stringify(key)}]`;
  return base ? `${base}.${key}` : key;
}

/** The line of the deepest known ancestor of `path` (a field that is missing points at its parent). */
export function lineOfPath(doc: LoadedDocument, path: string): number | undefined {
  if (!doc.lines) return doc.line;
  let p = path;
  for (;;) {
    const l = doc.lines.get(p);
    if (l !== undefined) return l;
    if (!p) return doc.line;
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    p = cut <= 0 ? "" : p.slice(0, cut);
  }
}
