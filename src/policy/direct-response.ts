/**
 * HTTPDirectResponse: a fixed local reply. No body when none is configured (Istio adds no
 * content-type; users set one with `headers.response.set`). `body.bytes` (base64) is decoded once per
 * snapshot (`directResponseBody`, at hydrate).
 */
import type { DirectResponseAction } from "../config/snapshot.js";

export type DirectResponseBody = string | Uint8Array | null;

/** The body to send, decoded from the action. */
export function directResponseBody(action: DirectResponseAction): DirectResponseBody {
  const body = action.body;
  if (!body) return null;
  if ("string" in body) return body.string;
  const bin = atob(body.bytes);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}
