/**
 * `when` conditions: one table per key family, with `values` and `notValues` (each row as ALLOW and
 * DENY). Conditions are ANDed; values within one are ORed.
 */
import { describe } from "vitest";
import type { Condition } from "../../../src/config/schemas/authorization-policy.js";
import { jwt } from "./fixtures.js";
import { runRows } from "./harness.js";

const when = (...conditions: Condition[]) => ({ when: conditions });
const FOO_BAR = "cluster.local/ns/foo/sa/bar";
const ISS = "https://issuer.example.com";

describe("request.headers[...]", () => {
  runRows([
    { name: "exact", rule: when({ key: "request.headers[X-Env]", values: ["prod"] }), request: { headers: { "x-env": "prod" } }, match: true },
    { name: "header name is case-insensitive", rule: when({ key: "request.headers[x-ENV]", values: ["prod"] }), request: { headers: { "X-Env": "prod" } }, match: true },
    { name: "value is case-sensitive", rule: when({ key: "request.headers[X-Env]", values: ["prod"] }), request: { headers: { "x-env": "PROD" } }, match: false },
    { name: "absent header", rule: when({ key: "request.headers[X-Env]", values: ["prod"] }), request: {}, match: false },
    { name: "prefix", rule: when({ key: "request.headers[User-Agent]", values: ["curl/*"] }), request: { headers: { "user-agent": "curl/8.1" } }, match: true },
    { name: "suffix", rule: when({ key: "request.headers[X-Env]", values: ["*-prod"] }), request: { headers: { "x-env": "eu-prod" } }, match: true },
    { name: "* = present, even empty", rule: when({ key: "request.headers[X-Debug]", values: ["*"] }), request: { headers: { "x-debug": "" } }, match: true },
    { name: "* = present, absent", rule: when({ key: "request.headers[X-Debug]", values: ["*"] }), request: {}, match: false },
    { name: ":authority pseudo-header", rule: when({ key: "request.headers[:authority]", values: ["example.com"] }), request: { host: "example.com" }, match: true },
    { name: "notValues", rule: when({ key: "request.headers[X-Env]", notValues: ["prod"] }), request: { headers: { "x-env": "dev" } }, match: true },
    { name: "notValues, absent header", rule: when({ key: "request.headers[X-Env]", notValues: ["prod"] }), request: {}, match: true },
    { name: "notValues, listed", rule: when({ key: "request.headers[X-Env]", notValues: ["prod"] }), request: { headers: { "x-env": "prod" } }, match: false },
    { name: "values and notValues", rule: when({ key: "request.headers[X-Env]", values: ["*"], notValues: ["prod"] }), request: { headers: { "x-env": "stage" } }, match: true },
  ]);
});

describe("source.ip / remote.ip / destination.ip", () => {
  runRows([
    { name: "source.ip", rule: when({ key: "source.ip", values: ["198.51.100.0/24"] }), request: { sourceIp: "198.51.100.9" }, match: true },
    { name: "source.ip notValues", rule: when({ key: "source.ip", notValues: ["198.51.100.0/24"] }), request: { sourceIp: "198.51.100.9" }, match: false },
    { name: "remote.ip", rule: when({ key: "remote.ip", values: ["192.0.2.0/24"] }), request: { sourceIp: "198.51.100.9", remoteIp: "192.0.2.1" }, match: true },
    { name: "remote.ip is not the peer", rule: when({ key: "remote.ip", values: ["198.51.100.0/24"] }), request: { sourceIp: "198.51.100.9", remoteIp: "192.0.2.1" }, match: false },
    { name: "remote.ip IPv6", rule: when({ key: "remote.ip", values: ["2001:db8::/48"] }), request: { remoteIp: "2001:db8:0:1::1" }, match: true },
    { name: "destination.ip unknown", rule: when({ key: "destination.ip", values: ["0.0.0.0/0"] }), request: {}, match: false },
    { name: "destination.ip when set", rule: when({ key: "destination.ip", values: ["10.0.0.0/8"] }), request: { destinationIp: "10.1.2.3" }, match: true },
  ]);
});

describe("source identity keys", () => {
  runRows([
    { name: "source.principal", rule: when({ key: "source.principal", values: [FOO_BAR] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "source.principal *", rule: when({ key: "source.principal", values: ["*"] }), request: {}, match: false },
    { name: "source.namespace", rule: when({ key: "source.namespace", values: ["foo"] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "source.namespace notValues", rule: when({ key: "source.namespace", notValues: ["foo"] }), request: { sourcePrincipal: FOO_BAR }, match: false },
    { name: "source.serviceAccount", rule: when({ key: "source.serviceAccount", values: ["foo/bar"] }), request: { sourcePrincipal: FOO_BAR }, match: true },
    { name: "source.trustDomain", rule: when({ key: "source.trustDomain", values: ["cluster.local"] }), request: { sourcePrincipal: FOO_BAR }, match: true },
  ]);
});

describe("request.auth.*", () => {
  const token = jwt({ iss: ISS, sub: "alice", aud: ["web", "api"], azp: "frontend", groups: ["dev", "ops"], scope: "read write", org: { team: { name: "core" } }, level: 3, admin: true, email: "alice@example.com" });
  runRows([
    { name: "principal", rule: when({ key: "request.auth.principal", values: [`${ISS}/alice`] }), request: { auth: token }, match: true },
    { name: "principal *", rule: when({ key: "request.auth.principal", values: ["*"] }), request: {}, match: false },
    { name: "audiences, one of a list", rule: when({ key: "request.auth.audiences", values: ["api"] }), request: { auth: token }, match: true },
    { name: "audiences, a string aud", rule: when({ key: "request.auth.audiences", values: ["api"] }), request: { auth: jwt({ iss: ISS, sub: "a", aud: "api" }) }, match: true },
    { name: "audiences, not listed", rule: when({ key: "request.auth.audiences", values: ["admin"] }), request: { auth: token }, match: false },
    { name: "audiences notValues", rule: when({ key: "request.auth.audiences", notValues: ["web"] }), request: { auth: token }, match: false },
    { name: "presenter (azp)", rule: when({ key: "request.auth.presenter", values: ["frontend"] }), request: { auth: token }, match: true },
    { name: "claims, list claim matches any element", rule: when({ key: "request.auth.claims[groups]", values: ["ops"] }), request: { auth: token }, match: true },
    { name: "claims, list claim, none", rule: when({ key: "request.auth.claims[groups]", values: ["admins"] }), request: { auth: token }, match: false },
    { name: "claims, string claim prefix", rule: when({ key: "request.auth.claims[email]", values: ["*@example.com"] }), request: { auth: token }, match: true },
    { name: "claims, nested", rule: when({ key: "request.auth.claims[org][team][name]", values: ["core"] }), request: { auth: token }, match: true },
    { name: "claims, nested path through a non-object", rule: when({ key: "request.auth.claims[email][x]", values: ["*"] }), request: { auth: token }, match: false },
    { name: "claims, scope is space-delimited", rule: when({ key: "request.auth.claims[scope]", values: ["write"] }), request: { auth: token }, match: true },
    { name: "claims, scope whole string is not a value", rule: when({ key: "request.auth.claims[scope]", values: ["read write"] }), request: { auth: token }, match: false },
    { name: "claims, numbers are not strings", rule: when({ key: "request.auth.claims[level]", values: ["3"] }), request: { auth: token }, match: false },
    { name: "claims, booleans are not strings", rule: when({ key: "request.auth.claims[admin]", values: ["true"] }), request: { auth: token }, match: false },
    { name: "claims, missing claim", rule: when({ key: "request.auth.claims[tenant]", values: ["*"] }), request: { auth: token }, match: false },
    { name: "claims, inherited object members are not claims", rule: when({ key: "request.auth.claims[constructor]", values: ["*"] }), request: { auth: token }, match: false },
    { name: "claims, no token", rule: when({ key: "request.auth.claims[groups]", values: ["ops"] }), request: {}, match: false },
    { name: "claims notValues, no token", rule: when({ key: "request.auth.claims[groups]", notValues: ["ops"] }), request: {}, match: true },
    { name: "claims notValues, listed element", rule: when({ key: "request.auth.claims[groups]", notValues: ["ops"] }), request: { auth: token }, match: false },
  ]);
});

describe("destination.port, connection.sni, experimental.envoy.filters.*", () => {
  runRows([
    { name: "destination.port", rule: when({ key: "destination.port", values: ["443"] }), request: { port: 443 }, match: true },
    { name: "destination.port notValues", rule: when({ key: "destination.port", notValues: ["443"] }), request: { port: 443 }, match: false },
    { name: "connection.sni", rule: when({ key: "connection.sni", values: ["*.example.com"] }), request: { sni: "api.example.com" }, match: true },
    { name: "connection.sni absent (plain HTTP)", rule: when({ key: "connection.sni", values: ["*"] }), request: {}, match: false },
    { name: "experimental.envoy.filters never matches", rule: when({ key: "experimental.envoy.filters.network.mysql_proxy[db.table]", values: ["[update]"] }), request: {}, match: false },
    { name: "experimental.envoy.filters notValues always match", rule: when({ key: "experimental.envoy.filters.network.mysql_proxy[db.table]", notValues: ["[update]"] }), request: {}, match: true },
  ]);
});

describe("conditions are ANDed", () => {
  runRows([
    { name: "both hold", rule: when({ key: "request.headers[X-A]", values: ["1"] }, { key: "destination.port", values: ["80"] }), request: { headers: { "x-a": "1" } }, match: true },
    { name: "one fails", rule: when({ key: "request.headers[X-A]", values: ["1"] }, { key: "destination.port", values: ["443"] }), request: { headers: { "x-a": "1" } }, match: false },
    {
      name: "with from and to",
      rule: { from: [{ source: { ipBlocks: ["198.51.100.0/24"] } }], to: [{ operation: { methods: ["GET"] } }], when: [{ key: "request.headers[X-A]", values: ["1"] }] },
      request: { sourceIp: "198.51.100.5", headers: { "x-a": "1" } },
      match: true,
    },
  ]);
});
