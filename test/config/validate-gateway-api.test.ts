/**
 * Admission of the Gateway API kinds (gateway.networking.k8s.io): the CRDs' OpenAPI schema and CEL
 * rules, as `kubectl apply` enforces them, with the field path. Rows are YAML through loadText →
 * validateDocuments.
 */
import { describe, expect, it } from "vitest";
import { loadText } from "../../src/config/loader.js";
import { validateDocuments } from "../../src/config/validate.js";

interface Row { name: string; spec: string; path?: string; msg?: string; apiVersion?: string }

function check(kind: string, row: Row): void {
  const text = `apiVersion: ${row.apiVersion ?? "gateway.networking.k8s.io/v1"}\nkind: ${kind}\nmetadata: {name: res, namespace: default}\nspec: ${row.spec}\n`;
  const loaded = loadText(text, { file: "gw.yaml" });
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
  expect(resources).toHaveLength(0);
}

const table = (kind: string, rows: Row[]) => {
  for (const row of rows) it(`${row.path ? "rejects" : "accepts"}: ${row.name}`, () => check(kind, row));
};

const l = (extra = "") => `{gatewayClassName: isthmus, listeners: [{name: http, port: 80, protocol: HTTP${extra}}]}`;
const rule = (r: string) => `{parentRefs: [{name: gw}], rules: [{${r}}]}`;
const svc = "backendRefs: [{name: reviews, port: 9080}]";

describe("GatewayClass", () => {
  table("GatewayClass", [
    { name: "isthmus controller", spec: "{controllerName: isthmus.dev/gateway-controller}" },
    { name: "istio controller", spec: "{controllerName: istio.io/gateway-controller}" },
    { name: "controller without domain", spec: "{controllerName: controller}", path: "spec.controllerName", msg: "domain-prefixed path" },
    { name: "controllerName missing", spec: "{}", path: "spec.controllerName", msg: "required" },
    { name: "unknown field", spec: "{controllerName: a.b/c, foo: 1}", path: "spec.foo", msg: "unknown field" },
  ]);
});

describe("Gateway (gateway.networking.k8s.io)", () => {
  it("is stored as KubernetesGateway, apart from Istio's Gateway of the same name", () => {
    const text = [
      "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]}",
      `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec: ${l()}`,
    ].join("\n---\n");
    const { errors, resources } = validateDocuments(loadText(text).documents);
    expect(errors).toEqual([]);
    expect(resources.map((r) => r.kind)).toEqual(["Gateway", "KubernetesGateway"]);
  });
  table("Gateway", [
    { name: "one HTTP listener", spec: l() },
    { name: "wildcard hostname", spec: l(", hostname: '*.example.com'") },
    { name: "HTTPS with certificateRefs", spec: "{gatewayClassName: c, listeners: [{name: https, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: cert}]}}]}" },
    { name: "no listeners", spec: "{gatewayClassName: c, listeners: []}", path: "spec.listeners", msg: "at least one listener" },
    { name: "port 0", spec: "{gatewayClassName: c, listeners: [{name: a, port: 0, protocol: HTTP}]}", path: "spec.listeners[0].port" },
    { name: "hostname with a port", spec: l(", hostname: 'a.com:80'"), path: "spec.listeners[0].hostname", msg: "invalid hostname" },
    { name: "hostname as IP-like wildcard in the middle", spec: l(", hostname: 'a.*.com'"), path: "spec.listeners[0].hostname" },
    { name: "tls on HTTP", spec: l(", tls: {certificateRefs: [{name: c}]}"), path: "spec.listeners[0].tls", msg: "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']" },
    { name: "HTTPS without tls", spec: "{gatewayClassName: c, listeners: [{name: a, port: 443, protocol: HTTPS}]}", path: "spec.listeners[0].tls", msg: "tls mode must be set" },
    { name: "Terminate without certificateRefs", spec: "{gatewayClassName: c, listeners: [{name: a, port: 443, protocol: HTTPS, tls: {mode: Terminate}}]}", path: "spec.listeners[0].tls.certificateRefs", msg: "certificateRefs or options" },
    { name: "hostname on TCP", spec: "{gatewayClassName: c, listeners: [{name: a, port: 9000, protocol: TCP, hostname: a.com}]}", path: "spec.listeners[0].hostname", msg: "must not be specified for protocols ['TCP', 'UDP']" },
    { name: "repeated listener name", spec: "{gatewayClassName: c, listeners: [{name: a, port: 80, protocol: HTTP}, {name: a, port: 81, protocol: HTTP}]}", path: "spec.listeners[1].name", msg: "must be unique" },
    { name: "same port, protocol and hostname", spec: "{gatewayClassName: c, listeners: [{name: a, port: 80, protocol: HTTP}, {name: b, port: 80, protocol: HTTP}]}", path: "spec.listeners[1]", msg: "Combination of port, protocol and hostname" },
    { name: "allowedRoutes from Bogus", spec: l(", allowedRoutes: {namespaces: {from: Bogus}}"), path: "spec.listeners[0].allowedRoutes.namespaces.from" },
    { name: "IPAddress address that is no IP", spec: "{gatewayClassName: c, listeners: [{name: a, port: 80, protocol: HTTP}], addresses: [{value: nope}]}", path: "spec.addresses[0].value", msg: "IP address" },
    { name: "v1beta1 served", spec: l(), apiVersion: "gateway.networking.k8s.io/v1beta1" },
    { name: "v1alpha1 not served", spec: l(), apiVersion: "gateway.networking.k8s.io/v1alpha1", path: "apiVersion", msg: "not served" },
  ]);
});

describe("HTTPRoute", () => {
  table("HTTPRoute", [
    { name: "a route to a Service", spec: rule(svc) },
    { name: "Exact, PathPrefix and RegularExpression", spec: rule(`matches: [{path: {type: Exact, value: /a}}, {path: {value: /b}}, {path: {type: RegularExpression, value: '/c/[0-9]+'}}], ${svc}`) },
    { name: "relative path", spec: rule("matches: [{path: {type: PathPrefix, value: foo}}]"), path: "spec.rules[0].matches[0].path", msg: "must be an absolute path" },
    { name: "path with //", spec: rule("matches: [{path: {type: Exact, value: /a//b}}]"), path: "spec.rules[0].matches[0].path", msg: "must not contain '//'" },
    { name: "path with %2F", spec: rule("matches: [{path: {value: /a%2Fb}}]"), path: "spec.rules[0].matches[0].path", msg: "'%2f'" },
    { name: "path ending /..", spec: rule("matches: [{path: {value: /a/..}}]"), path: "spec.rules[0].matches[0].path", msg: "must not end with '/..'" },
    { name: "non-RE2 regex", spec: rule("matches: [{path: {type: RegularExpression, value: '(?=a)'}}]"), path: "spec.rules[0].matches[0].path" },
    { name: "bad method", spec: rule("matches: [{method: FETCH}]"), path: "spec.rules[0].matches[0].method" },
    { name: "duplicate header match", spec: rule("matches: [{headers: [{name: A, value: x}, {name: a, value: y}]}]"), path: "spec.rules[0].matches[0].headers[1].name", msg: "unique" },
    { name: "Service backend without port", spec: rule("backendRefs: [{name: reviews}]"), path: "spec.rules[0].backendRefs[0]", msg: "Must have port for Service reference" },
    { name: "weight above 1000000", spec: rule("backendRefs: [{name: r, port: 80, weight: 1000001}]"), path: "spec.rules[0].backendRefs[0].weight" },
    { name: "filter field of another type", spec: rule("filters: [{type: RequestHeaderModifier, responseHeaderModifier: {set: [{name: a, value: b}]}}]"), path: "spec.rules[0].filters[0].responseHeaderModifier", msg: "must be nil if the filter.type is not ResponseHeaderModifier" },
    { name: "filter without its field", spec: rule("filters: [{type: RequestRedirect}]"), path: "spec.rules[0].filters[0].requestRedirect", msg: "must be specified" },
    { name: "repeated RequestHeaderModifier", spec: rule("filters: [{type: RequestHeaderModifier, requestHeaderModifier: {}}, {type: RequestHeaderModifier, requestHeaderModifier: {}}]"), path: "spec.rules[0].filters", msg: "RequestHeaderModifier filter cannot be repeated" },
    { name: "redirect and rewrite together", spec: rule("filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}, {type: URLRewrite, urlRewrite: {hostname: a.com}}]"), path: "spec.rules[0].filters", msg: "but not both" },
    { name: "ReplacePrefixMatch without one PathPrefix match", spec: rule("matches: [{path: {type: Exact, value: /a}}], filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}]"), path: "spec.rules[0].filters[0].urlRewrite.path", msg: "exactly one PathPrefix match" },
    { name: "ReplaceFullPath without its value", spec: rule("filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath}}}]"), path: "spec.rules[0].filters[0].urlRewrite.path", msg: "replaceFullPath must be specified" },
    { name: "redirect status 304", spec: rule("filters: [{type: RequestRedirect, requestRedirect: {statusCode: 304}}]"), path: "spec.rules[0].filters[0].requestRedirect.statusCode" },
    { name: "redirect scheme ftp", spec: rule("filters: [{type: RequestRedirect, requestRedirect: {scheme: ftp}}]"), path: "spec.rules[0].filters[0].requestRedirect.scheme" },
    { name: "mirror percent and fraction", spec: rule(`filters: [{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 80}, percent: 5, fraction: {numerator: 1}}}], ${svc}`), path: "spec.rules[0].filters[0].requestMirror", msg: "Only one of percent or fraction" },
    { name: "mirror fraction above one", spec: rule("filters: [{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 80}, fraction: {numerator: 3, denominator: 2}}}]"), path: "spec.rules[0].filters[0].requestMirror.fraction", msg: "numerator must be less than or equal to denominator" },
    { name: "timeouts", spec: rule(`timeouts: {request: 10s, backendRequest: 500ms}, ${svc}`) },
    { name: "backendRequest longer than request", spec: rule("timeouts: {request: 1s, backendRequest: 2s}"), path: "spec.rules[0].timeouts", msg: "backendRequest timeout cannot be longer" },
    { name: "timeout in Go syntax", spec: rule("timeouts: {request: 1.5s}"), path: "spec.rules[0].timeouts.request", msg: "invalid duration" },
    { name: "retry codes outside 400–599", spec: rule("retry: {codes: [200]}"), path: "spec.rules[0].retry.codes[0]" },
    { name: "wildcard hostname", spec: "{hostnames: ['*.example.com'], rules: []}" },
    { name: "IP hostname is no Hostname (pattern)", spec: "{hostnames: ['a_b.com']}", path: "spec.hostnames[0]", msg: "invalid hostname" },
    { name: "17 rules", spec: `{rules: [${Array(17).fill("{}").join(", ")}]}`, path: "spec.rules", msg: "at most 16" },
  ]);
});

describe("ReferenceGrant", () => {
  table("ReferenceGrant", [
    { name: "v1beta1", apiVersion: "gateway.networking.k8s.io/v1beta1", spec: "{from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: a}], to: [{group: '', kind: Service}]}" },
    { name: "v1", spec: "{from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: a}], to: [{group: '', kind: Service, name: s}]}" },
    { name: "empty from", spec: "{from: [], to: [{group: '', kind: Service}]}", path: "spec.from", msg: "at least one" },
    { name: "from without namespace", spec: "{from: [{group: '', kind: HTTPRoute}], to: [{group: '', kind: Service}]}", path: "spec.from[0].namespace", msg: "required" },
  ]);
});
