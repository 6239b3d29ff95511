/**
 * Properties: a DENY `rules: [{}]` denies every request; and on random simple policy sets the
 * authorizer agrees with a naive reference written independently here (glob matching by hand, a
 * backtracking template matcher, integer CIDR arithmetic, Istio's decision rule).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Resource } from "../../../src/config/resource.js";
import type { AuthorizationPolicySpec, Condition, Operation, Rule, Source } from "../../../src/config/schemas/authorization-policy.js";
import { buildAuthorizer, compileAuthorization, type AuthzRequestView } from "../../../src/policy/authz/index.js";
import { MESH } from "./fixtures.js";

// ---- random requests ----

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.oneof(
  fc.tuple(fc.constantFrom(10, 192, 198), octet, octet, octet).map((p) => p.join(".")),
  fc.tuple(octet, octet, octet, octet).map((p) => p.join(".")),
);
const segment = fc.constantFrom("admin", "api", "v1", "foo", "bar", "x.json", "a=b", "%2e", "");
const path = fc.oneof(
  fc.constantFrom("/", "/admin", "/admin/x", "/api/v1", "/foo/bar", "/foo/bar/baz", "/foo/", "/x.json", "/foo/bar/file.txt"),
  fc.array(segment, { maxLength: 4 }).map((s) => `/${s.join("/")}`),
);
const request = fc.record({
  method: fc.constantFrom("GET", "POST", "DELETE", "get", "PATCH"),
  host: fc.constantFrom("example.com", "EXAMPLE.com", "api.example.com", "example.com:8080", "other.org"),
  path,
  port: fc.constantFrom(80, 443, 8080),
  sourceIp: fc.option(ipv4, { nil: undefined }),
  remoteIp: fc.option(ipv4, { nil: undefined }),
  sourcePrincipal: fc.option(fc.constantFrom("cluster.local/ns/foo/sa/bar", "cluster.local/ns/baz/sa/qux", "other.td/ns/foo/sa/x"), { nil: undefined }),
  header: fc.option(fc.constantFrom("", "1", "2", "abc", "1abc"), { nil: undefined }),
});
type Req = typeof request extends fc.Arbitrary<infer T> ? T : never;

function toView(r: Req): AuthzRequestView {
  const v: AuthzRequestView = { method: r.method, host: r.host, path: r.path, port: r.port, headers: new Headers(r.header === undefined ? {} : { "x-a": r.header }) };
  if (r.sourceIp !== undefined) v.sourceIp = r.sourceIp;
  if (r.remoteIp !== undefined) v.remoteIp = r.remoteIp;
  if (r.sourcePrincipal !== undefined) v.sourcePrincipal = r.sourcePrincipal;
  return v;
}

// ---- random simple policies ----

const list = <T>(arb: fc.Arbitrary<T>) => fc.option(fc.uniqueArray(arb, { minLength: 1, maxLength: 3 }), { nil: undefined });
const cidr = fc.constantFrom("10.0.0.0/8", "192.0.0.0/8", "198.51.0.0/16", "0.0.0.0/0", "198.51.100.7", "10.128.0.0/9");
const principal = fc.constantFrom("cluster.local/ns/foo/sa/bar", "cluster.local/ns/foo/*", "*/sa/qux", "*", "other.td/*");
const methodP = fc.constantFrom("GET", "POST", "P*", "*", "*T");
const hostP = fc.constantFrom("example.com", "*.example.com", "example.*", "*", "example.com:*");
const pathP = fc.constantFrom("/admin", "/admin/*", "*.json", "*", "/foo/{*}", "/foo/{**}", "/foo/{*}/baz", "/{**}/file.txt", "/", "/api/*");
const portP = fc.constantFrom("80", "443", "8080");
const headerP = fc.constantFrom("1", "1*", "*c", "*", "abc");

const source: fc.Arbitrary<Source> = fc
  .record({ ipBlocks: list(cidr), notIpBlocks: list(cidr), remoteIpBlocks: list(cidr), principals: list(principal), notPrincipals: list(principal) }, { requiredKeys: [] })
  .map(clean);
const operation: fc.Arbitrary<Operation> = fc
  .record({ methods: list(methodP), notMethods: list(methodP), hosts: list(hostP), notHosts: list(hostP), paths: list(pathP), notPaths: list(pathP), ports: list(portP), notPorts: list(portP) }, { requiredKeys: [] })
  .map(clean);
const condition: fc.Arbitrary<Condition> = fc
  .record({ values: list(headerP), notValues: list(headerP) })
  .filter((c) => c.values !== undefined || c.notValues !== undefined)
  .map((c) => clean({ key: "request.headers[x-a]", ...c }));
const rule: fc.Arbitrary<Rule> = fc
  .record({
    from: fc.option(fc.array(source.map((s) => ({ source: s })), { minLength: 1, maxLength: 2 }), { nil: undefined }),
    to: fc.option(fc.array(operation.map((o) => ({ operation: o })), { minLength: 1, maxLength: 2 }), { nil: undefined }),
    when: fc.option(fc.array(condition, { minLength: 1, maxLength: 2 }), { nil: undefined }),
  })
  .map(clean);
const policy = fc.record({ action: fc.constantFrom<"ALLOW" | "DENY">("ALLOW", "DENY"), rules: fc.option(fc.array(rule, { maxLength: 3 }), { nil: undefined }) }).map(clean);

function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function resources(specs: AuthorizationPolicySpec[]): Resource[] {
  return specs.map((spec, i) => ({
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: `p${i}`, namespace: "istio-system", creationTimestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString() },
    spec: spec as Record<string, unknown>,
  }));
}

// ---- naive reference ----

function glob(pattern: string, v: string | undefined, star: "present" | "nonEmpty", ci = false): boolean {
  if (v === undefined) return false;
  const value = ci ? v.toLowerCase() : v;
  const p = ci ? pattern.toLowerCase() : pattern;
  if (p === "*") return star === "present" || value !== "";
  if (p.startsWith("*")) return value.endsWith(p.slice(1));
  if (p.endsWith("*")) return value.startsWith(p.slice(0, -1));
  return value === p;
}

const PCHAR = new Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()+,;:@");

/** Backtracking matcher: `{*}` = one or more pchars, `{**}` = any pchars and slashes. */
function template(pattern: string, p: string): boolean {
  type Tok = { lit: string } | { one: true } | { any: true };
  const toks: Tok[] = [];
  for (let i = 0; i < pattern.length; ) {
    if (pattern.startsWith("{**}", i)) (toks.push({ any: true }), (i += 4));
    else if (pattern.startsWith("{*}", i)) (toks.push({ one: true }), (i += 3));
    else toks.push({ lit: pattern[i++]! });
  }
  const go = (ti: number, si: number): boolean => {
    if (ti === toks.length) return si === p.length;
    const t = toks[ti]!;
    if ("lit" in t) return p[si] === t.lit && go(ti + 1, si + 1);
    let j = si;
    if ("one" in t) {
      while (j < p.length && PCHAR.has(p[j]!)) if (go(ti + 1, ++j)) return true;
      return false;
    }
    if (go(ti + 1, j)) return true;
    while (j < p.length && (PCHAR.has(p[j]!) || p[j] === "/")) if (go(ti + 1, ++j)) return true;
    return false;
  };
  return go(0, 0);
}

function v4(ip: string): number {
  return ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
}

function inCidr(block: string, ip: string | undefined): boolean {
  if (ip === undefined) return false;
  const [addr, bits = "32"] = block.split("/");
  const n = Number(bits);
  const mask = n === 0 ? 0 : 2 ** 32 - 2 ** (32 - n);
  const and = (x: number) => Number((BigInt(x) & BigInt(mask)).toString());
  return and(v4(addr!)) === and(v4(ip));
}

function principalMatch(pattern: string, p: string | undefined): boolean {
  if (p === undefined) return false;
  if (pattern === "*") return true;
  if (pattern.startsWith("*")) return p.endsWith(pattern.slice(1));
  if (pattern.endsWith("*")) return p.startsWith(pattern.slice(0, -1));
  return p === pattern;
}

function field(values: string[] | undefined, notValues: string[] | undefined, test: (v: string) => boolean): boolean {
  if (values && !values.some(test)) return false;
  if (notValues && notValues.some(test)) return false;
  return true;
}

function naiveRule(r: Rule, q: Req): boolean {
  const srcOk = (s: Source) =>
    field(s.ipBlocks, s.notIpBlocks, (b) => inCidr(b, q.sourceIp)) &&
    field(s.remoteIpBlocks, undefined, (b) => inCidr(b, q.remoteIp)) &&
    field(s.principals, s.notPrincipals, (p) => principalMatch(p, q.sourcePrincipal));
  const opOk = (o: Operation) =>
    field(o.methods, o.notMethods, (m) => glob(m, q.method, "present")) &&
    field(o.hosts, o.notHosts, (h) => glob(h, q.host, "present", true)) &&
    field(o.paths, o.notPaths, (p) => (p.includes("{") ? template(p, q.path) : glob(p, q.path, "nonEmpty"))) &&
    field(o.ports, o.notPorts, (p) => Number(p) === q.port);
  const condOk = (c: Condition) => field(c.values, c.notValues, (v) => glob(v, q.header, "present"));
  return (!r.from || r.from.some((f) => srcOk(f.source!))) && (!r.to || r.to.some((t) => opOk(t.operation!))) && (r.when ?? []).every(condOk);
}

function naiveDecision(specs: AuthorizationPolicySpec[], q: Req): boolean {
  const matches = (s: AuthorizationPolicySpec) => (s.rules ?? []).some((r) => naiveRule(r, q));
  if (specs.some((s) => s.action === "DENY" && matches(s))) return false;
  const allows = specs.filter((s) => s.action !== "DENY");
  return allows.length === 0 || allows.some(matches);
}

describe("properties", () => {
  it("DENY rules: [{}] denies every request", () => {
    const authz = buildAuthorizer(compileAuthorization(resources([{ action: "DENY", rules: [{}] }, { rules: [{}] }]), MESH));
    fc.assert(
      fc.property(request, (q) => {
        const d = authz.authorize(toView(q));
        expect(d.allowed).toBe(false);
        expect(d.reason).toBe("denied");
      }),
      { numRuns: 300 },
    );
  });

  it("agrees with a naive reference on random simple policies", () => {
    fc.assert(
      fc.property(fc.array(policy, { maxLength: 4 }), fc.array(request, { minLength: 1, maxLength: 8 }), (specs, requests) => {
        const authz = buildAuthorizer(compileAuthorization(resources(specs), MESH));
        expect(authz.warnings).toEqual([]);
        for (const q of requests) {
          const d = authz.authorize(toView(q));
          expect(d.allowed, JSON.stringify({ specs, q })).toBe(naiveDecision(specs, q));
        }
      }),
      { numRuns: 400 },
    );
  });

  it("the path template matcher agrees with the backtracking reference", () => {
    fc.assert(
      fc.property(pathP.filter((p) => p.includes("{")), path, (pattern, p) => {
        const authz = buildAuthorizer(compileAuthorization(resources([{ rules: [{ to: [{ operation: { paths: [pattern] } }] }] }]), MESH));
        expect(authz.authorize({ method: "GET", host: "h", path: p, port: 80, headers: new Headers() }).allowed).toBe(template(pattern, p));
      }),
      { numRuns: 300 },
    );
  });
});
