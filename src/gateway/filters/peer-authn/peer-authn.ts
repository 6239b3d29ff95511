/**
 * Gateway stage, 3: client identity at the edge (DESIGN §3). Edge clients have an identity only with a
 * client certificate Cloudflare verified (`request.cf.tlsClientAuth`); it becomes `source.principal`.
 * As at Istio's ingress gateway, what the edge demands is the Gateway server's `tls.mode`: `MUTUAL`
 * (or `ISTIO_MUTUAL`) refuses clients without a verified certificate, `OPTIONAL_MUTUAL` takes one when
 * sent; other servers never ask for a client certificate, so none is read (nor `request.cf`, which
 * costs a parse per read). PeerAuthentication governs
 * sidecars, not gateway listeners — a mesh-wide STRICT must not lock the internet out — so it is
 * enforced by the destination stage, where a member's or the gateway's own identity is checked.
 */
import { checkPeerIdentity, edgeClientCert, edgePeerMode } from "../../../policy/peer-authn/peer-identity.js";
import type { RequestFilter } from "../../chain/filter.js";
import { record } from "../../chain/request-context.js";

export const peerAuthnFilter: RequestFilter = {
  name: "peer_authn",
  onRequest(rc) {
    if (rc.listener === "mesh") return undefined;
    const tlsMode = rc.vhost?.virtualHost.tlsMode;
    if (tlsMode !== "MUTUAL" && tlsMode !== "ISTIO_MUTUAL" && tlsMode !== "OPTIONAL_MUTUAL") {
      record(rc, "peer_authn", { mode: "PERMISSIVE", principal: null });
      return undefined;
    }
    const cf = (rc.request as { cf?: { tlsClientAuth?: Parameters<typeof edgeClientCert>[0] } }).cf;
    const mode = edgePeerMode("PERMISSIVE", tlsMode);
    if (mode === "PERMISSIVE" && !cf?.tlsClientAuth) {
      record(rc, "peer_authn", { mode, principal: null });
      return undefined;
    }
    const check = checkPeerIdentity(mode, { kind: "edge", clientCert: edgeClientCert(cf?.tlsClientAuth) });
    record(rc, "peer_authn", check.ok ? { mode, principal: check.principal ?? null } : { mode, denied: check.details });
    if (!check.ok) return check.reply;
    rc.sourcePrincipal = check.principal;
    return undefined;
  },
};
