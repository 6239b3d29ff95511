/**
 * What a verified payload offers the rest of the gateway: claims for AuthorizationPolicy
 * (`request.auth.claims[...]`) and VirtualService claim routing (`@request.auth.claims.*`), normalized
 * as Envoy puts them in dynamic metadata (`spaceDelimitedClaims`, `scope` and `permission` split on
 * spaces), and claim values copied to headers (`outputClaimToHeaders`).
 */
import { claimAt, dottedClaimPath } from "../../config/claim-path.js";

/** A claim by its dotted name (`a.b.c`), as jwt_verify_lib `StructUtils::GetValue` walks it. */
export function claimByName(payload: Record<string, unknown>, name: string): unknown {
  return claimAt(payload, dottedClaimPath(name));
}

/**
 * The header value for a claim (Envoy `addJWTClaimToHeader`): strings as they are, booleans as
 * `true`/`false`, non-negative integers in decimal and other numbers as C's `%f` (`1.500000`).
 * Objects, lists, null and empty strings give no header (Istio supports string, int and bool claims).
 * The value is the claim's text: the runtime sends header values as UTF-8, which is what Envoy
 * forwards (encoding it here too would send every non-ASCII character twice encoded). A value with
 * control characters is dropped rather than split into a second header.
 */
export function claimHeaderValue(value: unknown): string | undefined {
  let text: string;
  if (typeof value === "string") text = value;
  else if (typeof value === "boolean") text = value ? "true" : "false";
  else if (typeof value === "number" && Number.isFinite(value)) {
    text = value >= 0 && Number.isInteger(value) && value < 2 ** 64 ? BigInt(value).toString() : value.toFixed(6);
  } else return undefined;
  if (text === "" || /[\0-\x08\x0a-\x1f\x7f]/.test(text)) return undefined;
  return text;
}

/**
 * The payload with each listed top-level string claim split on spaces (empty pieces dropped) into a
 * list, as Envoy's `normalize_payload_in_metadata.space_delimited_claims`; a claim that splits into
 * nothing keeps its string. The result shares unchanged values with `payload`.
 */
export function normalizeClaims(payload: Record<string, unknown>, spaceDelimited: readonly string[]): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const name of spaceDelimited) {
    if (!Object.prototype.hasOwnProperty.call(payload, name)) continue;
    const v = payload[name];
    if (typeof v !== "string") continue;
    const parts = v.split(" ").filter((p) => p !== "");
    if (parts.length === 0) continue;
    out ??= Object.assign(Object.create(null) as Record<string, unknown>, payload);
    out[name] = parts;
  }
  return out ?? payload;
}
