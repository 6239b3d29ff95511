/**
 * HTTPDirectResponse: a fixed local reply. No body when none is configured (Istio adds no
 * content-type; users set one with `headers.response.set`). `body.bytes` (base64) is decoded once per
 * snapshot object.
 */
import type { DirectResponseAction } from "../config/snapshot.js";

export interface DirectResponse {
  status: number;
  body: string | Uint8Array | null;
}

const decoded = new WeakMap<object, Uint8Array>();

export function directResponse(action: DirectResponseAction): DirectResponse {
  const body = action.body;
  if (!body) return { status: action.status, body: null };
  if ("string" in body) return { status: action.status, body: body.string };
  let bytes = decoded.get(body);
  if (!bytes) {
    const bin = atob(body.bytes);
    bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    decoded.set(body, bytes);
  }
  return { status: action.status, body: bytes };
}
