/**
 * Reading admin request bodies: at most 1 MiB (413 beyond, before parsing anything), YAML or JSON in
 * any of the four forms, then admission (validate). Returns resources or the errors to answer 422 with.
 */
import type { ConfigError } from "../../config/errors.js";
import { loadText, type LoadedDocument } from "../../config/loader.js";
import type { Resource } from "../../config/resource.js";
import { validateDocuments } from "../../config/validate.js";
import { readAtMost } from "../upstream/request-body.js";
import { REDACTED } from "./redact.js";

export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLarge extends Error {
  constructor() {
    super(`request body is larger than ${MAX_BODY_BYTES} bytes (1 MiB)`);
  }
}

/** Reads the body as text, refusing more than MAX_BODY_BYTES whatever Content-Length says. */
export async function readBodyText(req: Request): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    await req.body?.cancel();
    throw new BodyTooLarge();
  }
  if (!req.body) return "";
  const read = await readAtMost(req.body, MAX_BODY_BYTES);
  if (read.kind === "over") {
    await read.reader.cancel();
    throw new BodyTooLarge();
  }
  return new TextDecoder().decode(read.bytes);
}

export interface Admitted {
  resources: Resource[];
  documents: LoadedDocument[];
  errors: ConfigError[];
}

/** Loads and validates a body. An empty body is an error (nothing to apply). */
export function admit(text: string): Admitted {
  const loaded = loadText(text);
  if (loaded.errors.length) return { resources: [], documents: [], errors: loaded.errors };
  if (loaded.documents.length === 0) {
    return { resources: [], documents: [], errors: [{ kind: "", namespace: "", name: "", path: "", code: "FieldValueRequired", message: "the body holds no resources" }] };
  }
  const { resources, errors } = validateDocuments(loaded.documents);
  for (const r of resources) errors.push(...redactedPlaceholders(r));
  return { resources: errors.length ? [] : resources, documents: loaded.documents, errors };
}

/**
 * A resource read back through the admin API has its key material replaced by `REDACTED`; applying
 * it again as is would store the placeholder instead of the key. Refuse that instead.
 */
function redactedPlaceholders(r: Resource): ConfigError[] {
  if (r.kind !== "RequestAuthentication") return [];
  const rules = (r.spec as { jwtRules?: { jwks?: string }[] }).jwtRules ?? [];
  return rules.flatMap((rule, i) =>
    typeof rule.jwks === "string" && rule.jwks.includes(`"${REDACTED}"`)
      ? [{ kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name, path: `spec.jwtRules[${i}].jwks`, code: "FieldValueInvalid" as const,
          message: `the JWKS holds the ${REDACTED} placeholder the admin API shows instead of secret key material; supply the real keys` }]
      : []);
}
