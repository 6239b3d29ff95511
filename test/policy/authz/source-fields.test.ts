/**
 * `from.source` fields and their `not*` forms: one table per field, each row evaluated as ALLOW and
 * as DENY (see harness.ts). Peer fields match the SPIFFE principal as pilot's generators do.
 */
import { describe } from "vitest";
import type { Source } from "../../../src/config/schemas/authorization-policy.js";
import { jwt } from "./fixtures.js";
import { runRows, type RuleRow } from "./harness.js";

const FOO_BAR = "cluster.local/ns/foo/sa/bar";
const from = (source: Source) => ({ from: [{ source }] });

describe("principals", () => {
  runRows([
    { name: "exact principal", rule: from({ principals: [FOO_BAR] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "exact, other principal", rule: from({ principals: [FOO_BAR] }), request: { sourcePrincipal: "cluster.local/ns/foo/sa/baz" }, match: false },
    { name: "no peer identity", rule: from({ principals: [FOO_BAR] }), request: {}, match: false },
    { name: "prefix", rule: from({ principals: ["cluster.local/ns/foo/*"] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "prefix is not a namespace prefix match", rule: from({ principals: ["cluster.local/ns/foo/*"] }), request: { sourcePrincipal: "cluster.local/ns/foo2/sa/bar" }, match: false },
    { name: "suffix", rule: from({ principals: ["*/sa/bar"] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "suffix, other account", rule: from({ principals: ["*/sa/bar"] }), request: { sourcePrincipal: "cluster.local/ns/foo/sa/barn" }, match: false },
    { name: "* = any identity", rule: from({ principals: ["*"] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "* needs an identity", rule: from({ principals: ["*"] }), request: {}, match: false },
    { name: "values are ORed", rule: from({ principals: ["cluster.local/ns/x/sa/y", FOO_BAR] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "notPrincipals, other identity", rule: from({ notPrincipals: [FOO_BAR] }), request: { sourcePrincipal: "cluster.local/ns/a/sa/b" }, match: true },
    { name: "notPrincipals, that identity", rule: from({ notPrincipals: [FOO_BAR] }), request: { sourcePrincipal: FOO_BAR }, match: false },
    { name: "notPrincipals [*] matches plaintext callers", rule: from({ notPrincipals: ["*"] }), request: {}, match: true },
    { name: "principals and notPrincipals both hold", rule: from({ principals: ["cluster.local/ns/foo/*"], notPrincipals: [FOO_BAR] }), request: { sourcePrincipal: "cluster.local/ns/foo/sa/qux" }, match: true },
    { name: "principals and notPrincipals, excluded", rule: from({ principals: ["cluster.local/ns/foo/*"], notPrincipals: [FOO_BAR] }), request: { sourcePrincipal: FOO_BAR }, match: false },
  ]);
});

const ISS = "https://issuer.example.com";

describe("requestPrincipals", () => {
  runRows([
    { name: "exact iss/sub", rule: from({ requestPrincipals: [`${ISS}/alice`] }), request: { auth: jwt({ iss: ISS, sub: "alice" }) }, match: true },
    { name: "exact, other subject", rule: from({ requestPrincipals: [`${ISS}/alice`] }), request: { auth: jwt({ iss: ISS, sub: "bob" }) }, match: false },
    { name: "no token", rule: from({ requestPrincipals: [`${ISS}/alice`] }), request: {}, match: false },
    { name: "* = any token with iss and sub", rule: from({ requestPrincipals: ["*"] }), request: { auth: jwt({ iss: ISS, sub: "alice" }) }, match: true },
    { name: "* needs sub (istio/istio#22540)", rule: from({ requestPrincipals: ["*"] }), request: { auth: jwt({ iss: ISS }) }, match: false },
    { name: "* without token", rule: from({ requestPrincipals: ["*"] }), request: {}, match: false },
    { name: "issuer/* = any subject of that issuer", rule: from({ requestPrincipals: [`${ISS}/*`] }), request: { auth: jwt({ iss: ISS, sub: "carol" }) }, match: true },
    { name: "issuer/*, other issuer", rule: from({ requestPrincipals: [`${ISS}/*`] }), request: { auth: jwt({ iss: "https://evil.example", sub: "carol" }) }, match: false },
    { name: "issuer/prefix*", rule: from({ requestPrincipals: [`${ISS}/svc-*`] }), request: { auth: jwt({ iss: ISS, sub: "svc-orders" }) }, match: true },
    { name: "*/subject = that subject from any issuer", rule: from({ requestPrincipals: ["*/alice"] }), request: { auth: jwt({ iss: "https://other", sub: "alice" }) }, match: true },
    { name: "*suffix/subject", rule: from({ requestPrincipals: ["*example.com/alice"] }), request: { auth: jwt({ iss: ISS, sub: "alice" }) }, match: true },
    { name: "issuer is split at the last /", rule: from({ requestPrincipals: [`${ISS}/tenant/alice`] }), request: { auth: jwt({ iss: `${ISS}/tenant`, sub: "alice" }) }, match: true },
    { name: "notRequestPrincipals [*] matches requests without a token", rule: from({ notRequestPrincipals: ["*"] }), request: {}, match: true },
    { name: "notRequestPrincipals [*], with a token", rule: from({ notRequestPrincipals: ["*"] }), request: { auth: jwt({ iss: ISS, sub: "alice" }) }, match: false },
  ]);
});

describe("namespaces", () => {
  runRows([
    { name: "namespace of the peer", rule: from({ namespaces: ["foo"] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "other namespace", rule: from({ namespaces: ["foo"] }), request: { sourcePrincipal: "cluster.local/ns/foobar/sa/bar" }, match: false },
    { name: "no identity, no namespace", rule: from({ namespaces: ["foo"] }), request: {}, match: false },
    { name: "prefix", rule: from({ namespaces: ["foo*"] }), request: { sourcePrincipal: "cluster.local/ns/foobar/sa/x" }, match: true },
    { name: "suffix", rule: from({ namespaces: ["*bar"] }), request: { sourcePrincipal: "cluster.local/ns/foobar/sa/x" }, match: true },
    { name: "*", rule: from({ namespaces: ["*"] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "regex metacharacters are literal", rule: from({ namespaces: ["f.o"] }), request: { sourcePrincipal: FOO_BAR }, match: false },
    { name: "notNamespaces, other namespace", rule: from({ notNamespaces: ["foo"] }), request: { sourcePrincipal: "cluster.local/ns/bar/sa/x" }, match: true },
    { name: "notNamespaces, no identity", rule: from({ notNamespaces: ["foo"] }), request: {}, match: true },
    { name: "notNamespaces, that namespace", rule: from({ notNamespaces: ["foo"] }), request: { sourcePrincipal: FOO_BAR }, match: false },
  ]);
});

describe("serviceAccounts", () => {
  runRows([
    { name: "ns/sa", rule: from({ serviceAccounts: ["foo/bar"] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "ns/sa is not a prefix of a longer account", rule: from({ serviceAccounts: ["foo/bar"] }), request: { sourcePrincipal: "cluster.local/ns/foo/sa/bar-admin" }, match: false },
    { name: "sa alone means the policy's namespace", rule: from({ serviceAccounts: ["bar"] }), request: { sourcePrincipal: "cluster.local/ns/istio-system/sa/bar" }, match: true },
    { name: "sa alone, other namespace", rule: from({ serviceAccounts: ["bar"] }), request: { sourcePrincipal: FOO_BAR }, match: false },
    { name: "any trust domain", rule: from({ serviceAccounts: ["foo/bar"] }), request: { sourcePrincipal: "example.org/ns/foo/sa/bar" }, match: true },
    { name: "notServiceAccounts", rule: from({ notServiceAccounts: ["foo/bar"] }), request: { sourcePrincipal: "cluster.local/ns/foo/sa/baz" }, match: true },
    { name: "notServiceAccounts, that account", rule: from({ notServiceAccounts: ["foo/bar"] }), request: { sourcePrincipal: FOO_BAR }, match: false },
  ]);
});

describe("trustDomains", () => {
  runRows([
    { name: "exact", rule: from({ trustDomains: ["cluster.local"] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "exact is not a prefix", rule: from({ trustDomains: ["cluster"] }), request: { sourcePrincipal: FOO_BAR }, match: false },
    { name: "*", rule: from({ trustDomains: ["*"] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "* needs an identity", rule: from({ trustDomains: ["*"] }), request: {}, match: false },
    { name: "suffix wildcard", rule: from({ trustDomains: ["*.local"] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "prefix wildcard stays inside the domain", rule: from({ trustDomains: ["cluster*"] }), request: { sourcePrincipal: "other.local/ns/cluster/sa/x" }, match: false },
    { name: "notTrustDomains", rule: from({ notTrustDomains: ["cluster.local"] }), request: { sourcePrincipal: "partner.example/ns/a/sa/b" }, match: true },
  ]);
});

describe("ipBlocks (direct peer, CF-Connecting-IP)", () => {
  runRows([
    { name: "IPv4 CIDR", rule: from({ ipBlocks: ["198.51.100.0/24"] }), request: { sourceIp: "198.51.100.7" }, match: true },
    { name: "IPv4 CIDR, outside", rule: from({ ipBlocks: ["198.51.100.0/24"] }), request: { sourceIp: "198.51.101.7" }, match: false },
    { name: "odd prefix length", rule: from({ ipBlocks: ["198.51.100.128/25"] }), request: { sourceIp: "198.51.100.127" }, match: false },
    { name: "odd prefix length, inside", rule: from({ ipBlocks: ["198.51.100.128/25"] }), request: { sourceIp: "198.51.100.200" }, match: true },
    { name: "single address", rule: from({ ipBlocks: ["203.0.113.9"] }), request: { sourceIp: "203.0.113.9" }, match: true },
    { name: "/0 matches all IPv4", rule: from({ ipBlocks: ["0.0.0.0/0"] }), request: { sourceIp: "203.0.113.9" }, match: true },
    { name: "IPv6 CIDR", rule: from({ ipBlocks: ["2001:db8::/32"] }), request: { sourceIp: "2001:db8:1::5" }, match: true },
    { name: "IPv6 CIDR, outside", rule: from({ ipBlocks: ["2001:db8::/32"] }), request: { sourceIp: "2001:db9::5" }, match: false },
    { name: "IPv4 block, IPv6 peer", rule: from({ ipBlocks: ["0.0.0.0/0"] }), request: { sourceIp: "2001:db8::1" }, match: false },
    { name: "IPv4-mapped IPv6 is IPv6", rule: from({ ipBlocks: ["198.51.100.0/24"] }), request: { sourceIp: "::ffff:198.51.100.7" }, match: false },
    { name: "uses the peer, not the remote client", rule: from({ ipBlocks: ["198.51.100.0/24"] }), request: { sourceIp: "203.0.113.1", remoteIp: "198.51.100.7" }, match: false },
    { name: "unknown peer", rule: from({ ipBlocks: ["0.0.0.0/0"] }), request: { sourceIp: undefined }, match: false },
    { name: "notIpBlocks", rule: from({ notIpBlocks: ["198.51.100.0/24"] }), request: { sourceIp: "203.0.113.1" }, match: true },
    { name: "notIpBlocks, inside", rule: from({ notIpBlocks: ["198.51.100.0/24"] }), request: { sourceIp: "198.51.100.1" }, match: false },
  ]);
});

describe("remoteIpBlocks (original client)", () => {
  runRows([
    { name: "matches the remote client", rule: from({ remoteIpBlocks: ["192.0.2.0/24"] }), request: { sourceIp: "203.0.113.1", remoteIp: "192.0.2.44" }, match: true },
    { name: "not the peer", rule: from({ remoteIpBlocks: ["203.0.113.0/24"] }), request: { sourceIp: "203.0.113.1", remoteIp: "192.0.2.44" }, match: false },
    { name: "notRemoteIpBlocks", rule: from({ notRemoteIpBlocks: ["192.0.2.0/24"] }), request: { remoteIp: "198.51.100.3" }, match: true },
  ]);
});

describe("a source's fields are ANDed; sources are ORed", () => {
  runRows([
    { name: "all fields hold", rule: from({ principals: [FOO_BAR], ipBlocks: ["198.51.100.0/24"] }), request: { sourcePrincipal: FOO_BAR, sourceIp: "198.51.100.2" }, match: true },
    { name: "one field fails", rule: from({ principals: [FOO_BAR], ipBlocks: ["198.51.100.0/24"] }), request: { sourcePrincipal: FOO_BAR, sourceIp: "203.0.113.2" }, match: false },
    {
      name: "second source matches",
      rule: { from: [{ source: { principals: ["cluster.local/ns/x/sa/y"] } }, { source: { ipBlocks: ["198.51.100.0/24"] } }] },
      request: { sourceIp: "198.51.100.2" },
      match: true,
    },
    {
      name: "no source matches",
      rule: { from: [{ source: { principals: ["cluster.local/ns/x/sa/y"] } }, { source: { ipBlocks: ["198.51.100.0/24"] } }] },
      request: { sourceIp: "203.0.113.2" },
      match: false,
    },
  ]);
});
