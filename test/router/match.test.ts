/**
 * Route matching, one table per HTTPMatchRequest field family: each row is (match, request, hit?).
 */
import { describe, expect, it } from "vitest";
import type { HTTPMatchRequest } from "../../src/config/schemas/virtual-service.js";
import { buildRouter } from "../../src/router/index.js";
import { compile, httpGateway, req, se, vs, type RequestSpec } from "../config/compile/fixtures.js";

type Row = [string, HTTPMatchRequest, RequestSpec, boolean];

function routerFor(match: HTTPMatchRequest, listener: "gateway" | "mesh" = "gateway") {
  const resources =
    listener === "gateway"
      ? [httpGateway("g", ["*"]), vs("v", { hosts: ["x.com"], gateways: ["g"], http: [{ name: "hit", match: [match], route: [{ destination: { host: "a" } }] }] })]
      : [
          se("svc", { hosts: ["svc"], resolution: "STATIC", ports: [{ number: 9080, name: "http" }], endpoints: [{ address: "binding:SVC" }] }),
          vs("v", { hosts: ["svc"], http: [{ name: "hit", match: [match], route: [{ destination: { host: "svc" } }] }] }),
        ];
  return buildRouter(compile(resources));
}

function check(rows: Row[], listener: "gateway" | "mesh" = "gateway") {
  it.each(rows)("%s", (_name, match, request, hit) => {
    const router = routerFor(match, listener);
    const input = req({ authority: listener === "gateway" ? "x.com" : "svc", listener, sourceNamespace: "default", ...request });
    const d = router.route(input);
    expect(d.outcome).toBe(hit ? "matched" : "no_route");
  });
}

describe("uri", () => {
  check([
    ["exact hit", { uri: { exact: "/foo" } }, { path: "/foo" }, true],
    ["exact ignores the query", { uri: { exact: "/foo" } }, { path: "/foo?x=1" }, true],
    ["exact: trailing slash differs", { uri: { exact: "/foo" } }, { path: "/foo/" }, false],
    ["exact is case-sensitive", { uri: { exact: "/foo" } }, { path: "/FOO" }, false],
    ["prefix is a plain string prefix", { uri: { prefix: "/foo" } }, { path: "/foobar" }, true],
    ["prefix with query", { uri: { prefix: "/foo" } }, { path: "/foo/x?y=1" }, true],
    ["prefix miss", { uri: { prefix: "/foo" } }, { path: "/fo" }, false],
    ["prefix does not look into the query", { uri: { prefix: "/foo?a" } }, { path: "/foo?a=1" }, false],
    ["empty prefix matches all", { uri: { prefix: "" } }, { path: "/anything" }, true],
    ["regex full match", { uri: { regex: "/b[io]t" } }, { path: "/bot" }, true],
    ["regex must match the whole path", { uri: { regex: "/b[io]t" } }, { path: "/bots" }, false],
    ["regex ignores the query", { uri: { regex: "/b[io]t" } }, { path: "/bit?x=1" }, true],
    ["regex .* matches everything", { uri: { regex: ".*" } }, { path: "/x/y" }, true],
    ["ignoreUriCase exact", { uri: { exact: "/Foo" }, ignoreUriCase: true }, { path: "/fOO" }, true],
    ["ignoreUriCase prefix", { uri: { prefix: "/API" }, ignoreUriCase: true }, { path: "/api/v1" }, true],
    ["ignoreUriCase prefix miss", { uri: { prefix: "/API" }, ignoreUriCase: true }, { path: "/ap" }, false],
    ["ignoreUriCase does not apply to regex", { uri: { regex: "/abc" }, ignoreUriCase: true }, { path: "/ABC" }, false],
    ["(?i) in the regex does", { uri: { regex: "(?i)/abc" } }, { path: "/ABC" }, true],
    ["no uri = prefix /", { method: { exact: "GET" } }, { path: "/z" }, true],
  ]);
});

describe("scheme, method, authority", () => {
  check([
    ["scheme exact", { scheme: { exact: "https" } }, { scheme: "https" }, true],
    ["scheme miss", { scheme: { exact: "https" } }, { scheme: "http" }, false],
    ["method exact", { method: { exact: "POST" } }, { method: "POST" }, true],
    ["method is case-sensitive", { method: { exact: "POST" } }, { method: "post" }, false],
    ["method regex", { method: { regex: "GET|HEAD" } }, { method: "HEAD" }, true],
    ["method regex full match", { method: { regex: "GET|HEAD" } }, { method: "GETX" }, false],
    ["method prefix", { method: { prefix: "PU" } }, { method: "PUT" }, true],
    ["authority includes the port", { authority: { exact: "x.com:8080" } }, { authority: "x.com:8080" }, true],
    ["authority exact without port", { authority: { exact: "x.com" } }, { authority: "x.com:8080" }, false],
    ["authority prefix", { authority: { prefix: "x.com" } }, { authority: "x.com:8080" }, true],
    ["authority regex", { authority: { regex: "x\\.com(:\\d+)?" } }, { authority: "x.com:81" }, true],
  ]);
});

describe("headers", () => {
  check([
    ["exact", { headers: { "end-user": { exact: "jason" } } }, { headers: { "end-user": "jason" } }, true],
    ["exact miss", { headers: { "end-user": { exact: "jason" } } }, { headers: { "end-user": "json" } }, false],
    ["missing header", { headers: { "end-user": { exact: "jason" } } }, {}, false],
    ["exact empty value matches an empty header", { headers: { x: { exact: "" } } }, { headers: { x: "" } }, true],
    ["exact empty value does not match a missing header", { headers: { x: { exact: "" } } }, {}, false],
    ["names are case-insensitive", { headers: { "X-Env": { exact: "prod" } } }, { headers: { "x-env": "prod" } }, true],
    ["values are case-sensitive", { headers: { x: { exact: "prod" } } }, { headers: { x: "PROD" } }, false],
    ["prefix", { headers: { x: { prefix: "pro" } } }, { headers: { x: "prod" } }, true],
    ["regex full match", { headers: { x: { regex: "v[0-9]+" } } }, { headers: { x: "v12" } }, true],
    ["regex partial is a miss", { headers: { x: { regex: "v[0-9]+" } } }, { headers: { x: "v12b" } }, false],
    ["presence {}", { headers: { x: {} } }, { headers: { x: "anything" } }, true],
    ["presence {} miss", { headers: { x: {} } }, {}, false],
    ["presence regex *", { headers: { x: { regex: "*" } } }, { headers: { x: "" } }, true],
    ["multiple values are joined", { headers: { x: { exact: "a, b" } } }, { headers: { x: "a, b" } }, true],
    ["all headers must match (AND)", { headers: { a: { exact: "1" }, b: { exact: "2" } } }, { headers: { a: "1", b: "3" } }, false],
    [":authority pseudo-header", { headers: { ":authority": { exact: "x.com" } } }, {}, true],
    [":method pseudo-header", { headers: { ":method": { exact: "DELETE" } } }, { method: "DELETE" }, true],
    [":path pseudo-header sees the query", { headers: { ":path": { exact: "/p?q=1" } } }, { path: "/p?q=1" }, true],
  ]);
});

describe("withoutHeaders", () => {
  check([
    ["absent header satisfies a value matcher", { withoutHeaders: { x: { exact: "foo" } } }, {}, true],
    ["different value satisfies", { withoutHeaders: { x: { exact: "foo" } } }, { headers: { x: "bar" } }, true],
    ["same value fails", { withoutHeaders: { x: { exact: "foo" } } }, { headers: { x: "foo" } }, false],
    ["prefix", { withoutHeaders: { x: { prefix: "f" } } }, { headers: { x: "foo" } }, false],
    ["regex", { withoutHeaders: { x: { regex: "f.*" } } }, { headers: { x: "bar" } }, true],
    ["presence form: header must be absent", { withoutHeaders: { x: {} } }, {}, true],
    ["presence form fails when present", { withoutHeaders: { x: {} } }, { headers: { x: "" } }, false],
    ["exact empty: missing header counts as empty", { withoutHeaders: { x: { exact: "" } } }, {}, false],
  ]);
});

describe("queryParams", () => {
  check([
    ["exact", { queryParams: { v: { exact: "2" } } }, { path: "/p?v=2" }, true],
    ["exact miss", { queryParams: { v: { exact: "2" } } }, { path: "/p?v=3" }, false],
    ["no query", { queryParams: { v: { exact: "2" } } }, { path: "/p" }, false],
    ["first value only", { queryParams: { v: { exact: "2" } } }, { path: "/p?v=1&v=2" }, false],
    ["first value hit", { queryParams: { v: { exact: "1" } } }, { path: "/p?v=1&v=2" }, true],
    ['exact "" matches ?k', { queryParams: { k: { exact: "" } } }, { path: "/p?k" }, true],
    ['exact "" matches ?k=', { queryParams: { k: { exact: "" } } }, { path: "/p?a=1&k=" }, true],
    ['exact "" misses ?k=1', { queryParams: { k: { exact: "" } } }, { path: "/p?k=1" }, false],
    ["regex is a full match", { queryParams: { id: { regex: "\\d+$" } } }, { path: "/p?id=123" }, true],
    ["regex full match miss", { queryParams: { id: { regex: "\\d+$" } } }, { path: "/p?id=a123" }, false],
    ["prefix", { queryParams: { id: { prefix: "ab" } } }, { path: "/p?id=abc" }, true],
    ["presence {}", { queryParams: { k: {} } }, { path: "/p?k=1" }, true],
    ["presence miss", { queryParams: { k: {} } }, { path: "/p?kk=1" }, false],
    ["values are not decoded", { queryParams: { k: { exact: "a b" } } }, { path: "/p?k=a%20b" }, false],
    ["keys are case-sensitive", { queryParams: { k: { exact: "1" } } }, { path: "/p?K=1" }, false],
  ]);
});

describe("port (gateway: decided at compile time)", () => {
  check([
    ["server port", { port: 80 }, { port: 80 }, true],
    ["other port: block dropped", { port: 81 }, { port: 80 }, false],
  ]);
});

describe("mesh: port, sourceNamespace, sourceLabels at request time", () => {
  check(
    [
      ["port hit", { port: 9080 }, { port: 9080 }, true],
      ["port miss", { port: 9080 }, { port: 80 }, false],
      ["sourceNamespace hit", { sourceNamespace: "default" }, { sourceNamespace: "default" }, true],
      ["sourceNamespace miss", { sourceNamespace: "prod" }, { sourceNamespace: "default" }, false],
      ["sourceLabels hit", { sourceLabels: { app: "pp" } }, { sourceLabels: { app: "pp", version: "v1" } }, true],
      ["sourceLabels miss", { sourceLabels: { app: "pp" } }, { sourceLabels: { app: "x" } }, false],
      ["sourceLabels without caller labels", { sourceLabels: { app: "pp" } }, {}, false],
    ],
    "mesh",
  );
});

describe("JWT claims (@request.auth.claims)", () => {
  check([
    ["string claim", { headers: { "@request.auth.claims.group": { exact: "admin" } } }, { claims: { group: "admin" } }, true],
    ["list claim: any element", { headers: { "@request.auth.claims.groups": { exact: "dev" } } }, { claims: { groups: ["ops", "dev"] } }, true],
    ["list claim miss", { headers: { "@request.auth.claims.groups": { exact: "dev" } } }, { claims: { groups: ["ops"] } }, false],
    ["nested with dots", { headers: { "@request.auth.claims.org.id": { prefix: "ac" } } }, { claims: { org: { id: "acme" } } }, true],
    ["nested with brackets", { headers: { "@request.auth.claims[org][id]": { exact: "acme" } } }, { claims: { org: { id: "acme" } } }, true],
    ["never matches without claims", { headers: { "@request.auth.claims.group": { exact: "admin" } } }, {}, false],
    ["a header with that name is not a claim", { headers: { "@request.auth.claims.group": { exact: "admin" } } }, { headers: { "x-claim": "admin" } }, false],
    ["presence", { headers: { "@request.auth.claims.sub": {} } }, { claims: { sub: "bob" } }, true],
    ["prototype names are not claims (presence)", { headers: { "@request.auth.claims.constructor": {} } }, { claims: { sub: "bob" } }, false],
    ["prototype names are not claims (nested)", { headers: { "@request.auth.claims.sub.length": {} } }, { claims: { sub: "bob" } }, false],
    ["non-string claims never match a string matcher", { headers: { "@request.auth.claims.n": { exact: "1" } } }, { claims: { n: 1 } }, false],
    ["withoutHeaders claim", { withoutHeaders: { "@request.auth.claims.sub": { exact: "bob" } } }, { claims: { sub: "alice" } }, true],
    ["withoutHeaders claim miss", { withoutHeaders: { "@request.auth.claims.sub": { exact: "bob" } } }, { claims: { sub: "bob" } }, false],
  ]);
});

describe("match blocks: OR across, AND within, first rule wins", () => {
  it("any block may match; the decision names the block that won", () => {
    const router = buildRouter(
      compile([
        httpGateway("g", ["*"]),
        vs("v", {
          hosts: ["x.com"],
          gateways: ["g"],
          http: [
            { name: "r1", match: [{ name: "a", uri: { prefix: "/a" }, method: { exact: "POST" } }, { name: "b", uri: { prefix: "/b" } }], route: [{ destination: { host: "one" } }] },
            { name: "r2", match: [{ uri: { prefix: "/a" } }], route: [{ destination: { host: "two" } }] },
          ],
        }),
      ]),
    );
    const at = (path: string, method = "GET") => {
      const d = router.route(req({ authority: "x.com", path, method }));
      return d.outcome === "matched" ? [d.routeName, d.match.index, d.match.description] : d.outcome;
    };
    expect(at("/a", "POST")).toEqual(["r1.a", 0, 'uri prefix "/a" && method exact "POST"']);
    expect(at("/b")).toEqual(["r1.b", 1, 'uri prefix "/b"']);
    expect(at("/a")).toEqual(["r2", 0, 'uri prefix "/a"']);
    expect(at("/c")).toBe("no_route");
  });
});

describe("decision details", () => {
  it("matchedPrefix for rewrites: the prefix, / without uri, none for exact/regex", () => {
    const router = buildRouter(
      compile([
        httpGateway("g", ["*"]),
        vs("v", {
          hosts: ["x.com"],
          gateways: ["g"],
          http: [
            { match: [{ uri: { prefix: "/p" } }], route: [{ destination: { host: "a" } }] },
            { match: [{ uri: { exact: "/e" } }], route: [{ destination: { host: "a" } }] },
            { match: [{ uri: { regex: "/r.*" } }], route: [{ destination: { host: "a" } }] },
            { route: [{ destination: { host: "a" } }] },
          ],
        }),
      ]),
    );
    const prefixOf = (path: string) => {
      const d = router.route(req({ authority: "x.com", path }));
      return d.outcome === "matched" ? (d.matchedPrefix ?? null) : d.outcome;
    };
    expect([prefixOf("/p1"), prefixOf("/e"), prefixOf("/rr"), prefixOf("/z")]).toEqual(["/p", null, null, "/"]);
  });
});
