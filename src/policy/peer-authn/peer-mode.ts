/** The mTLS mode a PeerAuthentication composition gives a request arriving on a workload port. */
import type { MergedPeerAuthn, PeerAuthnMode } from "../../config/compile/peer-authentication.js";

export type { MergedPeerAuthn, PeerAuthnMode } from "../../config/compile/peer-authentication.js";

/** `portLevelMtls` for the port, else the workload's mode (PERMISSIVE when nothing applies). */
export function peerAuthnMode(merged: MergedPeerAuthn | undefined, port: number): PeerAuthnMode {
  if (!merged) return "PERMISSIVE";
  return merged.perPort?.[String(port)] ?? merged.mode;
}
