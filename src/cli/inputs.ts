/**
 * `-f FILE|DIR|-` and `analyze FILE...`: read the inputs, load every document with its file and line,
 * apply `-n`, and remember where each resource came from so that what the server says about a resource
 * (a 422 error, an analyzer warning) can point back at the file and line the user wrote it on.
 */
import type { ConfigError, SourceLocation } from "../config/errors.js";
import { lineOfPath, loadText, type LoadedDocument } from "../config/loader.js";
import { DEFAULT_NAMESPACE, kindInfoFor, resourceKey } from "../config/resource.js";
import { CliError, type CliIO, type ReadInputsOptions } from "./command.js";

export interface LoadedInputs {
  /** Names of the inputs read, in order (`<stdin>` for `-`). */
  files: string[];
  documents: LoadedDocument[];
  /** YAML/JSON syntax errors, with file and line. */
  parseErrors: ConfigError[];
}

/** Reads and loads the inputs; a path that cannot be read ends the command. */
export async function loadInputs(io: CliIO, paths: string[], opts: ReadInputsOptions = {}): Promise<LoadedInputs> {
  let inputs;
  try {
    inputs = await io.readInputs(paths, opts);
  } catch (e) {
    throw new CliError(`error: ${e instanceof Error ? e.message : String(e)}`);
  }
  const documents: LoadedDocument[] = [];
  const parseErrors: ConfigError[] = [];
  for (const input of inputs) {
    const loaded = loadText(input.text, { file: input.file });
    documents.push(...loaded.documents);
    parseErrors.push(...loaded.errors);
  }
  return { files: inputs.map((i) => i.file), documents, parseErrors };
}

/**
 * Gives documents without a namespace the `-n` namespace, as kubectl does, and refuses a document whose
 * own namespace differs from an explicit `-n` (kubectl's rule: the flag never silently moves a resource).
 * Returns copies; the loaded documents keep their line maps.
 */
export function withNamespace(docs: LoadedDocument[], namespace: string | undefined): LoadedDocument[] {
  if (namespace === undefined) return docs;
  return docs.map((doc) => {
    const raw = doc.raw as { metadata?: unknown } | null;
    if (!raw || typeof raw !== "object" || Array.isArray(raw) || !raw.metadata || typeof raw.metadata !== "object") return doc;
    const meta = raw.metadata as Record<string, unknown>;
    if (typeof meta.namespace === "string" && meta.namespace !== "" && meta.namespace !== namespace) {
      throw new CliError(
        `error: the namespace from the provided object ${JSON.stringify(meta.namespace)} does not match the namespace ${JSON.stringify(namespace)}. ` +
          `You must pass '--namespace=${meta.namespace}' to perform this operation.`,
      );
    }
    return { ...doc, raw: { ...raw, metadata: { ...meta, namespace } } };
  });
}

/**
 * Points server findings back at the inputs: a message naming `Kind ns/name` (and a field path) gets
 * the file and line of that resource (and field). The body was sent as JSON, so the server knows no lines.
 */
export function sourceLocator(docs: LoadedDocument[]): <T extends SourceLocation & { kind: string; namespace: string; name: string; path?: string }>(m: T) => T {
  const byKey = new Map<string, LoadedDocument>();
  for (const doc of docs) {
    const raw = doc.raw as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
    if (!raw || typeof raw !== "object" || typeof raw.kind !== "string") continue;
    const name = typeof raw.metadata?.name === "string" ? raw.metadata.name : "";
    const namespace = typeof raw.metadata?.namespace === "string" && raw.metadata.namespace ? raw.metadata.namespace : DEFAULT_NAMESPACE;
    // Kinds may come back canonical (`VirtualService`) whatever case the user wrote.
    const kind = kindInfoFor(raw.apiVersion, raw.kind)?.kind ?? raw.kind;
    byKey.set(resourceKey({ kind, metadata: { name, namespace } }), doc);
  }
  return (m) => {
    if (m.file) return m;
    const doc = byKey.get(resourceKey({ kind: m.kind, metadata: { name: m.name, namespace: m.namespace } }));
    if (!doc?.file) return m;
    return { ...m, file: doc.file, line: m.path ? lineOfPath(doc, m.path) : doc.line };
  };
}

/** Syntax errors end `apply`/`delete` before anything is sent. */
export function parseErrorLines(errors: ConfigError[]): string[] {
  return errors.map((e) => `error: ${e.file ?? "<input>"}${e.line ? `:${e.line}` : ""}: ${e.message}`);
}
