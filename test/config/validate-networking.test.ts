/**
 * Admission of the networking.istio.io kinds (Gateway, VirtualService, DestinationRule, ServiceEntry,
 * WorkloadEntry): CRD schema and Istio's webhook rules, plus the Isthmus `binding:NAME` endpoint
 * address. Each table row is YAML text through loadText → validateDocuments, asserting either no error
 * or an error at a full field path whose message contains a substring.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadText } from "../../src/config/loader.js";
import { isPrime } from "../../src/config/schemas/destination-rule.js";
import { headerValueError, hostNamesOverlap, isCIDR, isIP, wildcardDomainError } from "../../src/config/schemas/networking-fields.js";
import { endpointAddressError } from "../../src/config/schemas/service-entry.js";
import { isJwtClaimKey, isRetryOnPolicy } from "../../src/config/schemas/virtual-service.js";
import { validateDocument, validateDocuments } from "../../src/config/validate.js";

type Kind = "Gateway" | "VirtualService" | "DestinationRule" | "ServiceEntry" | "WorkloadEntry";

interface Row {
  name: string;
  /** The spec: flow YAML on one line (`{...}`) or a block to indent under `spec:`. */
  spec: string;
  /** Expected error path; absent = the resource is valid. */
  path?: string;
  msg?: string;
  apiVersion?: string;
  namespace?: string;
  /** metadata.name (default `res`). */
  resName?: string;
}

function yamlFor(kind: Kind, row: Row): string {
  const spec = row.spec.trimStart().startsWith("{") ? ` ${row.spec.trim()}` : `\n${row.spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;
  return `apiVersion: ${row.apiVersion ?? "networking.istio.io/v1"}\nkind: ${kind}\nmetadata:\n  name: ${row.resName ?? "res"}\n  namespace: ${row.namespace ?? "default"}\nspec:${spec}\n`;
}

function check(kind: Kind, row: Row): void {
  const loaded = loadText(yamlFor(kind, row), { file: "net.yaml" });
  expect(loaded.errors).toEqual([]);
  const { errors, resources } = validateDocuments(loaded.documents);
  const shown = errors.map((e) => `${e.path}: ${e.message}`);
  if (row.path === undefined) {
    expect(shown).toEqual([]);
    expect(resources).toHaveLength(1);
    return;
  }
  const hit = errors.find((e) => e.path === row.path && e.message.includes(row.msg ?? ""));
  expect(hit, `expected ${row.path} ~ ${JSON.stringify(row.msg)} among ${JSON.stringify(shown)}`).toBeDefined();
  expect(hit!.kind).toBe(kind);
  expect(hit!.file).toBe("net.yaml");
  expect(hit!.line).toBeGreaterThan(0);
  expect(resources).toHaveLength(0);
}

function table(kind: Kind, rows: Row[]): void {
  for (const row of rows) it(`${row.path ? "rejects" : "accepts"}: ${row.name}`, () => check(kind, row));
}

/** A VirtualService spec with one http route whose body is `route` (flow YAML inside the route object). */
const vs = (route: string, top = "hosts: [reviews]") => `{${top}, http: [{${route}}]}`;
const to = "route: [{destination: {host: reviews}}]";

describe("VirtualService", () => {
  describe("top level: hosts, gateways, delegate VS, exportTo", () => {
    table("VirtualService", [
      { name: "minimal mesh VS", spec: vs(to) },
      { name: "served at v1beta1", spec: vs(to), apiVersion: "networking.istio.io/v1beta1" },
      { name: "served at v1alpha3", spec: vs(to), apiVersion: "networking.istio.io/v1alpha3" },
      { name: "gateway-bound with * host", spec: vs(to, "hosts: ['*'], gateways: [istio-system/ingress]") },
      { name: "gateway ref by name and mesh", spec: vs(to, "hosts: [reviews], gateways: [ingress, mesh]") },
      { name: "IP host", spec: vs(to, "hosts: [10.0.0.1]") },
      { name: "wildcard host", spec: vs(to, "hosts: ['*.example.com'], gateways: [gw]") },
      { name: "delegate VS (no hosts)", spec: "{http: [{match: [{uri: {prefix: /v1}}], route: [{destination: {host: reviews}}]}]}" },
      { name: "exportTo . and *", spec: "{hosts: [a], exportTo: ['.'], http: [{route: [{destination: {host: a}}]}]}" },
      { name: "exportTo another namespace", spec: "{hosts: [a], exportTo: [other, '.'], http: [{route: [{destination: {host: a}}]}]}" },
      { name: "* host bound to mesh", spec: vs(to, "hosts: ['*']"), path: "spec.hosts[0]", msg: 'wildcard host "*" is not allowed' },
      { name: "* host bound to mesh and a gateway", spec: vs(to, "hosts: ['*'], gateways: [gw, mesh]"), path: "spec.hosts[0]", msg: "bound to the mesh" },
      { name: "invalid host", spec: vs(to, "hosts: ['foo_bar.com']"), path: "spec.hosts[0]", msg: 'invalid host "foo_bar.com"' },
      { name: "partial wildcard in the middle", spec: vs(to, "hosts: ['foo.*.com']"), path: "spec.hosts[0]", msg: "label" },
      { name: "duplicate hosts", spec: vs(to, "hosts: [a.com, a.com]"), path: "spec.hosts[1]", msg: "duplicate hosts" },
      { name: "overlapping wildcard hosts", spec: vs(to, "hosts: ['*.com', '*.foo.com'], gateways: [gw]"), path: "spec.hosts[1]", msg: "duplicate hosts" },
      { name: "hosts is not a list", spec: "{hosts: reviews, http: [{route: [{destination: {host: reviews}}]}]}", path: "spec.hosts", msg: "expected array" },
      { name: "no routes at all", spec: "{hosts: [reviews]}", path: "spec", msg: "http, tcp or tls must be provided" },
      { name: "delegate VS with gateways", spec: "{gateways: [gw], http: [{route: [{destination: {host: a}}]}]}", path: "spec.gateways", msg: "delegate VirtualService" },
      { name: "delegate VS with tcp", spec: "{tcp: [{route: [{destination: {host: a}}]}]}", path: "spec.tcp", msg: "no tcp routes" },
      { name: "bad gateway namespace", spec: vs(to, "hosts: [a], gateways: ['Bad_NS/gw']"), path: "spec.gateways[0]", msg: "invalid value for namespace" },
      { name: "empty gateway name", spec: vs(to, "hosts: [a], gateways: ['ns/']"), path: "spec.gateways[0]", msg: "cannot be empty" },
      { name: "gateway not a DNS name", spec: vs(to, "hosts: [a], gateways: ['gw!']"), path: "spec.gateways[0]", msg: 'invalid gateway "gw!"' },
      { name: "exportTo duplicate (. and own namespace)", spec: "{hosts: [a], exportTo: ['.', default], http: [{route: [{destination: {host: a}}]}]}", path: "spec.exportTo[1]", msg: 'duplicate entry "default"' },
      { name: "exportTo ~ not for VS", spec: "{hosts: [a], exportTo: ['~'], http: [{route: [{destination: {host: a}}]}]}", path: "spec.exportTo[0]", msg: '"~"' },
      { name: "exportTo * with others", spec: "{hosts: [a], exportTo: ['*', ns1], http: [{route: [{destination: {host: a}}]}]}", path: "spec.exportTo", msg: "public (*)" },
      { name: "exportTo bad namespace", spec: "{hosts: [a], exportTo: [bad_ns], http: [{route: [{destination: {host: a}}]}]}", path: "spec.exportTo[0]", msg: '"bad_ns"' },
      { name: "unknown top-level field", spec: "{hosts: [a], http: [{route: [{destination: {host: a}}]}], gateway: [x]}", path: "spec.gateway", msg: 'unknown field "gateway"' },
    ]);
  });

  describe("route actions: route | redirect | directResponse | delegate", () => {
    table("VirtualService", [
      { name: "redirect only", spec: vs("redirect: {uri: /new}") },
      { name: "directResponse only", spec: vs("directResponse: {status: 503, body: {string: down}}") },
      { name: "delegate only", spec: vs("delegate: {name: reviews-v1, namespace: other}") },
      { name: "directResponse with headers and rewrite-free", spec: vs("directResponse: {status: 200}, headers: {response: {set: {content-type: text/plain}}}") },
      { name: "no action", spec: vs("name: r1, match: [{uri: {prefix: /}}]"), path: "spec.http[0]", msg: "needs one of route, redirect, directResponse or delegate" },
      { name: "empty route list is no action", spec: vs("route: []"), path: "spec.http[0]", msg: "needs one of" },
      { name: "route and redirect", spec: vs(`${to}, redirect: {uri: /x}`), path: "spec.http[0].route", msg: "both route and redirect" },
      { name: "redirect and fault", spec: vs("redirect: {uri: /x}, fault: {abort: {httpStatus: 500}}"), path: "spec.http[0].fault", msg: "both fault and redirect" },
      { name: "redirect and rewrite", spec: vs("redirect: {uri: /x}, rewrite: {uri: /y}"), path: "spec.http[0].rewrite", msg: "both rewrite and redirect" },
      { name: "redirect and directResponse", spec: vs("redirect: {uri: /x}, directResponse: {status: 200}"), path: "spec.http[0].directResponse", msg: "both directResponse and redirect" },
      { name: "directResponse and route", spec: vs(`${to}, directResponse: {status: 200}`), path: "spec.http[0].route", msg: "both route and directResponse" },
      { name: "directResponse and fault", spec: vs("directResponse: {status: 200}, fault: {abort: {httpStatus: 500}}"), path: "spec.http[0].fault", msg: "both fault and directResponse" },
      { name: "directResponse and rewrite", spec: vs("directResponse: {status: 200}, rewrite: {uri: /y}"), path: "spec.http[0].rewrite", msg: "both rewrite and directResponse" },
      { name: "delegate and route", spec: vs(`${to}, delegate: {name: d}`), path: "spec.http[0].route", msg: "must not specify route" },
      { name: "delegate and redirect", spec: vs("redirect: {uri: /x}, delegate: {name: d}"), path: "spec.http[0].redirect", msg: "must not specify redirect" },
      { name: "delegate and directResponse", spec: vs("directResponse: {status: 200}, delegate: {name: d}"), path: "spec.http[0].directResponse", msg: "must not specify directResponse" },
      { name: "delegate without name", spec: vs("delegate: {namespace: x}"), path: "spec.http[0].delegate.name", msg: "required" },
      { name: "delegate VS route delegating again", spec: "{http: [{delegate: {name: d2}}]}", path: "spec.http[0].delegate", msg: "only one level" },
      { name: "mirror and mirrors", spec: vs(`${to}, mirror: {host: m}, mirrors: [{destination: {host: m2}}]`), path: "spec.http[0].mirrors", msg: "both mirror and mirrors" },
    ]);
  });

  describe("HTTPMatchRequest", () => {
    const m = (match: string, top?: string) => vs(`match: [${match}], ${to}`, top);
    table("VirtualService", [
      { name: "all string matches", spec: m("{name: m1, uri: {regex: '/api/v[0-9]+/.*'}, scheme: {exact: https}, method: {exact: GET}, authority: {prefix: shop}, ignoreUriCase: true}") },
      { name: "headers, queryParams, withoutHeaders", spec: m("{headers: {x-user: {exact: jason}, ':method': {exact: GET}}, queryParams: {v: {regex: '\\d+'}}, withoutHeaders: {x-debug: {}}}") },
      { name: "presence match with empty StringMatch", spec: m("{headers: {end-user: {}}}") },
      { name: "withoutHeaders regex * (presence)", spec: m("{withoutHeaders: {x-canary: {regex: '*'}}}") },
      { name: "empty uri prefix is allowed", spec: m("{uri: {prefix: ''}}") },
      { name: "port, sourceLabels, gateways, sourceNamespace, statPrefix", spec: m("{port: 8080, sourceLabels: {app: productpage, version: v1}, gateways: [mesh], sourceNamespace: bookinfo, statPrefix: rev}") },
      { name: "JWT claim header for a gateway-bound VS", spec: m("{headers: {'@request.auth.claims.groups': {exact: admin}}}", "hosts: [a.example.com], gateways: [gw]") },
      { name: "JWT claim bracket form", spec: m("{headers: {'@request.auth.claims[nested][key]': {exact: v}}}", "hosts: [a.example.com], gateways: [istio-system/gw]") },
      { name: "JWT claim header on a mesh VS", spec: m("{headers: {'@request.auth.claims.sub': {exact: u}}}"), path: 'spec.http[0].match[0].headers["@request.auth.claims.sub"]', msg: "only supported for VirtualServices bound to a gateway" },
      { name: "JWT claim in withoutHeaders on gateway+mesh VS", spec: m("{withoutHeaders: {'@request.auth.claims.sub': {exact: u}}}", "hosts: [a], gateways: [gw, mesh]"), path: 'spec.http[0].match[0].withoutHeaders["@request.auth.claims.sub"]', msg: "bound to a gateway" },
      { name: "regex that does not compile", spec: m("{uri: {regex: '(abc'}}"), path: "spec.http[0].match[0].uri.regex", msg: "invalid RE2 regex" },
      { name: "regex * in headers", spec: m("{headers: {x: {regex: '*'}}}"), path: "spec.http[0].match[0].headers.x.regex", msg: "invalid RE2" },
      { name: "lookahead is not RE2", spec: m("{uri: {regex: '/(?=a)'}}"), path: "spec.http[0].match[0].uri.regex", msg: "RE2" },
      { name: "bad withoutHeaders regex", spec: m("{withoutHeaders: {x: {regex: '[a'}}}"), path: "spec.http[0].match[0].withoutHeaders.x.regex", msg: "RE2" },
      { name: "exact and prefix together", spec: m("{uri: {exact: /a, prefix: /b}}"), path: "spec.http[0].match[0].uri", msg: "only one of exact, prefix or regex" },
      { name: "empty method prefix", spec: m("{method: {prefix: ''}}"), path: "spec.http[0].match[0].method.prefix", msg: "prefix string match should not be empty" },
      { name: "empty header prefix", spec: m("{headers: {x: {prefix: ''}}}"), path: "spec.http[0].match[0].headers.x.prefix", msg: "should not be empty" },
      { name: "invalid header name", spec: m("{headers: {'bad header': {exact: a}}}"), path: 'spec.http[0].match[0].headers["bad header"]', msg: "not a valid header name" },
      { name: "invalid withoutHeaders name", spec: m("{withoutHeaders: {'x(y)': {exact: a}}}"), path: 'spec.http[0].match[0].withoutHeaders["x(y)"]', msg: "not a valid header name" },
      { name: "unknown pseudo header", spec: m("{headers: {':foo': {exact: a}}}"), path: 'spec.http[0].match[0].headers[":foo"]', msg: "not a valid header name" },
      { name: "empty query param name", spec: m("{queryParams: {'': {exact: a}}}"), path: 'spec.http[0].match[0].queryParams[""]', msg: "cannot be empty" },
      { name: "unknown StringMatch field", spec: m("{uri: {suffix: /a}}"), path: "spec.http[0].match[0].uri.suffix", msg: "unknown field" },
      { name: "port out of range", spec: m("{port: 70000}"), path: "spec.http[0].match[0].port", msg: "70000" },
      { name: "negative port", spec: m("{port: -1}"), path: "spec.http[0].match[0].port", msg: "must be between 0 and 4294967295, got -1" },
      { name: "bad sourceLabels value", spec: m("{sourceLabels: {app: 'a b'}}"), path: "spec.http[0].match[0].sourceLabels.app", msg: "invalid label value" },
      { name: "bad sourceNamespace", spec: m("{sourceNamespace: Not_A_Namespace}"), path: "spec.http[0].match[0].sourceNamespace", msg: "is invalid" },
      { name: "bad match gateway", spec: m("{gateways: ['a/b/c']}"), path: "spec.http[0].match[0].gateways[0]", msg: "invalid value for gateway name" },
      { name: "ignoreUriCase not a bool", spec: m("{ignoreUriCase: yes please}"), path: "spec.http[0].match[0].ignoreUriCase", msg: "expected boolean" },
    ]);
  });

  describe("destinations and weights", () => {
    table("VirtualService", [
      { name: "weighted split with subsets and ports", spec: vs("route: [{destination: {host: reviews, subset: v1, port: {number: 9080}}, weight: 75}, {destination: {host: reviews, subset: v3}, weight: 25}]") },
      { name: "one destination with weight 0", spec: vs("route: [{destination: {host: reviews}, weight: 0}]") },
      { name: "some weights 0", spec: vs("route: [{destination: {host: a}, weight: 0}, {destination: {host: b}, weight: 10}]") },
      { name: "FQDN destination", spec: vs("route: [{destination: {host: reviews.default.svc.cluster.local}}]") },
      { name: "destination headers", spec: vs("route: [{destination: {host: a}, headers: {request: {set: {x-v: '1'}}, response: {remove: [x-internal]}}}]") },
      { name: "all weights 0", spec: vs("route: [{destination: {host: a}, weight: 0}, {destination: {host: b}}]"), path: "spec.http[0].route", msg: "total destination weight is 0" },
      { name: "negative weight", spec: vs("route: [{destination: {host: a}, weight: -10}, {destination: {host: b}, weight: 20}]"), path: "spec.http[0].route[0].weight", msg: "weight -10 must not be negative" },
      { name: "weight not an integer", spec: vs("route: [{destination: {host: a}, weight: 1.5}]"), path: "spec.http[0].route[0].weight", msg: "expected an integer, got 1.5" },
      { name: "weight a string", spec: vs("route: [{destination: {host: a}, weight: '50'}]"), path: "spec.http[0].route[0].weight", msg: "expected number" },
      { name: "destination missing", spec: vs("route: [{weight: 100}]"), path: "spec.http[0].route[0].destination", msg: "required field is missing" },
      { name: "destination host missing", spec: vs("route: [{destination: {subset: v1}}]"), path: "spec.http[0].route[0].destination.host", msg: "required" },
      { name: "destination host *", spec: vs("route: [{destination: {host: '*'}}]"), path: "spec.http[0].route[0].destination.host", msg: 'invalid destination host "*"' },
      { name: "destination host invalid", spec: vs("route: [{destination: {host: 'a..b'}}]"), path: "spec.http[0].route[0].destination.host", msg: '"a..b"' },
      { name: "bad subset name", spec: vs("route: [{destination: {host: a, subset: v1.0}}]"), path: "spec.http[0].route[0].destination.subset", msg: '"v1.0" is invalid' },
      { name: "port number 0", spec: vs("route: [{destination: {host: a, port: {number: 0}}}]"), path: "spec.http[0].route[0].destination.port.number", msg: "port number 0" },
      { name: "port as a bare number", spec: vs("route: [{destination: {host: a, port: 80}}]"), path: "spec.http[0].route[0].destination.port", msg: "expected object" },
      { name: "destination header set of :path", spec: vs("route: [{destination: {host: a}, headers: {request: {set: {':path': /x}}}}]"), path: 'spec.http[0].route[0].headers.request.set[":path"]', msg: '":" prefix' },
      { name: "unknown destination field", spec: vs("route: [{destination: {host: a, version: v1}}]"), path: "spec.http[0].route[0].destination.version", msg: "unknown field" },
    ]);
  });

  describe("redirect", () => {
    table("VirtualService", [
      { name: "all fields", spec: vs("redirect: {uri: /v2, authority: new.example.com, scheme: https, port: 8443, redirectCode: 308}") },
      { name: "derivePort", spec: vs("redirect: {scheme: https, derivePort: FROM_PROTOCOL_DEFAULT}") },
      { name: "prefixRewrite with prefix match", spec: vs("match: [{uri: {prefix: /old/}}], redirect: {prefixRewrite: /new/}") },
      { name: "only scheme", spec: vs("redirect: {scheme: http}") },
      { name: "nothing to redirect to", spec: vs("redirect: {redirectCode: 302}"), path: "spec.http[0].redirect", msg: "redirect must specify uri, prefixRewrite, authority, scheme, port or derivePort" },
      { name: "uri and prefixRewrite", spec: vs("redirect: {uri: /a, prefixRewrite: /b}"), path: "spec.http[0].redirect.prefixRewrite", msg: "one of uri or prefixRewrite" },
      { name: "prefixRewrite with exact match", spec: vs("match: [{uri: {exact: /old}}], redirect: {prefixRewrite: /new}"), path: "spec.http[0].redirect.prefixRewrite", msg: "match[0].uri is not a prefix match" },
      { name: "port and derivePort", spec: vs("redirect: {port: 80, derivePort: FROM_REQUEST_PORT}"), path: "spec.http[0].redirect.derivePort", msg: "only one of port, derivePort" },
      { name: "redirectCode 200", spec: vs("redirect: {uri: /a, redirectCode: 200}"), path: "spec.http[0].redirect.redirectCode", msg: "200 is not a valid redirect code" },
      { name: "redirectCode 400", spec: vs("redirect: {uri: /a, redirectCode: 400}"), path: "spec.http[0].redirect.redirectCode", msg: "must be 3xx" },
      { name: "scheme ftp", spec: vs("redirect: {uri: /a, scheme: ftp}"), path: "spec.http[0].redirect.scheme", msg: 'invalid redirect scheme "ftp"' },
      { name: "scheme HTTPS upper case", spec: vs("redirect: {scheme: HTTPS}"), path: "spec.http[0].redirect.scheme", msg: '"http" or "https"' },
      { name: "port out of range", spec: vs("redirect: {port: 65536}"), path: "spec.http[0].redirect.port", msg: "65536" },
      { name: "unknown derivePort", spec: vs("redirect: {derivePort: FROM_HOST}"), path: "spec.http[0].redirect.derivePort", msg: '"FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"' },
    ]);
  });

  describe("directResponse", () => {
    const big = "x".repeat(1024 * 1024 + 1);
    table("VirtualService", [
      { name: "bytes body", spec: vs("directResponse: {status: 418, body: {bytes: aGVsbG8=}}") },
      { name: "status 599", spec: vs("directResponse: {status: 599}") },
      { name: "status 199", spec: vs("directResponse: {status: 199}"), path: "spec.http[0].directResponse.status", msg: "HTTP status 199 is not in range 200-599" },
      { name: "status 600", spec: vs("directResponse: {status: 600}"), path: "spec.http[0].directResponse.status", msg: "600" },
      { name: "status missing", spec: vs("directResponse: {body: {string: x}}"), path: "spec.http[0].directResponse.status", msg: "required" },
      { name: "string and bytes", spec: vs("directResponse: {status: 200, body: {string: a, bytes: YQ==}}"), path: "spec.http[0].directResponse.body.bytes", msg: "only one of string, bytes" },
      { name: "bytes not base64", spec: vs("directResponse: {status: 200, body: {bytes: 'not base64!'}}"), path: "spec.http[0].directResponse.body.bytes", msg: "base64" },
      { name: "body over 1MB", spec: vs(`directResponse: {status: 200, body: {string: ${big}}}`), path: "spec.http[0].directResponse.body", msg: "must be less than 1MB" },
    ]);
  });

  describe("rewrite and authority", () => {
    table("VirtualService", [
      { name: "uri and authority", spec: vs(`rewrite: {uri: /v1, authority: ratings.internal}, ${to}`) },
      { name: "uriRegexRewrite", spec: vs(`rewrite: {uriRegexRewrite: {match: '^/service/([^/]+)(/.*)$', rewrite: '/customprefix/\\2/\\1'}}, ${to}`) },
      { name: "host header set instead of rewrite.authority", spec: vs(`headers: {request: {set: {host: new.example.com}}}, ${to}`) },
      { name: "empty rewrite", spec: vs(`rewrite: {}, ${to}`), path: "spec.http[0].rewrite", msg: "at least one of uri, uriRegexRewrite or authority" },
      { name: "uri and uriRegexRewrite", spec: vs(`rewrite: {uri: /a, uriRegexRewrite: {match: a, rewrite: b}}, ${to}`), path: "spec.http[0].rewrite.uriRegexRewrite", msg: "one of uri or uriRegexRewrite" },
      { name: "uriRegexRewrite without rewrite", spec: vs(`rewrite: {uriRegexRewrite: {match: '^/a'}}, ${to}`), path: "spec.http[0].rewrite.uriRegexRewrite.rewrite", msg: "requires both match and rewrite" },
      { name: "uriRegexRewrite bad regex", spec: vs(`rewrite: {uriRegexRewrite: {match: '(', rewrite: /}}, ${to}`), path: "spec.http[0].rewrite.uriRegexRewrite.match", msg: "RE2" },
      { name: "authority twice: rewrite and :authority", spec: vs(`rewrite: {authority: a.com}, headers: {request: {set: {':authority': b.com}}}, ${to}`), path: 'spec.http[0].headers.request.set[":authority"]', msg: "authority header cannot be set multiple times" },
      { name: "authority twice: set host and add host", spec: vs(`headers: {request: {set: {host: a.com}, add: {Host: b.com}}}, ${to}`), path: "spec.http[0].headers.request.add.Host", msg: 'have "a.com"' },
    ]);
  });

  describe("header operations", () => {
    table("VirtualService", [
      { name: "set/add/remove both ways", spec: vs(`headers: {request: {set: {x-a: '1'}, add: {x-b: '2'}, remove: [x-c]}, response: {set: {x-d: 'a %% b'}, add: {x-e: '%HOSTNAME%'}, remove: [server]}}, ${to}`) },
      { name: "request remove of host", spec: vs(`headers: {request: {remove: [host]}}, ${to}`), path: "spec.http[0].headers.request.remove[0]", msg: "Host header" },
      { name: "response set of host", spec: vs(`headers: {response: {set: {Host: x}}}, ${to}`), path: "spec.http[0].headers.response.set.Host", msg: "Host header" },
      { name: "request set of :method", spec: vs(`headers: {request: {set: {':method': GET}}}, ${to}`), path: 'spec.http[0].headers.request.set[":method"]', msg: '":" prefix' },
      { name: "response add of :status", spec: vs(`headers: {response: {add: {':status': '200'}}}, ${to}`), path: 'spec.http[0].headers.response.add[":status"]', msg: '":" prefix' },
      { name: "invalid header name", spec: vs(`headers: {request: {set: {'x y': v}}}, ${to}`), path: 'spec.http[0].headers.request.set["x y"]', msg: "not a valid header name" },
      { name: "empty header name", spec: vs(`headers: {response: {remove: ['']}}, ${to}`), path: "spec.http[0].headers.response.remove[0]", msg: "cannot be empty" },
      { name: "value with a newline", spec: vs(`headers: {request: {set: {x-a: "a\\nb"}}}, ${to}`), path: "spec.http[0].headers.request.set.x-a", msg: "control characters" },
      { name: "value with a lone %", spec: vs(`headers: {response: {set: {x-a: '100%'}}}, ${to}`), path: "spec.http[0].headers.response.set.x-a", msg: "un-escaped %" },
      { name: "value with an unterminated variable", spec: vs(`headers: {response: {set: {x-a: 'abc%123'}}}, ${to}`), path: "spec.http[0].headers.response.set.x-a", msg: "un-terminated variable" },
      { name: "value not a string", spec: vs(`headers: {request: {set: {x-a: 1}}}, ${to}`), path: "spec.http[0].headers.request.set.x-a", msg: "expected string" },
      { name: "remove is a list", spec: vs(`headers: {request: {remove: x-a}}, ${to}`), path: "spec.http[0].headers.request.remove", msg: "expected array" },
    ]);
  });

  describe("timeout and retries", () => {
    const r = (retries: string) => vs(`${to}, retries: ${retries}`);
    table("VirtualService", [
      { name: "timeout", spec: vs(`${to}, timeout: 10s`) },
      { name: "timeout 1.5s", spec: vs(`${to}, timeout: 1.5s`) },
      { name: "full retry policy", spec: r("{attempts: 3, perTryTimeout: 2s, retryOn: 'gateway-error,connect-failure,refused-stream,503', retryRemoteLocalities: true, retryIgnorePreviousHosts: false, backoff: 50ms}") },
      { name: "retries disabled", spec: r("{attempts: 0}") },
      { name: "every retryOn policy", spec: r("{attempts: 1, retryOn: '5xx,gateway-error,reset,reset-before-request,connect-failure,retriable-4xx,refused-stream,retriable-status-codes,retriable-headers,envoy-ratelimited,http3-post-connect-failure,cancelled,deadline-exceeded,internal,resource-exhausted,unavailable'}") },
      { name: "timeout 0s", spec: vs(`${to}, timeout: 0s`), path: "spec.http[0].timeout", msg: "at least 1ms" },
      { name: "timeout without unit", spec: vs(`${to}, timeout: 10`), path: "spec.http[0].timeout", msg: "expected string" },
      { name: "timeout garbage", spec: vs(`${to}, timeout: ten seconds`), path: "spec.http[0].timeout", msg: 'invalid duration "ten seconds"' },
      { name: "timeout sub-millisecond precision", spec: vs(`${to}, timeout: 1500us`), path: "spec.http[0].timeout", msg: "ms precision" },
      { name: "negative attempts", spec: r("{attempts: -1}"), path: "spec.http[0].retries.attempts", msg: "cannot be negative" },
      { name: "attempts 0 with retryOn", spec: r("{attempts: 0, retryOn: 5xx}"), path: "spec.http[0].retries.attempts", msg: "when attempts is 0" },
      { name: "no attempts with perTryTimeout", spec: r("{perTryTimeout: 1s}"), path: "spec.http[0].retries.attempts", msg: "perTryTimeout" },
      { name: "unknown retryOn policy", spec: r("{attempts: 2, retryOn: '5xx,bogus'}"), path: "spec.http[0].retries.retryOn", msg: '"bogus" is not a valid retryOn policy' },
      { name: "retryOn with spaces", spec: r("{attempts: 2, retryOn: '5xx, reset'}"), path: "spec.http[0].retries.retryOn", msg: '" reset"' },
      { name: "retryOn status 600", spec: r("{attempts: 2, retryOn: '600'}"), path: "spec.http[0].retries.retryOn", msg: '"600"' },
      { name: "perTryTimeout 0.5ms", spec: r("{attempts: 2, perTryTimeout: 0.5ms}"), path: "spec.http[0].retries.perTryTimeout", msg: "at least 1ms" },
      { name: "backoff 0s", spec: r("{attempts: 2, backoff: 0s}"), path: "spec.http[0].retries.backoff", msg: "at least 1ms" },
      { name: "attempts as string", spec: r("{attempts: '3'}"), path: "spec.http[0].retries.attempts", msg: "expected number" },
    ]);
  });

  describe("fault injection", () => {
    const f = (fault: string) => vs(`${to}, fault: ${fault}`);
    table("VirtualService", [
      { name: "delay and abort", spec: f("{delay: {fixedDelay: 5s, percentage: {value: 10}}, abort: {httpStatus: 500, percentage: {value: 0.1}}}") },
      { name: "grpc abort", spec: f("{abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}}") },
      { name: "deprecated delay percent", spec: f("{delay: {fixedDelay: 1s, percent: 50}}") },
      { name: "percentage 0", spec: f("{abort: {httpStatus: 503, percentage: {value: 0}}}") },
      { name: "empty fault", spec: f("{}"), path: "spec.http[0].fault", msg: "must have an abort and/or a delay" },
      { name: "abort status 600 (Istio's validateHTTPStatus accepts up to 600)", spec: f("{abort: {httpStatus: 600}}") },
      { name: "abort status 601", spec: f("{abort: {httpStatus: 601}}"), path: "spec.http[0].fault.abort.httpStatus", msg: "HTTP status 601 is not in range 200-599" },
      { name: "abort status 100", spec: f("{abort: {httpStatus: 100}}"), path: "spec.http[0].fault.abort.httpStatus", msg: "HTTP status 100 is not in range 200-599" },
      { name: "abort without error type", spec: f("{abort: {percentage: {value: 5}}}"), path: "spec.http[0].fault.abort", msg: "httpStatus or grpcStatus" },
      { name: "abort with http2Error", spec: f("{abort: {http2Error: x}}"), path: "spec.http[0].fault.abort.http2Error", msg: "not supported" },
      { name: "abort httpStatus and grpcStatus", spec: f("{abort: {httpStatus: 500, grpcStatus: INTERNAL}}"), path: "spec.http[0].fault.abort.grpcStatus", msg: "only one of httpStatus, grpcStatus, http2Error" },
      { name: "unknown grpc status", spec: f("{abort: {grpcStatus: '14'}}"), path: "spec.http[0].fault.abort.grpcStatus", msg: 'gRPC status "14" is not supported' },
      { name: "percentage above 100", spec: f("{abort: {httpStatus: 500, percentage: {value: 101}}}"), path: "spec.http[0].fault.abort.percentage.value", msg: "must be between 0 and 100, got 101" },
      { name: "percentage below granularity", spec: f("{abort: {httpStatus: 500, percentage: {value: 0.00001}}}"), path: "spec.http[0].fault.abort.percentage.value", msg: "[0.0001, 100.0]" },
      { name: "exponentialDelay", spec: f("{delay: {exponentialDelay: 1s}}"), path: "spec.http[0].fault.delay.exponentialDelay", msg: "not supported" },
      { name: "delay without fixedDelay", spec: f("{delay: {percentage: {value: 5}}}"), path: "spec.http[0].fault.delay.fixedDelay", msg: "must set fixedDelay" },
      { name: "fixedDelay 0s", spec: f("{delay: {fixedDelay: 0s}}"), path: "spec.http[0].fault.delay.fixedDelay", msg: "at least 1ms" },
      { name: "deprecated percent out of range", spec: f("{delay: {fixedDelay: 1s, percent: 150}}"), path: "spec.http[0].fault.delay.percent", msg: "150" },
      { name: "percentage as bare number", spec: f("{delay: {fixedDelay: 1s, percentage: 10}}"), path: "spec.http[0].fault.delay.percentage", msg: "expected object" },
    ]);
  });

  describe("mirroring", () => {
    table("VirtualService", [
      { name: "mirror with mirrorPercentage", spec: vs(`${to}, mirror: {host: reviews, subset: v2}, mirrorPercentage: {value: 50.5}`) },
      { name: "mirrors list", spec: vs(`${to}, mirrors: [{destination: {host: a}, percentage: {value: 10}}, {destination: {host: b}}]`) },
      { name: "deprecated mirrorPercent", spec: vs(`${to}, mirror: {host: a}, mirrorPercent: 20`) },
      { name: "deprecated mirror_percent", spec: vs(`${to}, mirror: {host: a}, mirror_percent: 20`) },
      { name: "mirrorPercentage above 100", spec: vs(`${to}, mirror: {host: a}, mirrorPercentage: {value: 100.5}`), path: "spec.http[0].mirrorPercentage.value", msg: "got 100.5" },
      { name: "mirrorPercentage negative", spec: vs(`${to}, mirror: {host: a}, mirrorPercentage: {value: -1}`), path: "spec.http[0].mirrorPercentage.value", msg: "got -1" },
      { name: "mirror percentage above 100", spec: vs(`${to}, mirrors: [{destination: {host: a}, percentage: {value: 200}}]`), path: "spec.http[0].mirrors[0].percentage.value", msg: "got 200" },
      { name: "mirrorPercent above 100", spec: vs(`${to}, mirror: {host: a}, mirrorPercent: 101`), path: "spec.http[0].mirrorPercent", msg: "max value of 100, got 101" },
      { name: "mirror host *", spec: vs(`${to}, mirror: {host: '*'}`), path: "spec.http[0].mirror.host", msg: "invalid destination host" },
      { name: "mirrors without destination", spec: vs(`${to}, mirrors: [{percentage: {value: 1}}]`), path: "spec.http[0].mirrors[0].destination", msg: "required" },
      { name: "mirrors bad subset", spec: vs(`${to}, mirrors: [{destination: {host: a, subset: 'v_1'}}]`), path: "spec.http[0].mirrors[0].destination.subset", msg: "is invalid" },
    ]);
  });

  describe("corsPolicy", () => {
    const c = (cors: string) => vs(`${to}, corsPolicy: ${cors}`);
    table("VirtualService", [
      { name: "full policy", spec: c("{allowOrigins: [{exact: 'https://example.com'}, {regex: 'https://.*\\.example\\.com'}], allowMethods: [GET, POST, '*'], allowHeaders: [authorization, '*'], exposeHeaders: [x-trace], maxAge: 24h, allowCredentials: true, unmatchedPreflights: IGNORE}") },
      { name: "deprecated allowOrigin", spec: c("{allowOrigin: ['https://a.com']}") },
      { name: "empty origin", spec: c("{allowOrigins: [{exact: ''}]}"), path: "spec.http[0].corsPolicy.allowOrigins[0]", msg: "non-empty exact, prefix or regex" },
      { name: "origin with no matcher", spec: c("{allowOrigins: [{}]}"), path: "spec.http[0].corsPolicy.allowOrigins[0]", msg: "non-empty" },
      { name: "origin regex *", spec: c("{allowOrigins: [{regex: '*'}]}"), path: "spec.http[0].corsPolicy.allowOrigins[0].regex", msg: "RE2" },
      { name: "lower-case method", spec: c("{allowMethods: [get]}"), path: "spec.http[0].corsPolicy.allowMethods[0]", msg: '"get" is not a supported HTTP method' },
      { name: "bad allowHeaders name", spec: c("{allowHeaders: ['x y']}"), path: "spec.http[0].corsPolicy.allowHeaders[0]", msg: "not a valid header name" },
      { name: "empty exposeHeaders name", spec: c("{exposeHeaders: ['']}"), path: "spec.http[0].corsPolicy.exposeHeaders[0]", msg: "cannot be empty" },
      { name: "maxAge fractional seconds", spec: c("{maxAge: 1500ms}"), path: "spec.http[0].corsPolicy.maxAge", msg: "whole number of seconds" },
      { name: "maxAge 0s", spec: c("{maxAge: 0s}"), path: "spec.http[0].corsPolicy.maxAge", msg: "at least 1ms" },
      { name: "unknown unmatchedPreflights", spec: c("{unmatchedPreflights: DROP}"), path: "spec.http[0].corsPolicy.unmatchedPreflights", msg: '"UNSPECIFIED", "FORWARD", "IGNORE"' },
      { name: "allowCredentials as string", spec: c("{allowCredentials: 'true'}"), path: "spec.http[0].corsPolicy.allowCredentials", msg: "expected boolean" },
    ]);
  });

  describe("tls and tcp routes", () => {
    table("VirtualService", [
      { name: "SNI passthrough at a gateway", spec: "{hosts: ['*.example.com'], gateways: [gw], tls: [{match: [{sniHosts: [a.example.com], port: 443}], route: [{destination: {host: a.example.com}}]}]}" },
      { name: "tcp route", spec: "{hosts: [mongo], tcp: [{match: [{port: 27017, destinationSubnets: [10.0.0.0/8], sourceSubnet: 10.1.0.0/16}], route: [{destination: {host: mongo, port: {number: 27017}}, weight: 100}]}]}" },
      { name: "tls route without match", spec: "{hosts: [a.com], tls: [{route: [{destination: {host: a.com}}]}]}", path: "spec.tls[0].match", msg: "required" },
      { name: "tls match without sniHosts", spec: "{hosts: [a.com], tls: [{match: [{sniHosts: []}], route: [{destination: {host: a.com}}]}]}", path: "spec.tls[0].match[0].sniHosts", msg: "at least one SNI host" },
      { name: "SNI host outside the VS hosts", spec: "{hosts: [a.com], tls: [{match: [{sniHosts: [b.com]}], route: [{destination: {host: a.com}}]}]}", path: "spec.tls[0].match[0].sniHosts[0]", msg: "not a compatible subset" },
      { name: "tls route without route", spec: "{hosts: [a.com], tls: [{match: [{sniHosts: [a.com]}]}]}", path: "spec.tls[0].route", msg: "TLS route is required" },
      { name: "tcp route without route", spec: "{hosts: [a], tcp: [{match: [{port: 1}]}]}", path: "spec.tcp[0].route", msg: "TCP route is required" },
      { name: "bad destination subnet", spec: "{hosts: [a], tcp: [{match: [{destinationSubnets: [10.0.0.0/33]}], route: [{destination: {host: a}}]}]}", path: "spec.tcp[0].match[0].destinationSubnets[0]", msg: "not a valid CIDR block" },
      { name: "tcp weights all zero", spec: "{hosts: [a], tcp: [{route: [{destination: {host: a}}, {destination: {host: b}}]}]}", path: "spec.tcp[0].route", msg: "total destination weight is 0" },
      { name: "tcp destination headers are not a field", spec: "{hosts: [a], tcp: [{route: [{destination: {host: a}, headers: {}}]}]}", path: "spec.tcp[0].route[0].headers", msg: "unknown field" },
    ]);
  });
});

describe("Gateway", () => {
  const http = "{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}";
  table("Gateway", [
    { name: "HTTP server", spec: `{selector: {istio: ingressgateway}, servers: [${http}]}` },
    { name: "HTTPS with credentialName", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['bookinfo/*.example.com'], tls: {mode: SIMPLE, credentialName: example-cert}}]}" },
    { name: "HTTPS with certificate files", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.example.com], tls: {mode: SIMPLE, serverCertificate: /c.pem, privateKey: /k.pem, minProtocolVersion: TLSV1_3}}]}" },
    { name: "MUTUAL with CA", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.example.com], tls: {mode: MUTUAL, serverCertificate: /c, privateKey: /k, caCertificates: /ca}}]}" },
    { name: "MUTUAL with credentialName", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.example.com], tls: {mode: MUTUAL, credentialName: c}}]}" },
    { name: "TLS passthrough", spec: "{servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: ['*.example.com'], tls: {mode: PASSTHROUGH}}]}" },
    { name: "ISTIO_MUTUAL", spec: "{servers: [{port: {number: 15443, name: tls, protocol: TLS}, hosts: ['*.local'], tls: {mode: ISTIO_MUTUAL}}]}" },
    { name: "HTTP server with httpsRedirect", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*'], tls: {httpsRedirect: true}}]}" },
    { name: "namespace forms . and *", spec: "{servers: [{port: {number: 80, name: http, protocol: http}, hosts: ['./a.example.com', '*/b.example.com', 'ns1/*']}]}" },
    { name: "IP host", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [10.1.1.1]}]}" },
    { name: "tlsCertificates pair", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.com], tls: {mode: SIMPLE, tlsCertificates: [{serverCertificate: /rsa.pem, privateKey: /rsa.key}, {serverCertificate: /ec.pem, privateKey: /ec.key}]}}]}" },
    { name: "no servers", spec: "{selector: {app: gw}}", path: "spec.servers", msg: "at least one server" },
    { name: "dotted gateway name", spec: `{servers: [${http}]}`, resName: "my.gateway", path: "metadata.name", msg: "DNS-1123 label" },
    { name: "port without name", spec: "{servers: [{port: {number: 80, protocol: HTTP}, hosts: ['*']}]}", path: "spec.servers[0].port.name", msg: "required" },
    { name: "port without number", spec: "{servers: [{port: {name: http, protocol: HTTP}, hosts: ['*']}]}", path: "spec.servers[0].port.number", msg: "required" },
    { name: "port 0", spec: "{servers: [{port: {number: 0, name: http, protocol: HTTP}, hosts: ['*']}]}", path: "spec.servers[0].port.number", msg: "port number 0 must be in the range 1..65535" },
    { name: "unknown protocol", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP3}, hosts: ['*']}]}", path: "spec.servers[0].port.protocol", msg: 'invalid protocol "HTTP3"' },
    { name: "targetPort", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP, targetPort: 8080}, hosts: ['*']}]}", path: "spec.servers[0].port.targetPort", msg: "no impact" },
    { name: "duplicate port names", spec: "{servers: [{port: {number: 80, name: web, protocol: HTTP}, hosts: ['*']}, {port: {number: 8080, name: web, protocol: HTTP}, hosts: ['*']}]}", path: "spec.servers[1].port.name", msg: "must be unique" },
    { name: "hosts missing", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP}}]}", path: "spec.servers[0].hosts", msg: "required" },
    { name: "hosts empty", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: []}]}", path: "spec.servers[0].hosts", msg: "at least one host" },
    { name: "short host name", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [reviews]}]}", path: "spec.servers[0].hosts[0]", msg: "short names" },
    { name: "partial wildcard host", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*foo.example.com']}]}", path: "spec.servers[0].hosts[0]", msg: "partial wildcard" },
    { name: "bad host namespace", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['Bad_NS/a.example.com']}]}", path: "spec.servers[0].hosts[0]", msg: "invalid namespace value" },
    { name: "empty host namespace", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['/a.example.com']}]}", path: "spec.servers[0].hosts[0]", msg: "cannot be empty" },
    { name: "HTTPS without tls", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*']}]}", path: "spec.servers[0].tls", msg: "must have TLS settings" },
    { name: "SIMPLE without any certificate", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: SIMPLE}}]}", path: "spec.servers[0].tls.serverCertificate", msg: "requires a credentialName, or a serverCertificate and privateKey" },
    { name: "SIMPLE with only a certificate", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: SIMPLE, serverCertificate: /c}}]}", path: "spec.servers[0].tls.privateKey", msg: "serverCertificate and privateKey" },
    { name: "MUTUAL without CA", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: MUTUAL, serverCertificate: /c, privateKey: /k}}]}", path: "spec.servers[0].tls.caCertificates", msg: "client CA bundle" },
    { name: "two certificate sources", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: SIMPLE, credentialName: a, serverCertificate: /c, privateKey: /k}}]}", path: "spec.servers[0].tls", msg: "only one of credentialName" },
    { name: "credentialName and credentialNames", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: SIMPLE, credentialName: a, credentialNames: [b]}}]}", path: "spec.servers[0].tls.credentialNames", msg: "only one of credentialName or credentialNames" },
    { name: "three credentialNames", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: SIMPLE, credentialNames: [a, b, c]}}]}", path: "spec.servers[0].tls.credentialNames", msg: "1 or 2 entries" },
    { name: "ISTIO_MUTUAL with credentialName", spec: "{servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: ['*'], tls: {mode: ISTIO_MUTUAL, credentialName: x}}]}", path: "spec.servers[0].tls.credentialName", msg: "ISTIO_MUTUAL TLS cannot have" },
    { name: "SIMPLE tls on an HTTP port", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*'], tls: {mode: SIMPLE, credentialName: x}}]}", path: "spec.servers[0].tls", msg: "plain text HTTP ports" },
    { name: "httpsRedirect with certificates on an HTTP port", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*'], tls: {httpsRedirect: true, serverCertificate: /c}}]}", path: "spec.servers[0].tls", msg: "plain text HTTP ports" },
    { name: "tls on a TCP port", spec: "{servers: [{port: {number: 9000, name: tcp, protocol: TCP}, hosts: ['*'], tls: {mode: SIMPLE, credentialName: x}}]}", path: "spec.servers[0].tls", msg: "non HTTPS/TLS ports" },
    { name: "CRL with SIMPLE", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: SIMPLE, serverCertificate: /c, privateKey: /k, caCrl: /crl}}]}", path: "spec.servers[0].tls.caCrl", msg: "CRL is not supported with SIMPLE TLS" },
    { name: "unknown tls mode", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: STRICT}}]}", path: "spec.servers[0].tls.mode", msg: '"PASSTHROUGH", "SIMPLE"' },
    { name: "unknown min TLS version", spec: "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ['*'], tls: {mode: SIMPLE, credentialName: c, minProtocolVersion: TLSV1_4}}]}", path: "spec.servers[0].tls.minProtocolVersion", msg: '"TLSV1_3"' },
    { name: "bad bind", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*'], bind: not-an-ip}]}", path: "spec.servers[0].bind", msg: "not a valid IP address" },
    { name: "unknown server field", spec: "{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*'], host: x}]}", path: "spec.servers[0].host", msg: "unknown field" },
  ]);
});

describe("DestinationRule", () => {
  describe("host, subsets, exportTo, workloadSelector", () => {
    table("DestinationRule", [
      { name: "host and subsets", spec: "{host: reviews, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}, trafficPolicy: {loadBalancer: {simple: RANDOM}}}]}" },
      { name: "wildcard host", spec: "{host: '*.example.com', trafficPolicy: {tls: {mode: SIMPLE}}}" },
      { name: "workloadSelector with exportTo .", spec: "{host: a, workloadSelector: {matchLabels: {app: a}}, exportTo: ['.'], trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}" },
      { name: "host missing", spec: "{subsets: [{name: v1}]}", path: "spec.host", msg: "required" },
      { name: "host empty", spec: "{host: ''}", path: "spec.host", msg: "host is required" },
      { name: "host invalid", spec: "{host: 'a b'}", path: "spec.host", msg: 'invalid host "a b"' },
      { name: "subset without name", spec: "{host: a, subsets: [{labels: {version: v1}}]}", path: "spec.subsets[0].name", msg: "required" },
      { name: "duplicate subset names", spec: "{host: a, subsets: [{name: v1}, {name: v1}]}", path: "spec.subsets[1].name", msg: 'duplicate subset name "v1"' },
      { name: "subset name not a label", spec: "{host: a, subsets: [{name: v1.0}]}", path: "spec.subsets[0].name", msg: "DNS-1123 label" },
      { name: "subset label key invalid", spec: "{host: a, subsets: [{name: v1, labels: {'-bad': x}}]}", path: 'spec.subsets[0].labels["-bad"]', msg: "invalid label key" },
      { name: "empty subset trafficPolicy", spec: "{host: a, subsets: [{name: v1, trafficPolicy: {}}]}", path: "spec.subsets[0].trafficPolicy", msg: "at least one field" },
      { name: "workloadSelector exported beyond namespace", spec: "{host: a, workloadSelector: {matchLabels: {app: a}}, exportTo: ['*']}", path: "spec.exportTo", msg: "beyond current namespace" },
      { name: "workloadSelector wildcard label", spec: "{host: a, workloadSelector: {matchLabels: {app: 'a*'}}}", path: "spec.workloadSelector.matchLabels.app", msg: "wildcard" },
      { name: "unknown field", spec: "{host: a, trafficPolicies: {}}", path: "spec.trafficPolicies", msg: "unknown field" },
    ]);
  });

  describe("loadBalancer", () => {
    const lb = (v: string) => `{host: a, trafficPolicy: {loadBalancer: ${v}}}`;
    table("DestinationRule", [
      { name: "simple LEAST_REQUEST", spec: lb("{simple: LEAST_REQUEST}") },
      { name: "consistent hash by header with ringHash", spec: lb("{consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 2048}}}") },
      { name: "consistent hash by cookie", spec: lb("{consistentHash: {httpCookie: {name: session, path: /, ttl: 0s, attributes: [{name: SameSite, value: Strict}, {name: Secure}]}}}") },
      { name: "consistent hash by source IP with maglev", spec: lb("{consistentHash: {useSourceIp: true, maglev: {tableSize: 65537}}}") },
      { name: "consistent hash by query parameter", spec: lb("{consistentHash: {httpQueryParameterName: user}}") },
      { name: "locality distribute", spec: lb("{localityLbSetting: {enabled: true, distribute: [{from: us-west/zone1/*, to: {'us-west/zone1/*': 80, 'us-west/zone2/*': 20}}]}}") },
      { name: "locality failover", spec: "{host: a, trafficPolicy: {outlierDetection: {consecutive5xxErrors: 5}, loadBalancer: {localityLbSetting: {failover: [{from: us-east, to: eu-west}], failoverPriority: [topology.istio.io/network]}}}}" },
      { name: "warmup", spec: lb("{simple: ROUND_ROBIN, warmup: {duration: 60s, minimumPercent: 20, aggression: 2}}") },
      { name: "simple and consistentHash", spec: lb("{simple: RANDOM, consistentHash: {useSourceIp: true}}"), path: "spec.trafficPolicy.loadBalancer.consistentHash", msg: "only one of simple, consistentHash" },
      { name: "two hash keys", spec: lb("{consistentHash: {httpHeaderName: x, useSourceIp: true}}"), path: "spec.trafficPolicy.loadBalancer.consistentHash.useSourceIp", msg: "only one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName" },
      { name: "ringHash and maglev", spec: lb("{consistentHash: {useSourceIp: true, ringHash: {}, maglev: {tableSize: 7}}}"), path: "spec.trafficPolicy.loadBalancer.consistentHash.maglev", msg: "only one of ringHash, maglev" },
      { name: "maglev table size not prime", spec: lb("{consistentHash: {useSourceIp: true, maglev: {tableSize: 1000}}}"), path: "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", msg: "prime number for maglev, got 1000" },
      { name: "maglev table size too large", spec: lb("{consistentHash: {useSourceIp: true, maglev: {tableSize: 5000011}}}"), path: "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", msg: "less than 5000011" },
      { name: "maglev without table size", spec: lb("{consistentHash: {useSourceIp: true, maglev: {}}}"), path: "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", msg: "must be set" },
      { name: "deprecated minimumRingSize with ringHash", spec: lb("{consistentHash: {useSourceIp: true, minimumRingSize: 10, ringHash: {minimumRingSize: 10}}}"), path: "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize", msg: "only one of minimumRingSize" },
      { name: "cookie without name", spec: lb("{consistentHash: {httpCookie: {ttl: 10s}}}"), path: "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name", msg: "required" },
      { name: "duplicate cookie attributes", spec: lb("{consistentHash: {httpCookie: {name: s, attributes: [{name: Secure}, {name: Secure}]}}}"), path: "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.attributes[1].name", msg: "duplicate cookie attribute" },
      { name: "bad hash header name", spec: lb("{consistentHash: {httpHeaderName: 'x y'}}"), path: "spec.trafficPolicy.loadBalancer.consistentHash.httpHeaderName", msg: "not a valid header name" },
      { name: "unknown simple policy", spec: lb("{simple: WEIGHTED}"), path: "spec.trafficPolicy.loadBalancer.simple", msg: '"LEAST_REQUEST"' },
      { name: "distribute and failover", spec: lb("{localityLbSetting: {distribute: [{from: a, to: {b: 100}}], failover: [{from: a, to: b}]}}"), path: "spec.trafficPolicy.loadBalancer.localityLbSetting", msg: "'distribute' and 'failover'" },
      { name: "distribute weights not 100", spec: lb("{localityLbSetting: {distribute: [{from: a, to: {b: 50, c: 20}}]}}"), path: "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to", msg: "total locality weight 70 != 100" },
      { name: "distribute weight 0", spec: lb("{localityLbSetting: {distribute: [{from: a, to: {b: 0, c: 100}}]}}"), path: "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to.b", msg: "[1, 100]" },
      { name: "failover to the same region", spec: lb("{localityLbSetting: {failover: [{from: us, to: us}]}}"), path: "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]", msg: "different regions" },
      { name: "failover with zone", spec: lb("{localityLbSetting: {failover: [{from: us/z1, to: eu}]}}"), path: "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]", msg: "only specifies regions" },
      { name: "failover with topology failoverPriority", spec: lb("{localityLbSetting: {failover: [{from: us, to: eu}], failoverPriority: [topology.kubernetes.io/region]}}"), path: "spec.trafficPolicy.loadBalancer.localityLbSetting.failoverPriority[0]", msg: "topology label" },
      { name: "misplaced locality wildcard", spec: lb("{localityLbSetting: {distribute: [{from: '*/z1', to: {b: 100}}]}}"), path: "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute", msg: "must be in the end" },
      { name: "locality and zoneAware", spec: lb("{localityLbSetting: {enabled: true}, zoneAwareLbSetting: {enabled: true}}"), path: "spec.trafficPolicy.loadBalancer.zoneAwareLbSetting", msg: "only one of localityLbSetting and zoneAwareLbSetting" },
      { name: "warmup without duration", spec: lb("{warmup: {minimumPercent: 10}}"), path: "spec.trafficPolicy.loadBalancer.warmup.duration", msg: "required" },
      { name: "warmup minimumPercent above 100", spec: lb("{warmup: {duration: 10s, minimumPercent: 120}}"), path: "spec.trafficPolicy.loadBalancer.warmup.minimumPercent", msg: "got 120" },
      { name: "warmup aggression 0", spec: lb("{warmup: {duration: 10s, aggression: 0}}"), path: "spec.trafficPolicy.loadBalancer.warmup.aggression", msg: "greater than 0" },
      { name: "warmup and warmupDurationSecs", spec: lb("{warmupDurationSecs: 10s, warmup: {duration: 10s}}"), path: "spec.trafficPolicy.loadBalancer.warmup", msg: "only one of warmupDurationSecs, warmup" },
    ]);
  });

  describe("connectionPool and outlierDetection", () => {
    const tp = (v: string) => `{host: a, trafficPolicy: ${v}}`;
    table("DestinationRule", [
      { name: "full connection pool", spec: tp("{connectionPool: {tcp: {maxConnections: 100, connectTimeout: 30ms, tcpKeepalive: {probes: 3, time: 7200s, interval: 75s}, maxConnectionDuration: 1h, idleTimeout: 0s}, http: {http1MaxPendingRequests: 1, http2MaxRequests: 1000, maxRequestsPerConnection: 10, maxRetries: 3, idleTimeout: 30s, h2UpgradePolicy: UPGRADE, maxConcurrentStreams: 100, http2KeepAlive: {interval: 10s, timeout: 5s}}}}") },
      { name: "full outlier detection", spec: tp("{outlierDetection: {consecutive5xxErrors: 7, consecutiveGatewayErrors: 3, interval: 5m, baseEjectionTime: 15m, maxEjectionPercent: 100, minHealthPercent: 50, splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 2, outlierDetectionHttpErrorCodes: [500, 503]}}") },
      { name: "empty traffic policy", spec: tp("{}"), path: "spec.trafficPolicy", msg: "at least one field" },
      { name: "empty connection pool", spec: tp("{connectionPool: {}}"), path: "spec.trafficPolicy.connectionPool", msg: "at least one of tcp or http" },
      { name: "negative maxConnections", spec: tp("{connectionPool: {tcp: {maxConnections: -1}}}"), path: "spec.trafficPolicy.connectionPool.tcp.maxConnections", msg: "non-negative, got -1" },
      { name: "negative http2MaxRequests", spec: tp("{connectionPool: {http: {http2MaxRequests: -5}}}"), path: "spec.trafficPolicy.connectionPool.http.http2MaxRequests", msg: "non-negative" },
      { name: "connectTimeout 0s", spec: tp("{connectionPool: {tcp: {connectTimeout: 0s}}}"), path: "spec.trafficPolicy.connectionPool.tcp.connectTimeout", msg: "at least 1ms" },
      { name: "UPGRADE with useClientProtocol", spec: tp("{connectionPool: {http: {h2UpgradePolicy: UPGRADE, useClientProtocol: true}}}"), path: "spec.trafficPolicy.connectionPool.http.useClientProtocol", msg: "must not be true when h2UpgradePolicy is UPGRADE" },
      { name: "http2KeepAlive without timeout", spec: tp("{connectionPool: {http: {http2KeepAlive: {interval: 1s}}}}"), path: "spec.trafficPolicy.connectionPool.http.http2KeepAlive.timeout", msg: "required" },
      { name: "maxConnections beyond int32", spec: tp("{connectionPool: {tcp: {maxConnections: 4294967295}}}"), path: "spec.trafficPolicy.connectionPool.tcp.maxConnections", msg: "2147483647" },
      { name: "maxEjectionPercent above 100", spec: tp("{outlierDetection: {maxEjectionPercent: 150}}"), path: "spec.trafficPolicy.outlierDetection.maxEjectionPercent", msg: "150 is not in range 0..100" },
      { name: "minHealthPercent negative", spec: tp("{outlierDetection: {minHealthPercent: -1}}"), path: "spec.trafficPolicy.outlierDetection.minHealthPercent", msg: "-1" },
      { name: "local origin failures without split", spec: tp("{outlierDetection: {consecutiveLocalOriginFailures: 5}}"), path: "spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures", msg: "splitExternalLocalOriginErrors" },
      { name: "interval 0s", spec: tp("{outlierDetection: {interval: 0s}}"), path: "spec.trafficPolicy.outlierDetection.interval", msg: "at least 1ms" },
      { name: "consecutive5xxErrors negative", spec: tp("{outlierDetection: {consecutive5xxErrors: -1}}"), path: "spec.trafficPolicy.outlierDetection.consecutive5xxErrors", msg: "got -1" },
      { name: "error code 600", spec: tp("{outlierDetection: {outlierDetectionHttpErrorCodes: [600]}}"), path: "spec.trafficPolicy.outlierDetection.outlierDetectionHttpErrorCodes[0]", msg: "between 100 and 599, got 600" },
    ]);
  });

  describe("tls, portLevelSettings, tunnel, proxyProtocol, retryBudget", () => {
    const tp = (v: string) => `{host: a, trafficPolicy: ${v}}`;
    table("DestinationRule", [
      { name: "SIMPLE with sni and SANs", spec: tp("{tls: {mode: SIMPLE, sni: a.example.com, subjectAltNames: [a.example.com], caCertificates: /ca.pem}}") },
      { name: "MUTUAL with files", spec: tp("{tls: {mode: MUTUAL, clientCertificate: /c, privateKey: /k, caCertificates: /ca}}") },
      { name: "MUTUAL with credentialName", spec: tp("{tls: {mode: MUTUAL, credentialName: client-cred}}") },
      { name: "SIMPLE insecureSkipVerify", spec: tp("{tls: {mode: SIMPLE, insecureSkipVerify: true}}") },
      { name: "port level settings", spec: tp("{portLevelSettings: [{port: {number: 80}, loadBalancer: {simple: RANDOM}}, {port: {number: 443}, tls: {mode: SIMPLE}}]}") },
      { name: "tunnel", spec: tp("{tunnel: {protocol: CONNECT, targetHost: proxy.example.com, targetPort: 8443}}") },
      { name: "proxyProtocol", spec: tp("{proxyProtocol: {version: V2}}") },
      { name: "retryBudget", spec: tp("{retryBudget: {percent: 25, minRetryConcurrency: 5, budgetInterval: 0s}}") },
      { name: "MUTUAL without client certificate", spec: tp("{tls: {mode: MUTUAL, privateKey: /k}}"), path: "spec.trafficPolicy.tls.clientCertificate", msg: "client certificate required for mutual tls" },
      { name: "MUTUAL without private key", spec: tp("{tls: {mode: MUTUAL, clientCertificate: /c}}"), path: "spec.trafficPolicy.tls.privateKey", msg: "private key required" },
      { name: "credentialName with certificate files", spec: tp("{tls: {mode: SIMPLE, credentialName: c, caCertificates: /ca}}"), path: "spec.trafficPolicy.tls.credentialName", msg: "when credentialName is set" },
      { name: "insecureSkipVerify with CA", spec: tp("{tls: {mode: SIMPLE, insecureSkipVerify: true, caCertificates: /ca}}"), path: "spec.trafficPolicy.tls.insecureSkipVerify", msg: "insecureSkipVerify is true" },
      { name: "configmap credential in another namespace", spec: tp("{tls: {mode: SIMPLE, credentialName: 'configmap://other/ca'}}"), path: "spec.trafficPolicy.tls.credentialName", msg: "namespace must match" },
      { name: "unknown tls mode", spec: tp("{tls: {mode: PERMISSIVE}}"), path: "spec.trafficPolicy.tls.mode", msg: '"ISTIO_MUTUAL"' },
      { name: "port level without port", spec: tp("{portLevelSettings: [{loadBalancer: {simple: RANDOM}}]}"), path: "spec.trafficPolicy.portLevelSettings[0].port", msg: "must name a port" },
      { name: "port level without settings", spec: tp("{portLevelSettings: [{port: {number: 80}}]}"), path: "spec.trafficPolicy.portLevelSettings[0]", msg: "at least one of" },
      { name: "port level maglev not prime", spec: tp("{portLevelSettings: [{port: {number: 80}, loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 4}}}}]}"), path: "spec.trafficPolicy.portLevelSettings[0].loadBalancer.consistentHash.maglev.tableSize", msg: "prime" },
      { name: "tunnel and proxyProtocol", spec: tp("{tunnel: {targetHost: a.com, targetPort: 80}, proxyProtocol: {version: V1}}"), path: "spec.trafficPolicy.proxyProtocol", msg: "must not be set together" },
      { name: "tunnel protocol GET", spec: tp("{tunnel: {protocol: GET, targetHost: a.com, targetPort: 80}}"), path: "spec.trafficPolicy.tunnel.protocol", msg: '"CONNECT" or "POST"' },
      { name: "tunnel target port 0", spec: tp("{tunnel: {targetHost: a.com, targetPort: 0}}"), path: "spec.trafficPolicy.tunnel.targetPort", msg: "1..65535" },
      { name: "tunnel without targetHost", spec: tp("{tunnel: {targetPort: 80}}"), path: "spec.trafficPolicy.tunnel.targetHost", msg: "required" },
      { name: "tunnel bad targetHost", spec: tp("{tunnel: {targetHost: 'a b', targetPort: 80}}"), path: "spec.trafficPolicy.tunnel.targetHost", msg: "valid FQDN or IP" },
      { name: "proxyProtocol V3", spec: tp("{proxyProtocol: {version: V3}}"), path: "spec.trafficPolicy.proxyProtocol.version", msg: '"V1", "V2"' },
      { name: "retryBudget percent above 100", spec: tp("{retryBudget: {percent: 101}}"), path: "spec.trafficPolicy.retryBudget.percent", msg: "got 101" },
    ]);
  });
});

describe("ServiceEntry", () => {
  table("ServiceEntry", [
    { name: "external HTTPS API (DNS)", spec: "{hosts: [api.example.com], location: MESH_EXTERNAL, ports: [{number: 443, name: https, protocol: HTTPS}], resolution: DNS}" },
    { name: "mesh member by service binding (Isthmus)", spec: "{hosts: [reviews.default.svc.cluster.local], location: MESH_INTERNAL, ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 'binding:REVIEWS_V1', labels: {version: v1}}, {address: 'binding:reviews_v2', labels: {version: v2}, ports: {http: 8080}, weight: 2}]}" },
    { name: "static IPs and unix socket", spec: "{hosts: [db.internal], ports: [{number: 5432, name: tcp-pg, protocol: TCP}], resolution: STATIC, endpoints: [{address: 10.0.0.1}, {address: '2001:db8::1'}]}" },
    { name: "unix endpoint with one port", spec: "{hosts: [sock.internal], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 'unix:///var/run/a.sock'}]}" },
    { name: "DNS endpoints with names", spec: "{hosts: [origin.example.com], ports: [{number: 8080, name: http, protocol: HTTP}], resolution: DNS, endpoints: [{address: 127.0.0.1, ports: {http: 9000}}, {address: backup.example.com, locality: us-west/zone1, network: n1}]}" },
    { name: "workloadSelector with STATIC", spec: "{hosts: [a.internal], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, workloadSelector: {labels: {app: a}}}" },
    { name: "NONE with CIDR addresses", spec: "{hosts: [net.internal], addresses: [10.0.0.0/16], ports: [{number: 3306, name: mysql, protocol: MYSQL}]}" },
    { name: "DYNAMIC_DNS wildcard", spec: "{hosts: ['*.example.com'], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DYNAMIC_DNS}" },
    { name: "exportTo ~", spec: "{hosts: [a.com], exportTo: ['~'], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}" },
    { name: "multiple HTTP hosts with DNS", spec: "{hosts: [a.com, b.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}" },
    { name: "no hosts", spec: "{hosts: [], resolution: DNS}", path: "spec.hosts", msg: "at least one host" },
    { name: "hosts missing", spec: "{resolution: DNS}", path: "spec.hosts", msg: "required" },
    { name: "* host", spec: "{hosts: ['*'], ports: [{number: 80, name: http, protocol: HTTP}]}", path: "spec.hosts[0]", msg: "full wildcard" },
    { name: "invalid host", spec: "{hosts: ['bad host']}", path: "spec.hosts[0]", msg: 'invalid host "bad host"' },
    { name: "duplicate port numbers", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}, {number: 80, name: http2, protocol: HTTP2}], resolution: DNS}", path: "spec.ports[1].number", msg: "port 80 already defined" },
    { name: "duplicate port names", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}, {number: 81, name: http, protocol: HTTP}], resolution: DNS}", path: "spec.ports[1].name", msg: 'port name "http" already defined' },
    { name: "port 0", spec: "{hosts: [a.com], ports: [{number: 0, name: http}], resolution: DNS}", path: "spec.ports[0].number", msg: "between 1 and 65535, got 0" },
    { name: "port without name", spec: "{hosts: [a.com], ports: [{number: 80, protocol: HTTP}], resolution: DNS}", path: "spec.ports[0].name", msg: "required" },
    { name: "bad port name", spec: "{hosts: [a.com], ports: [{number: 80, name: 'http_x', protocol: HTTP}], resolution: DNS}", path: "spec.ports[0].name", msg: "invalid port name" },
    { name: "unknown protocol", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: QUIC}], resolution: DNS}", path: "spec.ports[0].protocol", msg: 'unsupported protocol "QUIC"' },
    { name: "unknown resolution", spec: "{hosts: [a.com], resolution: STATIC_IP}", path: "spec.resolution", msg: '"DNS_ROUND_ROBIN"' },
    { name: "bad address", spec: "{hosts: [a.com], addresses: [not-an-ip]}", path: "spec.addresses[0]", msg: "not a valid IP address or CIDR block" },
    { name: "CIDR with DNS", spec: "{hosts: [a.com], addresses: [10.0.0.0/8], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}", path: "spec.addresses", msg: "CIDR addresses are allowed only for NONE/STATIC" },
    { name: "NONE with endpoints", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], endpoints: [{address: 1.1.1.1}]}", path: "spec.endpoints", msg: "resolution NONE" },
    { name: "endpoints and workloadSelector", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 1.1.1.1}], workloadSelector: {labels: {app: a}}}", path: "spec.endpoints", msg: "only one of workloadSelector or endpoints" },
    { name: "STATIC without endpoints or selector", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC}", path: "spec.endpoints", msg: "resolution STATIC needs endpoints" },
    { name: "STATIC with a DNS name", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: origin.example.com}]}", path: "spec.endpoints[0].address", msg: "not a valid IP address, unix:// path or binding:NAME" },
    { name: "STATIC endpoint without address", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{labels: {a: b}}]}", path: "spec.endpoints[0].address", msg: "address is required" },
    { name: "bad binding name", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 'binding:1REVIEWS'}]}", path: "spec.endpoints[0].address", msg: "invalid binding address" },
    { name: "empty binding name", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 'binding:'}]}", path: "spec.endpoints[0].address", msg: "binding:NAME" },
    { name: "binding with DNS resolution", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS, endpoints: [{address: 'binding:A'}]}", path: "spec.endpoints[0].address", msg: "use resolution STATIC" },
    { name: "endpoint port not declared", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 'binding:A', ports: {grpc: 9000}}]}", path: "spec.endpoints[0].ports.grpc", msg: 'endpoint port "grpc" (9000) is not defined by the service entry' },
    { name: "endpoint port out of range", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS, endpoints: [{address: a.com, ports: {http: 70000}}]}", path: "spec.endpoints[0].ports.http", msg: "got 70000" },
    { name: "unix endpoint with ports", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 'unix:///a.sock', ports: {http: 80}}]}", path: "spec.endpoints[0].ports", msg: "must not include ports" },
    { name: "relative unix path", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 'unix://a.sock'}]}", path: "spec.endpoints[0].address", msg: "absolute path" },
    { name: "unix endpoint with two service ports", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}, {number: 81, name: http2, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 'unix:///a.sock'}]}", path: "spec.endpoints[0].address", msg: "exactly 1 service port" },
    { name: "DNS endpoint with a bad name", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS, endpoints: [{address: 'bad_name!'}]}", path: "spec.endpoints[0].address", msg: "not a valid FQDN or an IP address" },
    { name: "DNS with a wildcard host and no endpoints", spec: "{hosts: ['*.example.com'], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}", path: "spec.hosts[0]", msg: "must be FQDNs" },
    { name: "DNS_ROUND_ROBIN with two endpoints", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS_ROUND_ROBIN, endpoints: [{address: a.com}, {address: b.com}]}", path: "spec.endpoints", msg: "0 or 1 endpoint" },
    { name: "DYNAMIC_DNS without wildcard", spec: "{hosts: [a.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DYNAMIC_DNS}", path: "spec.hosts[0]", msg: "must be wildcarded" },
    { name: "DYNAMIC_DNS TCP port", spec: "{hosts: ['*.a.com'], ports: [{number: 80, name: tcp, protocol: TCP}], resolution: DYNAMIC_DNS}", path: "spec.ports[0].protocol", msg: "only HTTP, TLS, GRPC, and HTTP2" },
    { name: "two hosts with a TCP port", spec: "{hosts: [a.com, b.com], ports: [{number: 9000, name: tcp, protocol: TCP}], resolution: DNS}", path: "spec.ports[0].protocol", msg: "multiple hosts provided with non-HTTP, non-TLS port" },
    { name: "bad endpoint label", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 1.2.3.4, labels: {version: 'v 1'}}]}", path: "spec.endpoints[0].labels.version", msg: "invalid label value" },
    { name: "workloadSelector wildcard", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, workloadSelector: {labels: {app: '*'}}}", path: "spec.workloadSelector.labels.app", msg: "wildcard" },
    { name: "workloadSelector uses labels, not matchLabels", spec: "{hosts: [a.com], resolution: STATIC, workloadSelector: {matchLabels: {app: a}}}", path: "spec.workloadSelector.matchLabels", msg: "unknown field" },
    { name: "exportTo ~ with others", spec: "{hosts: [a.com], exportTo: ['~', '.'], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}", path: "spec.exportTo", msg: "no one (~) and someone" },
    { name: "unknown location", spec: "{hosts: [a.com], location: EXTERNAL}", path: "spec.location", msg: '"MESH_EXTERNAL", "MESH_INTERNAL"' },
    { name: "unknown endpoint field", spec: "{hosts: [a.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 1.2.3.4, binding: A}]}", path: "spec.endpoints[0].binding", msg: "unknown field" },
  ]);
});

describe("WorkloadEntry", () => {
  table("WorkloadEntry", [
    { name: "IP address with everything", spec: "{address: 10.1.2.3, ports: {http: 8080}, labels: {app: ratings, version: v1}, network: net1, locality: us-west/zone1/sub1, weight: 10, serviceAccount: bookinfo-ratings}" },
    { name: "service binding (Isthmus)", spec: "{address: 'binding:RATINGS', labels: {app: ratings}, serviceAccount: ratings}" },
    { name: "DNS name", spec: "{address: vm1.example.com}" },
    { name: "IPv6", spec: "{address: '::1'}" },
    { name: "unix socket", spec: "{address: 'unix:///var/run/app.sock'}" },
    { name: "abstract unix socket", spec: "{address: 'unix://@app'}" },
    { name: "network only", spec: "{network: remote-net}" },
    { name: "no address and no network", spec: "{labels: {app: a}}", path: "spec.address", msg: "address is required" },
    { name: "bad binding", spec: "{address: 'binding:has-dash'}", path: "spec.address", msg: "invalid binding address" },
    { name: "bad DNS name", spec: "{address: 'vm 1'}", path: "spec.address", msg: "not a valid FQDN or an IP address" },
    { name: "unix with ports", spec: "{address: 'unix:///a.sock', ports: {http: 80}}", path: "spec.ports", msg: "must not include ports" },
    { name: "unix directory", spec: "{address: 'unix:///var/run/'}", path: "spec.address", msg: "may not be a dir" },
    { name: "port 0", spec: "{address: 1.1.1.1, ports: {http: 0}}", path: "spec.ports.http", msg: "between 1 and 65535, got 0" },
    { name: "bad port name", spec: "{address: 1.1.1.1, ports: {'http_1': 80}}", path: "spec.ports.http_1", msg: "invalid port name" },
    { name: "negative weight", spec: "{address: 1.1.1.1, weight: -1}", path: "spec.weight", msg: "got -1" },
    { name: "bad label key", spec: "{address: 1.1.1.1, labels: {'a/b/c': x}}", path: 'spec.labels["a/b/c"]', msg: "invalid label key" },
    { name: "address too long", spec: `{address: ${"a".repeat(257)}}`, path: "spec.address", msg: "256" },
    { name: "unknown field", spec: "{address: 1.1.1.1, port: 80}", path: "spec.port", msg: "unknown field" },
  ]);
});

describe("check functions", () => {
  it("wildcardDomainError follows Istio's ValidateWildcardDomain", () => {
    for (const ok of ["a", "a.b", "*.a.com", "*", "*-foo.a.com", "*foo.a.com", "a.com.", "x123.b"]) expect(wildcardDomainError(ok), ok).toBeUndefined();
    for (const bad of ["", "a..b", "a.*.com", "-a.com", "a.123", "a b", "a_b.com", "x".repeat(256)]) expect(wildcardDomainError(bad), bad).toBeDefined();
  });
  it("hostNamesOverlap is Istio's host.Name.Matches", () => {
    expect(hostNamesOverlap("*.com", "*.foo.com")).toBe(true);
    expect(hostNamesOverlap("*.foo.com", "foo.com")).toBe(false);
    expect(hostNamesOverlap("*", "a.com")).toBe(true);
    expect(hostNamesOverlap("a.com", "b.com")).toBe(false);
  });
  it("IP and CIDR parsing", () => {
    for (const ok of ["1.2.3.4", "::1", "2001:db8::1", "::ffff:1.2.3.4", "fe80::1%eth0"]) expect(isIP(ok), ok).toBe(true);
    for (const bad of ["1.2.3", "256.1.1.1", "01.1.1.1", "1::2::3", "abc", ""]) expect(isIP(bad), bad).toBe(false);
    expect(isCIDR("10.0.0.0/8")).toBe(true);
    expect(isCIDR("2001:db8::/32")).toBe(true);
    expect(isCIDR("10.0.0.0/33")).toBe(false);
  });
  it("endpointAddressError per resolution", () => {
    expect(endpointAddressError("binding:MESH_1", "STATIC")).toBeUndefined();
    expect(endpointAddressError("binding:MESH_1", "WorkloadEntry")).toBeUndefined();
    expect(endpointAddressError("binding:MESH_1", "DNS")).toContain("STATIC");
    expect(endpointAddressError("a.example.com", "DNS")).toBeUndefined();
    expect(endpointAddressError("a.example.com", "STATIC")).toBeDefined();
    expect(endpointAddressError("unix:///x", "DNS")).toBeDefined();
  });
  it("retryOn tokens", () => {
    expect(isRetryOnPolicy("retriable-4xx")).toBe(true);
    expect(isRetryOnPolicy("503")).toBe(true);
    expect(isRetryOnPolicy("99")).toBe(false);
    expect(isRetryOnPolicy("5xx ")).toBe(false);
  });
  it("JWT claim keys", () => {
    expect(isJwtClaimKey("@request.auth.claims.sub")).toBe(true);
    expect(isJwtClaimKey("@request.auth.claims[a][b]")).toBe(true);
    expect(isJwtClaimKey("@request.auth.claims")).toBe(false);
    expect(isJwtClaimKey("@request.auth.claims[]")).toBe(false);
  });
  it("header values", () => {
    for (const ok of ["foo", "%HOSTNAME%", "100%%", "prefix %HOSTNAME% suffix", '%REQ(x-a)%', "%START_TIME(%s)%", ""]) expect(headerValueError(ok), ok).toBeUndefined();
    for (const bad of ["abc%123", "%START_TIME%%", "a\rb", "50%"]) expect(headerValueError(bad), bad).toBeDefined();
  });
  it("isPrime (Envoy's)", () => {
    expect([2, 3, 5, 7, 65537, 65535].map(isPrime)).toEqual([true, true, true, true, true, false]);
    expect(isPrime(1000)).toBe(false);
  });
});

describe("properties", () => {
  const kinds: Kind[] = ["Gateway", "VirtualService", "DestinationRule", "ServiceEntry", "WorkloadEntry"];

  it("validateDocuments never throws on arbitrary JSON specs", () => {
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.jsonValue(), (kind, spec) => {
        const doc = { raw: { apiVersion: "networking.istio.io/v1", kind, metadata: { name: "x", namespace: "default" }, spec } };
        const r = validateDocuments([doc]);
        expect(Array.isArray(r.errors)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  /** Arbitrary values shaped like each kind's spec, so the rules (not only the schema) run. */
  const word = fc.constantFrom("a", "reviews", "*", "", "a.b.com", "*.x.io", "1.2.3.4", "binding:A", "unix:///s", "ns/gw", "mesh", "%", "(", "5xx", "0s", "1ms", "x y");
  const num = fc.constantFrom(-1, 0, 1, 80, 100, 101, 599, 65536, 1.5);
  const sm = fc.record({ exact: word, prefix: word, regex: word }, { requiredKeys: [] });
  const dest = fc.record({ host: word, subset: word, port: fc.record({ number: num }) }, { requiredKeys: ["host"] });
  const route = fc.record(
    {
      match: fc.array(fc.record({ uri: sm, headers: fc.dictionary(word, sm), port: num }, { requiredKeys: [] }), { maxLength: 2 }),
      route: fc.array(fc.record({ destination: dest, weight: num }, { requiredKeys: ["destination"] }), { maxLength: 3 }),
      redirect: fc.record({ uri: word, scheme: word, port: num, redirectCode: num }, { requiredKeys: [] }),
      directResponse: fc.record({ status: num }),
      rewrite: fc.record({ uri: word, authority: word }, { requiredKeys: [] }),
      retries: fc.record({ attempts: num, retryOn: word, perTryTimeout: word }, { requiredKeys: [] }),
      fault: fc.record({ abort: fc.record({ httpStatus: num }), delay: fc.record({ fixedDelay: word }) }, { requiredKeys: [] }),
      headers: fc.record({ request: fc.record({ set: fc.dictionary(word, word) }) }),
      delegate: fc.record({ name: word }),
      mirror: dest,
    },
    { requiredKeys: [] },
  );
  const specs: Record<Kind, fc.Arbitrary<unknown>> = {
    VirtualService: fc.record({ hosts: fc.array(word, { maxLength: 3 }), gateways: fc.array(word, { maxLength: 2 }), http: fc.array(route, { maxLength: 3 }) }, { requiredKeys: [] }),
    Gateway: fc.record({ servers: fc.array(fc.record({ port: fc.record({ number: num, name: word, protocol: fc.constantFrom("HTTP", "HTTPS", "TCP", "x") }), hosts: fc.array(word), tls: fc.record({ mode: fc.constantFrom("SIMPLE", "MUTUAL", "PASSTHROUGH"), credentialName: word }, { requiredKeys: [] }) }, { requiredKeys: ["port", "hosts"] }), { maxLength: 3 }) }),
    DestinationRule: fc.record({ host: word, subsets: fc.array(fc.record({ name: word, labels: fc.dictionary(word, word) }), { maxLength: 3 }), trafficPolicy: fc.record({ loadBalancer: fc.record({ simple: fc.constantFrom("RANDOM", "ROUND_ROBIN") }), outlierDetection: fc.record({ maxEjectionPercent: num, interval: word }, { requiredKeys: [] }) }, { requiredKeys: [] }) }, { requiredKeys: ["host"] }),
    ServiceEntry: fc.record({ hosts: fc.array(word, { maxLength: 3 }), resolution: fc.constantFrom("NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"), ports: fc.array(fc.record({ number: num, name: word, protocol: fc.constantFrom("HTTP", "TCP", "TLS") }), { maxLength: 3 }), endpoints: fc.array(fc.record({ address: word, ports: fc.dictionary(word, num) }, { requiredKeys: [] }), { maxLength: 3 }) }, { requiredKeys: ["hosts"] }),
    WorkloadEntry: fc.record({ address: word, ports: fc.dictionary(word, num), network: word }, { requiredKeys: [] }),
  };

  it("never throws on spec-shaped values, and every error names a field under spec or metadata", () => {
    fc.assert(
      fc.property(fc.constantFrom(...kinds).chain((kind) => fc.tuple(fc.constant(kind), specs[kind])), ([kind, spec]) => {
        const doc = { raw: { apiVersion: "networking.istio.io/v1", kind, metadata: { name: "x", namespace: "default" }, spec } };
        const r = validateDocument(doc);
        for (const e of r.errors) {
          expect(e.path === "spec" || e.path.startsWith("spec.") || e.path.startsWith("metadata.")).toBe(true);
          expect(e.message.length).toBeGreaterThan(0);
        }
        expect(r.errors.length === 0).toBe(r.resource !== undefined);
      }),
      { numRuns: 400 },
    );
  });

  it("reports the YAML line of nested field errors", () => {
    fc.assert(
      fc.property(fc.nat({ max: 6 }), fc.nat({ max: 3 }), (padding, which) => {
        const blank = "\n".repeat(padding);
        const bad = ["weight: -5", "weight: 10\n        headers: {request: {set: {':path': /x}}}", "weight: 10\n        bogus: 1", "weight: 1.5"][which]!;
        const yaml = `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: r\n${blank}spec:\n  hosts: [reviews]\n  http:\n  - name: first\n    route:\n      - destination: {host: a}\n        ${bad}\n      - destination: {host: b}\n        weight: 10\n`;
        const loaded = loadText(yaml, { file: "vs.yaml" });
        expect(loaded.errors).toEqual([]);
        const { errors } = validateDocuments(loaded.documents);
        expect(errors.length).toBeGreaterThan(0);
        const lines = yaml.split("\n");
        for (const e of errors) {
          expect(e.path.startsWith("spec.http[0].route[0]")).toBe(true);
          expect(e.file).toBe("vs.yaml");
          // The reported line holds the offending field (or its parent when the field has no node of its own).
          const line = lines[e.line! - 1] ?? "";
          const leaf = e.path.replace(/\[[^\]]*\]$/, "").split(".").pop()!;
          const key = /\["(.*)"\]$/.exec(e.path)?.[1] ?? leaf;
          expect(line.includes(key) || line.includes("destination"), `${e.path} → line ${e.line}: ${line}`).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });
});
