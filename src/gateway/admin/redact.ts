/**
 * Secrets never leave through the admin API (`get`, lists, `config_dump`): private and symmetric key
 * material in inline JWKS (RequestAuthentication `jwks`, and the compiled JWT table) is replaced by
 * `REDACTED`. Public keys stay readable, so an operator can still see which keys are configured.
 */

export const REDACTED = "REDACTED";

/** JWK members that hold secret material (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const SECRET_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** A deep copy of `value` with secret key material redacted. */
export function redactSecrets<T>(value: T): T {
  return walk(value) as T;
}

function walk(v: unknown, key?: string): unknown {
  if (typeof v === "string") return key === "jwks" ? redactJwksText(v) : v;
  if (Array.isArray(v)) return v.map((x) => walk(x));
  if (v === null || typeof v !== "object") return v;
  const obj = v as Record<string, unknown>;
  const isJwk = typeof obj.kty === "string";
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(obj)) out[k] = isJwk && SECRET_JWK_MEMBERS.includes(k) ? REDACTED : walk(x, k);
  return out;
}

function redactJwksText(text: string): string {
  try {
    return JSON.stringify(walk(JSON.parse(text)));
  } catch {
    return text;
  }
}
