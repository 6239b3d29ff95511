/**
 * Secrets never leave through the admin API (`get`, lists, `config_dump`): private and symmetric key
 * material in inline JWKS (RequestAuthentication `jwks`, and the compiled JWT table) is replaced by
 * `REDACTED`. Public keys stay readable, so an operator can still see which keys are configured.
 */

import { MAX_NESTING, pathDeeperThan } from "../../config/validate.js";

export const REDACTED = "REDACTED";

/** JWK members that hold secret material (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const SECRET_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** A deep copy of `value` with secret key material redacted. */
export function redactSecrets<T>(value: T): T {
  return walk(value) as T;
}

/**
 * Stored resources nest at most MAX_NESTING levels (admission), but inline JWKS text is a string
 * a client chose: anything nested deeper than any key set can be is shown as REDACTED, not walked.
 */
const MAX_WALK_DEPTH = 2 * MAX_NESTING;

function walk(v: unknown, key?: string, depth = 0): unknown {
  if (depth > MAX_WALK_DEPTH) return REDACTED;
  if (typeof v === "string") return key === "jwks" ? redactJwksText(v) : v;
  if (Array.isArray(v)) return v.map((x) => walk(x, undefined, depth + 1));
  if (v === null || typeof v !== "object") return v;
  const obj = v as Record<string, unknown>;
  const isJwk = typeof obj.kty === "string";
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(obj)) out[k] = isJwk && SECRET_JWK_MEMBERS.includes(k) ? REDACTED : walk(x, k, depth + 1);
  return out;
}

function redactJwksText(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (pathDeeperThan(parsed, MAX_NESTING) !== undefined) return REDACTED;
    return JSON.stringify(walk(parsed));
  } catch {
    return text;
  }
}
