/**
 * Who the peer is, and whether the PeerAuthentication mode lets the request in.
 *
 * - East-west (`kind: "mesh"`): a member calls through its service binding; its SPIFFE identity comes
 *   from the binding's configuration (`ctx.props`), never from a header (DESIGN §3).
 * - North-south (`kind: "edge"`): the identity is the client certificate Cloudflare verified
 *   (`request.cf.tlsClientAuth`, see `edgeClientCert`): its first `spiffe://` URI SAN.
 *
 * Modes: DISABLE admits the request without a peer identity (Istio's plaintext: no
 * `source.principal`); PERMISSIVE admits it with the identity when there is one; STRICT refuses a
 * request without one. Envoy refuses such a connection during the TLS handshake (it matches no filter
 * chain: `NR`, details `filter_chain_not_found`) and sends no HTTP answer; Isthmus has already
 * accepted the connection at Cloudflare, so it answers 403 with flag `NR` (a 403, not a 401: no HTTP
 * credential can fix a missing client certificate, and 401 requires a challenge).
 *
 * @example
 *   const caller = kind === "mesh" ? { kind: "mesh", principal } : { kind: "edge", clientCert: edgeClientCert(request.cf?.tlsClientAuth) };
 *   const peer = checkPeerIdentity(peerAuthnMode(table, port), caller);
 *   if (!peer.ok) return peer.reply;
 *   view.sourcePrincipal = peer.principal;
 */
import { localReply, type LocalReply } from "../local-reply.js";
import { SPIFFE_PREFIX } from "../authz/identity-match.js";
import type { PeerAuthnMode } from "../../config/compile/peer-authentication.js";
import { decodeRfc9440, subjectAltNames } from "./x509-san.js";

/** `<trust-domain>/ns/<ns>/sa/<sa>`: the identity without `spiffe://`, as AuthorizationPolicy writes it. */
export function spiffeIdentity(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** A client certificate as Cloudflare reports it. */
export interface EdgeClientCert {
  /** `certPresented === "1"`, `certVerified === "SUCCESS"` and `certRevoked !== "1"`. */
  verified: boolean;
  /** The first `spiffe://` URI SAN, without the scheme. */
  principal?: string;
  /** `certSubjectDN`, for logs. */
  subject?: string;
}

export type PeerCaller =
  | { kind: "mesh"; principal?: string }
  | { kind: "edge"; clientCert?: EdgeClientCert };

/** The fields of `IncomingRequestCfPropertiesTLSClientAuth` read here. */
export interface TlsClientAuthFields {
  certPresented?: string;
  certVerified?: string;
  certRevoked?: string;
  certSubjectDN?: string;
  certRFC9440?: string;
}

/**
 * Reads `request.cf.tlsClientAuth` (present when the zone has mTLS / client certificates enabled):
 * `certPresented` "1", `certVerified` "SUCCESS" (otherwise `NONE` or `FAILED:<reason>`), `certRevoked`
 * "0", `certSubjectDN`, and `certRFC9440` (the leaf certificate, whose URI SANs carry the SPIFFE ID;
 * empty when over 10 KB). Undefined when no certificate was presented.
 */
export function edgeClientCert(auth: TlsClientAuthFields | null | undefined): EdgeClientCert | undefined {
  if (!auth || auth.certPresented !== "1") return undefined;
  const verified = auth.certVerified === "SUCCESS" && auth.certRevoked !== "1";
  const cert: EdgeClientCert = { verified };
  if (auth.certSubjectDN) cert.subject = auth.certSubjectDN;
  if (verified && auth.certRFC9440) {
    const der = decodeRfc9440(auth.certRFC9440);
    const uri = der && subjectAltNames(der).uris.find((u) => u.startsWith(SPIFFE_PREFIX) && u.length > SPIFFE_PREFIX.length);
    if (uri) cert.principal = uri.slice(SPIFFE_PREFIX.length);
  }
  return cert;
}

export type PeerCheck =
  /** Admitted; `principal` is what AuthorizationPolicy sees as `source.principal` (without `spiffe://`). */
  | { ok: true; principal?: string; mode: PeerAuthnMode }
  | { ok: false; reply: LocalReply; details: string; mode: PeerAuthnMode };

export const PEER_IDENTITY_REQUIRED_BODY = "mTLS required: no verified peer identity";

export function checkPeerIdentity(mode: PeerAuthnMode, caller: PeerCaller): PeerCheck {
  if (mode === "DISABLE") return { ok: true, mode };
  const authenticated = caller.kind === "mesh" ? caller.principal !== undefined && caller.principal !== "" : caller.clientCert?.verified === true;
  const principal = caller.kind === "mesh" ? caller.principal || undefined : caller.clientCert?.verified ? caller.clientCert.principal : undefined;
  if (mode === "STRICT" && !authenticated)
    return { ok: false, mode, reply: localReply(403, PEER_IDENTITY_REQUIRED_BODY, "NR", "filter_chain_not_found"), details: "filter_chain_not_found" };
  return principal === undefined ? { ok: true, mode } : { ok: true, mode, principal };
}

/**
 * The mode an edge request must meet on a Gateway server: a server with `tls.mode: MUTUAL` (or
 * `ISTIO_MUTUAL`) requires a verified client certificate whatever PeerAuthentication says.
 */
export function edgePeerMode(peerMode: PeerAuthnMode, serverTlsMode?: string): PeerAuthnMode {
  return serverTlsMode === "MUTUAL" || serverTlsMode === "ISTIO_MUTUAL" ? "STRICT" : peerMode;
}
