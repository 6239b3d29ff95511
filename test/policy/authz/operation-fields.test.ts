/**
 * `to.operation` fields and their `not*` forms, one table per field (each row as ALLOW and DENY), plus
 * rows showing that the evaluator sees the path after mesh path normalization (DESIGN §2 stage 1), so
 * path tricks against DENY rules are decided by the normalization mode, as in Istio.
 */
import { describe, expect, it } from "vitest";
import type { Operation } from "../../../src/config/schemas/authorization-policy.js";
import { normalizePath, type PathNormalization } from "../../../src/router/path-normalization.js";
import { ap, authorizer, view } from "./fixtures.js";
import { runRows } from "./harness.js";

const to = (operation: Operation) => ({ to: [{ operation }] });

describe("hosts (case-insensitive, port-sensitive)", () => {
  runRows([
    { name: "exact", rule: to({ hosts: ["example.com"] }), request: { host: "example.com" }, match: true },
    { name: "case-insensitive", rule: to({ hosts: ["Example.COM"] }), request: { host: "EXAMPLE.com" }, match: true },
    { name: "a port in the authority must be matched", rule: to({ hosts: ["example.com"] }), request: { host: "example.com:8080" }, match: false },
    { name: "host:* covers ports", rule: to({ hosts: ["example.com:*"] }), request: { host: "example.com:8080" }, match: true },
    { name: "suffix", rule: to({ hosts: ["*.example.com"] }), request: { host: "api.example.com" }, match: true },
    { name: "suffix does not match the apex", rule: to({ hosts: ["*.example.com"] }), request: { host: "example.com" }, match: false },
    { name: "prefix", rule: to({ hosts: ["api.*"] }), request: { host: "api.example.org" }, match: true },
    { name: "* = present", rule: to({ hosts: ["*"] }), request: { host: "anything" }, match: true },
    { name: "no ASCII folding of look-alikes", rule: to({ hosts: ["admin.example.com"] }), request: { host: "admİn.example.com" }, match: false },
    { name: "notHosts", rule: to({ notHosts: ["internal.example.com"] }), request: { host: "www.example.com" }, match: true },
    { name: "notHosts, case-insensitive", rule: to({ notHosts: ["internal.example.com"] }), request: { host: "INTERNAL.example.com" }, match: false },
  ]);
});

describe("ports (destination port)", () => {
  runRows([
    { name: "port", rule: to({ ports: ["443"] }), request: { port: 443 }, match: true },
    { name: "other port", rule: to({ ports: ["443"] }), request: { port: 80 }, match: false },
    { name: "notPorts", rule: to({ notPorts: ["8080"] }), request: { port: 80 }, match: true },
    { name: "notPorts, that port", rule: to({ notPorts: ["8080"] }), request: { port: 8080 }, match: false },
  ]);
});

describe("methods (case-sensitive)", () => {
  runRows([
    { name: "exact", rule: to({ methods: ["GET"] }), request: { method: "GET" }, match: true },
    { name: "case-sensitive", rule: to({ methods: ["GET"] }), request: { method: "get" }, match: false },
    { name: "ORed", rule: to({ methods: ["GET", "HEAD"] }), request: { method: "HEAD" }, match: true },
    { name: "prefix", rule: to({ methods: ["P*"] }), request: { method: "PATCH" }, match: true },
    { name: "* = present", rule: to({ methods: ["*"] }), request: { method: "OPTIONS" }, match: true },
    { name: "notMethods", rule: to({ notMethods: ["GET", "HEAD"] }), request: { method: "POST" }, match: true },
    { name: "notMethods, listed", rule: to({ notMethods: ["GET", "HEAD"] }), request: { method: "GET" }, match: false },
  ]);
});

describe("paths", () => {
  runRows([
    { name: "exact", rule: to({ paths: ["/admin"] }), request: { path: "/admin" }, match: true },
    { name: "exact is not a prefix", rule: to({ paths: ["/admin"] }), request: { path: "/admin/users" }, match: false },
    { name: "case-sensitive", rule: to({ paths: ["/admin"] }), request: { path: "/Admin" }, match: false },
    { name: "prefix", rule: to({ paths: ["/api/*"] }), request: { path: "/api/v1/users" }, match: true },
    { name: "prefix needs the slash", rule: to({ paths: ["/api/*"] }), request: { path: "/api" }, match: false },
    { name: "suffix", rule: to({ paths: ["*.json"] }), request: { path: "/data/a.json" }, match: true },
    { name: "* = any non-empty path", rule: to({ paths: ["*"] }), request: { path: "/" }, match: true },
    { name: "{*} one segment", rule: to({ paths: ["/foo/{*}"] }), request: { path: "/foo/bar" }, match: true },
    { name: "{*} not two segments", rule: to({ paths: ["/foo/{*}"] }), request: { path: "/foo/bar/baz" }, match: false },
    { name: "{*} not an empty segment", rule: to({ paths: ["/foo/{*}"] }), request: { path: "/foo/" }, match: false },
    { name: "{**} many segments", rule: to({ paths: ["/foo/{**}"] }), request: { path: "/foo/a/b/c" }, match: true },
    { name: "{**} zero segments after the slash", rule: to({ paths: ["/foo/{**}"] }), request: { path: "/foo/" }, match: true },
    { name: "{**} still needs the slash", rule: to({ paths: ["/foo/{**}"] }), request: { path: "/foo" }, match: false },
    { name: "{*} then {**}", rule: to({ paths: ["/foo/{*}/bar/{**}"] }), request: { path: "/foo/buzz/bar/baz" }, match: true },
    { name: "{*} then {**}, empty tail", rule: to({ paths: ["/foo/{*}/bar/{**}"] }), request: { path: "/foo/buzz/bar/" }, match: true },
    { name: "trailing slash after {**} is required", rule: to({ paths: ["/foo/{**}/"] }), request: { path: "/foo/bar" }, match: false },
    { name: "trailing slash after {**}", rule: to({ paths: ["/foo/{**}/"] }), request: { path: "/foo/bar/" }, match: true },
    { name: "literal after {**}", rule: to({ paths: ["/{**}/file.txt"] }), request: { path: "/a/b/file.txt" }, match: true },
    { name: "template literals are not regexes", rule: to({ paths: ["/v1.0/{*}"] }), request: { path: "/v1x0/a" }, match: false },
    { name: "{*} excludes '=' as Envoy's pchar class does", rule: to({ paths: ["/q/{*}"] }), request: { path: "/q/a=b" }, match: false },
    { name: "notPaths", rule: to({ notPaths: ["/healthz"] }), request: { path: "/admin" }, match: true },
    { name: "notPaths, listed", rule: to({ notPaths: ["/healthz"] }), request: { path: "/healthz" }, match: false },
    { name: "notPaths template", rule: to({ notPaths: ["/public/{**}"] }), request: { path: "/public/a/b" }, match: false },
  ]);
});

describe("an operation's fields are ANDed; operations are ORed", () => {
  runRows([
    { name: "all hold", rule: to({ methods: ["POST"], paths: ["/api/*"], hosts: ["example.com"], ports: ["80"] }), request: { method: "POST", path: "/api/x" }, match: true },
    { name: "one fails", rule: to({ methods: ["POST"], paths: ["/api/*"] }), request: { method: "GET", path: "/api/x" }, match: false },
    { name: "second operation", rule: { to: [{ operation: { methods: ["DELETE"] } }, { operation: { paths: ["/api/*"] } }] }, request: { method: "GET", path: "/api/x" }, match: true },
    { name: "from and to both needed", rule: { from: [{ source: { ipBlocks: ["10.0.0.0/8"] } }], to: [{ operation: { methods: ["GET"] } }] }, request: { method: "GET" }, match: false },
  ]);
});

/**
 * Attacks on a DENY rule through path spelling: the evaluator compares the normalized path (what the
 * router and the upstream also see). Rows follow Istio's documented behaviour: BASE resolves dot
 * segments (also `%2e`); `//admin` and `%2F` need MERGE_SLASHES / DECODE_AND_MERGE_SLASHES; paths are
 * case-sensitive, which is why Istio recommends ALLOW with positive matches.
 */
describe("path tricks against a DENY rule (the evaluator gets normalized paths)", () => {
  const denyAdmin = authorizer([ap("deny-admin", { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin", "/admin/*"] } }] }] })]);
  const allowPublic = authorizer([ap("allow-public", { action: "ALLOW", rules: [{ to: [{ operation: { paths: ["/public/*"] } }] }] })]);
  const rows: { raw: string; mode: PathNormalization; denied: boolean }[] = [
    { raw: "/admin", mode: "BASE", denied: true },
    { raw: "/./admin", mode: "BASE", denied: true },
    { raw: "/%2e/admin", mode: "BASE", denied: true },
    { raw: "/%2E%2e/admin/users", mode: "BASE", denied: true },
    { raw: "/public/../admin", mode: "BASE", denied: true },
    { raw: "/admin/./users?x=1", mode: "BASE", denied: true },
    { raw: "\\admin", mode: "BASE", denied: true },
    { raw: "//admin", mode: "BASE", denied: false },
    { raw: "//admin", mode: "MERGE_SLASHES", denied: true },
    { raw: "/%2Fadmin", mode: "MERGE_SLASHES", denied: false },
    { raw: "/%2Fadmin", mode: "DECODE_AND_MERGE_SLASHES", denied: true },
    { raw: "/%2fadmin/users", mode: "DECODE_AND_MERGE_SLASHES", denied: true },
    { raw: "/ADMIN", mode: "DECODE_AND_MERGE_SLASHES", denied: false },
    { raw: "/./admin", mode: "NONE", denied: false },
    { raw: "/%61dmin", mode: "BASE", denied: true },
    { raw: "/adm%69n", mode: "BASE", denied: true },
    { raw: "/%41DMIN", mode: "BASE", denied: false },
    { raw: "/%61dmin", mode: "NONE", denied: false },
  ];
  for (const row of rows) {
    it(`${row.mode} ${row.raw}: DENY ${row.denied ? "applies" : "does not apply"}; ALLOW /public/* still refuses it`, () => {
      const normalized = normalizePath(row.raw, row.mode);
      const path = normalized!.split("?")[0]!;
      expect(denyAdmin.authorize(view({ path })).allowed).toBe(!row.denied);
      expect(allowPublic.authorize(view({ path })).allowed).toBe(false);
    });
  }
});
