/**
 * PeerAuthentication: Istio's precedence (workload > namespace > mesh, oldest wins, UNSET inherits,
 * portLevelMtls), the STRICT/PERMISSIVE/DISABLE gate for mesh and edge callers, and the client
 * certificate identity read from `request.cf.tlsClientAuth` (SPIFFE URI SAN in the leaf DER).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MeshOptions } from "../../../src/config/mesh-options.js";
import type { Resource } from "../../../src/config/resource.js";
import { compilePeerAuthn, composePeerAuthn, type PeerAuthnMode, type PeerAuthnTable } from "../../../src/config/compile/peer-authentication.js";
import type { PolicyWorkload } from "../../../src/config/compile/policy-attachment.js";
import { peerAuthnMode as modeOf } from "../../../src/policy/peer-authn/peer-mode.js";

/** The mode for the gateway, or for another workload composed from the same policies. */
const peerAuthnMode = (table: PeerAuthnTable | undefined, port: number, workload?: PolicyWorkload): PeerAuthnMode =>
  modeOf(table && (workload ? composePeerAuthn(table.policies, workload) : table.gateway), port);
import { checkPeerIdentity, edgeClientCert, edgePeerMode, spiffeIdentity, type PeerCaller } from "../../../src/policy/peer-authn/peer-identity.js";
import { decodeRfc9440, subjectAltNames } from "../../../src/policy/peer-authn/x509-san.js";
import { pa } from "./fixtures.js";
import { SPIFFE_CERT_DER as REAL_CERT } from "../../helpers/fixtures.js";

const GW: MeshOptions = { gatewayLabels: { istio: "ingressgateway", app: "edge" }, gatewayNamespace: "gateways", trustDomain: "cluster.local" };
const t = (day: number) => `2024-01-${String(day).padStart(2, "0")}T00:00:00Z`;
const mode = (m: "UNSET" | "DISABLE" | "PERMISSIVE" | "STRICT") => ({ mtls: { mode: m } });
const SEL = { selector: { matchLabels: { app: "edge" } } };

describe("precedence", () => {
  const rows: { name: string; policies: () => Resource[]; port?: number; mode: PeerAuthnMode }[] = [
    { name: "no policy ⇒ PERMISSIVE", policies: () => [], mode: "PERMISSIVE" },
    { name: "mesh STRICT", policies: () => [pa("default", mode("STRICT"), { namespace: "istio-system" })], mode: "STRICT" },
    { name: "namespace overrides mesh", policies: () => [pa("mesh", mode("STRICT"), { namespace: "istio-system" }), pa("ns", mode("PERMISSIVE"), { namespace: "gateways" })], mode: "PERMISSIVE" },
    { name: "workload overrides namespace", policies: () => [pa("ns", mode("DISABLE"), { namespace: "gateways" }), pa("wl", { ...SEL, ...mode("STRICT") }, { namespace: "gateways" })], mode: "STRICT" },
    { name: "UNSET workload inherits namespace", policies: () => [pa("ns", mode("DISABLE"), { namespace: "gateways" }), pa("wl", { ...SEL, ...mode("UNSET") }, { namespace: "gateways" })], mode: "DISABLE" },
    { name: "UNSET namespace inherits mesh", policies: () => [pa("mesh", mode("STRICT"), { namespace: "istio-system" }), pa("ns", {}, { namespace: "gateways" })], mode: "STRICT" },
    { name: "oldest namespace policy wins", policies: () => [pa("newer", mode("STRICT"), { namespace: "gateways", created: t(5) }), pa("older", mode("DISABLE"), { namespace: "gateways", created: t(2) })], mode: "DISABLE" },
    { name: "oldest workload policy wins", policies: () => [pa("newer", { ...SEL, ...mode("STRICT") }, { namespace: "gateways", created: t(5) }), pa("older", { selector: { matchLabels: { istio: "ingressgateway" } }, ...mode("PERMISSIVE") }, { namespace: "gateways", created: t(3) })], mode: "PERMISSIVE" },
    { name: "same creation time: by name", policies: () => [pa("b", mode("STRICT"), { namespace: "gateways", created: t(1) }), pa("a", mode("DISABLE"), { namespace: "gateways", created: t(1) })], mode: "DISABLE" },
    { name: "selector that does not match is ignored", policies: () => [pa("wl", { selector: { matchLabels: { app: "other" } }, ...mode("STRICT") }, { namespace: "gateways" })], mode: "PERMISSIVE" },
    { name: "selector policy in the root namespace is ignored", policies: () => [pa("wl", { ...SEL, ...mode("STRICT") }, { namespace: "istio-system" })], mode: "PERMISSIVE" },
    { name: "other namespaces do not apply", policies: () => [pa("ns", mode("STRICT"), { namespace: "bookinfo" })], mode: "PERMISSIVE" },
    { name: "empty selector is namespace-wide", policies: () => [pa("ns", { selector: {}, ...mode("STRICT") }, { namespace: "gateways" })], mode: "STRICT" },
    { name: "portLevelMtls on the port", policies: () => [pa("wl", { ...SEL, ...mode("STRICT"), portLevelMtls: { "8080": { mode: "DISABLE" } } }, { namespace: "gateways" })], port: 8080, mode: "DISABLE" },
    { name: "portLevelMtls, other port", policies: () => [pa("wl", { ...SEL, ...mode("STRICT"), portLevelMtls: { "8080": { mode: "DISABLE" } } }, { namespace: "gateways" })], port: 443, mode: "STRICT" },
    { name: "portLevelMtls UNSET inherits the workload result", policies: () => [pa("ns", mode("STRICT"), { namespace: "gateways" }), pa("wl", { ...SEL, portLevelMtls: { "443": { mode: "UNSET" } } }, { namespace: "gateways" })], port: 443, mode: "STRICT" },
  ];
  for (const row of rows) {
    it(row.name, () => {
      expect(peerAuthnMode(compilePeerAuthn(row.policies(), GW), row.port ?? 443)).toBe(row.mode);
    });
  }

  it("composes for another workload (east-west destination)", () => {
    const table = compilePeerAuthn([pa("reviews-strict", { selector: { matchLabels: { app: "reviews" } }, ...mode("STRICT") }, { namespace: "bookinfo" })], GW);
    expect(peerAuthnMode(table, 9080)).toBe("PERMISSIVE");
    expect(peerAuthnMode(table, 9080, { namespace: "bookinfo", labels: { app: "reviews", version: "v2" } })).toBe("STRICT");
    expect(peerAuthnMode(table, 9080, { namespace: "bookinfo", labels: { app: "ratings" } })).toBe("PERMISSIVE");
    // look-alike label sets stay apart
    const tricky = compilePeerAuthn([pa("s", { selector: { matchLabels: { a: "b", c: "d" } }, ...mode("STRICT") }, { namespace: "bookinfo" })], GW);
    expect(peerAuthnMode(tricky, 1, { namespace: "bookinfo", labels: { a: "b,c=d" } })).toBe("PERMISSIVE");
    expect(peerAuthnMode(tricky, 1, { namespace: "bookinfo", labels: { a: "b", c: "d" } })).toBe("STRICT");
    expect(peerAuthnMode(tricky, 1, { namespace: "bookinfo", labels: { a: "b,c=d" } })).toBe("PERMISSIVE");
    expect(peerAuthnMode(undefined, 1)).toBe("PERMISSIVE");
  });

  it("records which policies decided", () => {
    const table = compilePeerAuthn([pa("mesh", mode("STRICT"), { namespace: "istio-system" }), pa("wl", { ...SEL, ...mode("PERMISSIVE") }, { namespace: "gateways" })], GW);
    expect(table.gateway).toEqual({ mode: "PERMISSIVE", from: { mesh: "istio-system/mesh", workload: "gateways/wl" } });
    expect(JSON.parse(JSON.stringify(table))).toEqual(table);
  });
});


// ---- a minimal DER writer for synthetic certificates ----
const len = (n: number): number[] => (n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
const tlv = (tag: number, body: number[]): number[] => [tag, ...len(body.length), ...body];
const seq = (...items: number[][]) => tlv(0x30, items.flat());
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
function syntheticCert(names: { uri?: string[]; dns?: string[] }): string {
  const general = [...(names.uri ?? []).map((u) => tlv(0x86, ascii(u))), ...(names.dns ?? []).map((d) => tlv(0x82, ascii(d)))];
  const san = seq(tlv(0x06, [0x55, 0x1d, 0x11]), tlv(0x04, seq(...general)));
  const keyUsage = seq(tlv(0x06, [0x55, 0x1d, 0x0f]), tlv(0x01, [0xff]), tlv(0x04, [0x03, 0x02, 0x05, 0xa0]));
  const tbs = seq(tlv(0xa0, tlv(0x02, [2])), tlv(0x02, [1]), seq(tlv(0x06, [0x2a])), seq(), seq(), seq(), seq(), tlv(0xa3, seq(keyUsage, san)));
  const der = seq(tbs, seq(tlv(0x06, [0x2a])), tlv(0x03, [0]));
  return `:${btoa(String.fromCharCode(...der))}:`;
}

describe("client certificate identity", () => {
  it("reads the SANs of a real certificate", () => {
    expect(subjectAltNames(decodeRfc9440(`:${REAL_CERT}:`)!)).toEqual({ uris: ["spiffe://cluster.local/ns/foo/sa/bar"], dnsNames: ["bar.foo.svc"] });
  });

  const verified = { certPresented: "1", certVerified: "SUCCESS", certRevoked: "0", certSubjectDN: "CN=bar,O=cluster.local" };
  const rows: { name: string; auth: Record<string, string> | undefined; cert: ReturnType<typeof edgeClientCert> }[] = [
    { name: "no tlsClientAuth (mTLS not enabled)", auth: undefined, cert: undefined },
    { name: "no certificate presented", auth: { certPresented: "0", certVerified: "NONE" }, cert: undefined },
    { name: "verified, SPIFFE SAN", auth: { ...verified, certRFC9440: `:${REAL_CERT}:` }, cert: { verified: true, principal: "cluster.local/ns/foo/sa/bar", subject: "CN=bar,O=cluster.local" } },
    { name: "verified, first spiffe URI wins", auth: { ...verified, certRFC9440: syntheticCert({ uri: ["https://x.example/a", "spiffe://td/ns/a/sa/b", "spiffe://td/ns/c/sa/d"] }) }, cert: { verified: true, principal: "td/ns/a/sa/b", subject: verified.certSubjectDN } },
    { name: "verified, DNS SAN only: no principal", auth: { ...verified, certRFC9440: syntheticCert({ dns: ["client.example.com"] }) }, cert: { verified: true, subject: verified.certSubjectDN } },
    { name: "verified, leaf too large for RFC 9440 (empty)", auth: { ...verified, certRFC9440: "" }, cert: { verified: true, subject: verified.certSubjectDN } },
    { name: "failed verification: no identity", auth: { ...verified, certVerified: "FAILED:self signed certificate", certRFC9440: `:${REAL_CERT}:` }, cert: { verified: false, subject: verified.certSubjectDN } },
    { name: "revoked: not verified", auth: { ...verified, certRevoked: "1", certRFC9440: `:${REAL_CERT}:` }, cert: { verified: false, subject: verified.certSubjectDN } },
    { name: "garbage certificate bytes: no principal", auth: { ...verified, certRFC9440: ":AAAA:" }, cert: { verified: true, subject: verified.certSubjectDN } },
  ];
  for (const row of rows) {
    it(row.name, () => expect(edgeClientCert(row.auth)).toEqual(row.cert));
  }

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const names = subjectAltNames(bytes);
        expect(Array.isArray(names.uris) && Array.isArray(names.dnsNames)).toBe(true);
      }),
    );
    const real = decodeRfc9440(REAL_CERT)!;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: real.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const mutated = real.slice();
        mutated[at] = byte;
        subjectAltNames(mutated);
        subjectAltNames(real.subarray(0, at));
      }),
    );
  });

  it("spiffeIdentity", () => {
    expect(spiffeIdentity("cluster.local", "bookinfo", "reviews")).toBe("cluster.local/ns/bookinfo/sa/reviews");
  });
});

describe("checkPeerIdentity", () => {
  const ID = "cluster.local/ns/foo/sa/bar";
  const rows: { name: string; mode: PeerAuthnMode; caller: PeerCaller; ok: boolean; principal?: string }[] = [
    { name: "STRICT, mesh caller with identity", mode: "STRICT", caller: { kind: "mesh", principal: ID }, ok: true, principal: ID },
    { name: "STRICT, mesh caller without identity", mode: "STRICT", caller: { kind: "mesh" }, ok: false },
    { name: "STRICT, edge without certificate", mode: "STRICT", caller: { kind: "edge" }, ok: false },
    { name: "STRICT, edge with a failed certificate", mode: "STRICT", caller: { kind: "edge", clientCert: { verified: false } }, ok: false },
    { name: "STRICT, edge verified certificate with SPIFFE ID", mode: "STRICT", caller: { kind: "edge", clientCert: { verified: true, principal: ID } }, ok: true, principal: ID },
    { name: "STRICT, edge verified certificate without SPIFFE ID", mode: "STRICT", caller: { kind: "edge", clientCert: { verified: true } }, ok: true },
    { name: "PERMISSIVE, plaintext edge", mode: "PERMISSIVE", caller: { kind: "edge" }, ok: true },
    { name: "PERMISSIVE keeps the identity", mode: "PERMISSIVE", caller: { kind: "mesh", principal: ID }, ok: true, principal: ID },
    { name: "PERMISSIVE ignores an unverified certificate's identity", mode: "PERMISSIVE", caller: { kind: "edge", clientCert: { verified: false, principal: ID } }, ok: true },
    { name: "DISABLE drops the identity", mode: "DISABLE", caller: { kind: "mesh", principal: ID }, ok: true },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const r = checkPeerIdentity(row.mode, row.caller);
      expect(r.ok).toBe(row.ok);
      if (r.ok) expect(r.principal).toBe(row.principal);
      else {
        expect(r.reply).toEqual({ status: 403, body: "mTLS required: no verified peer identity", flag: "NR", details: "filter_chain_not_found", headers: undefined });
        expect(r.details).toBe("filter_chain_not_found");
      }
    });
  }

  it("a MUTUAL gateway server requires a client certificate whatever PeerAuthentication says", () => {
    expect(edgePeerMode("PERMISSIVE", "MUTUAL")).toBe("STRICT");
    expect(edgePeerMode("DISABLE", "ISTIO_MUTUAL")).toBe("STRICT");
    expect(edgePeerMode("PERMISSIVE", "SIMPLE")).toBe("PERMISSIVE");
    expect(edgePeerMode("STRICT")).toBe("STRICT");
  });
});
