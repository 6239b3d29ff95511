/**
 * Stage 2b: PeerAuthentication and workload identity (DESIGN §3). East-west callers carry the SPIFFE
 * identity of their binding; edge clients have one only with a client certificate Cloudflare verified
 * (`request.cf.tlsClientAuth`). STRICT (or a Gateway server with `tls.mode: MUTUAL`) refuses callers
 * without one; the identity becomes `source.principal`.
 */
import { checkPeerIdentity, edgeClientCert, edgePeerMode } from "../../../policy/peer-authn/peer-identity.js";
import { peerAuthnMode } from "../../../policy/peer-authn/peer-authentication.js";
import type { RequestFilter } from "../../chain/filter.js";

export const peerAuthnFilter: RequestFilter = {
  name: "peer_authn",
  onRequest(rc) {
    const table = rc.live.policies.peerAuthn;
    const serverTlsMode = rc.vhost?.virtualHost.tlsMode;
    if (rc.caller.kind === "mesh") {
      const check = checkPeerIdentity(peerAuthnMode(table, rc.port), { kind: "mesh", principal: rc.caller.principal });
      if (!check.ok) return check.reply;
      rc.sourcePrincipal = check.principal;
      return undefined;
    }
    const cf = (rc.request as { cf?: { tlsClientAuth?: Parameters<typeof edgeClientCert>[0] } }).cf;
    const mode = edgePeerMode(peerAuthnMode(table, rc.port), serverTlsMode);
    if (mode === "PERMISSIVE" && !cf?.tlsClientAuth) return undefined;
    const check = checkPeerIdentity(mode, { kind: "edge", clientCert: edgeClientCert(cf?.tlsClientAuth) });
    if (!check.ok) return check.reply;
    rc.sourcePrincipal = check.principal;
    return undefined;
  },
};
