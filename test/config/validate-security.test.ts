/**
 * Admission of PeerAuthentication, RequestAuthentication and AuthorizationPolicy: CRD schema and
 * Istio's webhook rules. Each table row is YAML text through loadText → validateDocuments, asserting
 * either no error or an error at a full field path whose message contains a substring.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadText } from "../../src/config/loader.js";
import { validateDocument, validateDocuments } from "../../src/config/validate.js";
import { conditionKeyError, pathTemplateError } from "../../src/config/schemas/authorization-policy.js";
import { parseIpBlock } from "../../src/config/schemas/ip-block.js";
import { jwksError } from "../../src/config/schemas/request-authentication.js";

type Kind = "PeerAuthentication" | "RequestAuthentication" | "AuthorizationPolicy";

interface Row {
  name: string;
  /** The spec: flow YAML on one line (`{...}`) or a block to indent under `spec:`. */
  spec: string;
  /** Expected error path; absent = the resource is valid. */
  path?: string;
  msg?: string;
  annotations?: Record<string, string>;
  apiVersion?: string;
  namespace?: string;
}

function yamlFor(kind: Kind, row: Row): string {
  const ann = row.annotations
    ? `  annotations:\n${Object.entries(row.annotations).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join("\n")}\n`
    : "";
  const spec = row.spec.trimStart().startsWith("{") ? ` ${row.spec.trim()}` : `\n${row.spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;
  return `apiVersion: ${row.apiVersion ?? "security.istio.io/v1"}\nkind: ${kind}\nmetadata:\n  name: policy\n  namespace: ${row.namespace ?? "foo"}\n${ann}spec:${spec}\n`;
}

function check(kind: Kind, row: Row): void {
  const loaded = loadText(yamlFor(kind, row), { file: "policy.yaml" });
  expect(loaded.errors).toEqual([]);
  const { errors } = validateDocuments(loaded.documents);
  const shown = errors.map((e) => `${e.path}: ${e.message}`);
  if (row.path === undefined) {
    expect(shown).toEqual([]);
    return;
  }
  const hit = errors.find((e) => e.path === row.path && e.message.includes(row.msg ?? ""));
  expect(hit, `expected ${row.path} ~ ${JSON.stringify(row.msg)} among ${JSON.stringify(shown)}`).toBeDefined();
  expect(hit!.kind).toBe(kind);
  expect(hit!.name).toBe("policy");
}

function table(kind: Kind, rows: Row[]): void {
  for (const row of rows) it(`${row.path ? "rejects" : "accepts"}: ${row.name}`, () => check(kind, row));
}

describe("PeerAuthentication", () => {
  describe("mtls and portLevelMtls", () => {
    table("PeerAuthentication", [
      { name: "empty spec (namespace-wide, inherit)", spec: "{}" },
      { name: "all fields", spec: "{selector: {matchLabels: {app: a}}, mtls: {mode: PERMISSIVE}, portLevelMtls: {'8080': {mode: STRICT}, '9090': {mode: DISABLE}}}" },
      { name: "UNSET mode", spec: "{mtls: {mode: UNSET}}" },
      { name: "served at v1beta1", spec: "{mtls: {mode: STRICT}}", apiVersion: "security.istio.io/v1beta1" },
      { name: "empty selector is weird but valid", spec: "{selector: {}}" },
      { name: "selector in the root namespace is accepted (pilot ignores it)", spec: "{selector: {matchLabels: {app: a}}, mtls: {mode: STRICT}}", namespace: "istio-system" },
      { name: "unknown mode", spec: "{mtls: {mode: BLAH}}", path: "spec.mtls.mode", msg: 'must be one of "UNSET", "DISABLE", "PERMISSIVE", "STRICT"' },
      { name: "unknown field", spec: "{mtls: {mode: STRICT, strict: true}}", path: "spec.mtls.strict", msg: "unknown field" },
      { name: "portLevelMtls without selector", spec: "{portLevelMtls: {'80': {mode: STRICT}}}", path: "spec.portLevelMtls", msg: "requires a selector" },
      { name: "portLevelMtls with an empty selector", spec: "{selector: {}, portLevelMtls: {'80': {mode: STRICT}}}", path: "spec.portLevelMtls", msg: "cannot have port level mTLS" },
      { name: "empty portLevelMtls", spec: "{selector: {matchLabels: {a: b}}, portLevelMtls: {}}", path: "spec.portLevelMtls", msg: "at least one element" },
      { name: "port 0", spec: "{selector: {matchLabels: {a: b}}, portLevelMtls: {'0': {mode: STRICT}}}", path: 'spec.portLevelMtls["0"]', msg: 'port must be between 1-65535, got "0"' },
      { name: "port too high", spec: "{selector: {matchLabels: {a: b}}, portLevelMtls: {'42949672': {mode: STRICT}}}", path: 'spec.portLevelMtls["42949672"]', msg: "1-65535" },
      { name: "port not a number", spec: "{selector: {matchLabels: {a: b}}, portLevelMtls: {acd: {mode: STRICT}}}", path: "spec.portLevelMtls.acd", msg: '"acd"' },
      { name: "targetRefs is not a PeerAuthentication field", spec: "{targetRefs: [{kind: Service, name: a}]}", path: "spec.targetRefs", msg: "unknown field" },
    ]);
  });

  describe("selector", () => {
    table("PeerAuthentication", [
      { name: "wildcard label value", spec: "{selector: {matchLabels: {app: 'a*'}}}", path: "spec.selector.matchLabels.app", msg: "wildcard is not supported" },
      { name: "wildcard label key", spec: "{selector: {matchLabels: {'a*': b}}}", path: 'spec.selector.matchLabels["a*"]', msg: "wildcard" },
      { name: "empty label key", spec: "{selector: {matchLabels: {'': b}}}", path: 'spec.selector.matchLabels[""]', msg: "empty key" },
      { name: "label value longer than 63", spec: `{selector: {matchLabels: {app: ${"x".repeat(64)}}}}`, path: "spec.selector.matchLabels.app", msg: "63" },
    ]);
  });

  describe("dry-run annotation", () => {
    table("PeerAuthentication", [
      { name: "not supported on PeerAuthentication", spec: "{}", annotations: { "istio.io/dry-run": "true" }, path: 'metadata.annotations["istio.io/dry-run"]', msg: "unsupported annotation" },
    ]);
  });
});

describe("RequestAuthentication", () => {
  describe("targeting", () => {
    table("RequestAuthentication", [
      { name: "selector", spec: "{selector: {matchLabels: {istio: ingressgateway}}}" },
      { name: "targetRefs to a Gateway", spec: "{targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]}" },
      { name: "targetRefs to a core Service", spec: "{targetRefs: [{group: '', kind: Service, name: foo}]}" },
      { name: "targetRef (singular, hidden) to a ServiceEntry", spec: "{targetRef: {group: networking.istio.io, kind: ServiceEntry, name: se}}" },
      { name: "GatewayClass", spec: "{targetRefs: [{group: gateway.networking.k8s.io, kind: GatewayClass, name: istio}]}" },
      { name: "selector and targetRef", spec: "{selector: {matchLabels: {a: b}}, targetRef: {kind: Service, name: foo}}", path: "spec.targetRef", msg: "only one of targetRefs or selector" },
      { name: "targetRef and targetRefs", spec: "{targetRef: {kind: Service, name: foo}, targetRefs: [{kind: Service, name: foo}]}", path: "spec.targetRefs", msg: "only one of" },
      { name: "targetRef without name", spec: "{targetRef: {group: '', kind: Service}}", path: "spec.targetRef.name", msg: "required" },
      { name: "targetRef with empty name", spec: "{targetRef: {kind: Service, name: ''}}", path: "spec.targetRef.name", msg: "name must be set" },
      { name: "cross-namespace targetRef", spec: "{targetRef: {kind: Service, name: foo, namespace: bar}}", path: "spec.targetRef.namespace", msg: "cross namespace" },
      { name: "unsupported target kind", spec: "{targetRefs: [{group: apps, kind: Deployment, name: foo}]}", path: "spec.targetRefs[0]", msg: "apps/Deployment" },
      { name: "Gateway in the core group", spec: "{targetRefs: [{kind: Gateway, name: gw}]}", path: "spec.targetRefs[0]", msg: "targetRef must be to one of" },
      { name: "malformed kind", spec: "{targetRef: {group: '', kind: Serv_ice, name: foo}}", path: "spec.targetRef.kind", msg: '"Serv_ice"' },
      { name: "more than 16 targetRefs", spec: `{targetRefs: [${Array.from({ length: 17 }, (_, i) => `{kind: Service, name: s${i}}`).join(", ")}]}`, path: "spec.targetRefs", msg: "at most 16" },
    ]);
  });

  describe("jwtRules", () => {
    table("RequestAuthentication", [
      {
        name: "every field",
        spec: `
jwtRules:
- issuer: example.com
  audiences: [bookstore_web.apps.example.com]
  jwksUri: https://example.com/.well-known/jwks.json
  fromHeaders: [{name: x-jwt-assertion, prefix: "Bearer "}]
  fromParams: [my_token]
  fromCookies: [session]
  outputPayloadToHeader: x-jwt-payload
  forwardOriginalToken: true
  outputClaimToHeaders: [{header: x-sub, claim: sub}, {header: x-nested, claim: a.b.c}]
  timeout: 5s
  spaceDelimitedClaims: [custom_scope, roles]`,
      },
      { name: "inline jwks set", spec: `{jwtRules: [{issuer: a, jwks: '{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}'}]}` },
      { name: "jwks_uri alias of the CRD", spec: "{jwtRules: [{issuer: a, jwks_uri: 'http://jwks.local/keys'}]}" },
      { name: "jwksUri without issuer", spec: "{jwtRules: [{jwksUri: 'https://example.com/jwks'}]}" },
      { name: "no issuer and no jwksUri", spec: "{jwtRules: [{audiences: [a]}]}", path: "spec.jwtRules[0].issuer", msg: "issuer or jwksUri" },
      { name: "empty issuer", spec: "{jwtRules: [{issuer: ''}]}", path: "spec.jwtRules[0].issuer", msg: "issuer must not be empty" },
      { name: "null rule", spec: "{jwtRules: [null]}", path: "spec.jwtRules[0]", msg: "expected object" },
      { name: "empty audience", spec: "{jwtRules: [{issuer: a, audiences: ['']}]}", path: "spec.jwtRules[0].audiences[0]", msg: "audience must not be empty" },
      { name: "jwksUri with another scheme", spec: "{jwtRules: [{issuer: a, jwksUri: 'ftp://example.com/jwks'}]}", path: "spec.jwtRules[0].jwksUri", msg: '"ftp"' },
      { name: "jwksUri not a URL", spec: String.raw`{jwtRules: [{issuer: a, jwksUri: 'hTPp\blah'}]}`, path: "spec.jwtRules[0].jwksUri", msg: "url must have scheme http:// or https://" },
      { name: "empty jwksUri", spec: "{jwtRules: [{issuer: a, jwksUri: ''}]}", path: "spec.jwtRules[0].jwksUri", msg: "must not be empty" },
      { name: "jwksUri longer than 2048", spec: `{jwtRules: [{issuer: a, jwksUri: 'https://e.com/${"a".repeat(2048)}'}]}`, path: "spec.jwtRules[0].jwksUri", msg: "2048" },
      { name: "jwks and jwksUri", spec: `{jwtRules: [{issuer: a, jwksUri: 'https://e.com/k', jwks: '{"keys":[]}'}]}`, path: "spec.jwtRules[0].jwks", msg: "only one of jwks or jwksUri" },
      { name: "jwksUri and jwks_uri", spec: "{jwtRules: [{issuer: a, jwksUri: 'https://e.com/k', jwks_uri: 'https://e.com/k'}]}", path: "spec.jwtRules[0].jwks_uri", msg: "only one of" },
      { name: "jwks not JSON", spec: "{jwtRules: [{issuer: a, jwks: 'not json'}]}", path: "spec.jwtRules[0].jwks", msg: "jwks parse error" },
      { name: "jwks key without kty", spec: `{jwtRules: [{issuer: a, jwks: '{"keys":[{"n":"x"}]}'}]}`, path: "spec.jwtRules[0].jwks", msg: "keys[0]" },
      { name: "fromHeaders without name", spec: "{jwtRules: [{issuer: a, fromHeaders: [{prefix: baz}]}]}", path: "spec.jwtRules[0].fromHeaders[0].name", msg: "required" },
      { name: "fromHeaders with empty name", spec: "{jwtRules: [{issuer: a, fromHeaders: [{name: ''}]}]}", path: "spec.jwtRules[0].fromHeaders[0].name", msg: "header name must not be empty" },
      { name: "fromHeaders as plain strings", spec: "{jwtRules: [{issuer: a, fromHeaders: [x-token]}]}", path: "spec.jwtRules[0].fromHeaders[0]", msg: "expected object" },
      { name: "empty fromParams entry", spec: "{jwtRules: [{issuer: a, fromParams: ['']}]}", path: "spec.jwtRules[0].fromParams[0]", msg: "must not be empty" },
      { name: "empty fromCookies entry", spec: "{jwtRules: [{issuer: a, fromCookies: ['']}]}", path: "spec.jwtRules[0].fromCookies[0]", msg: "cookie name" },
      { name: "claim header with a dot", spec: "{jwtRules: [{issuer: a, outputClaimToHeaders: [{header: x.sub, claim: sub}]}]}", path: "spec.jwtRules[0].outputClaimToHeaders[0].header", msg: '"x.sub"' },
      { name: "claim header missing claim", spec: "{jwtRules: [{issuer: a, outputClaimToHeaders: [{header: x-sub}]}]}", path: "spec.jwtRules[0].outputClaimToHeaders[0].claim", msg: "required" },
      { name: "empty claim", spec: "{jwtRules: [{issuer: a, outputClaimToHeaders: [{header: x-sub, claim: ''}]}]}", path: "spec.jwtRules[0].outputClaimToHeaders[0].claim", msg: "claim must not be empty" },
      { name: "duplicate claim header", spec: "{jwtRules: [{issuer: a, outputClaimToHeaders: [{header: X-Sub, claim: sub}, {header: x-sub, claim: iss}]}]}", path: "spec.jwtRules[0].outputClaimToHeaders[1].header", msg: "unique" },
      { name: "timeout zero", spec: "{jwtRules: [{issuer: a, timeout: 0s}]}", path: "spec.jwtRules[0].timeout", msg: "greater than 1ms" },
      { name: "timeout below ms precision", spec: "{jwtRules: [{issuer: a, timeout: 1500us}]}", path: "spec.jwtRules[0].timeout", msg: "ms precision" },
      { name: "timeout not a duration", spec: "{jwtRules: [{issuer: a, timeout: soon}]}", path: "spec.jwtRules[0].timeout", msg: '"soon"' },
      { name: "more than 64 spaceDelimitedClaims", spec: `{jwtRules: [{issuer: a, spaceDelimitedClaims: [${Array.from({ length: 65 }, (_, i) => `c${i}`).join(", ")}]}]}`, path: "spec.jwtRules[0].spaceDelimitedClaims", msg: "at most 64" },
      { name: "unknown jwtRule field", spec: "{jwtRules: [{issuer: a, presence: REQUIRED}]}", path: "spec.jwtRules[0].presence", msg: "unknown field" },
      { name: "forwardOriginalToken not a bool", spec: "{jwtRules: [{issuer: a, forwardOriginalToken: 'yes'}]}", path: "spec.jwtRules[0].forwardOriginalToken", msg: "expected boolean" },
      { name: "dry-run annotation", spec: "{}", annotations: { "istio.io/dry-run": "true" }, path: 'metadata.annotations["istio.io/dry-run"]', msg: "unsupported annotation" },
    ]);
  });
});

describe("AuthorizationPolicy", () => {
  describe("action and provider", () => {
    table("AuthorizationPolicy", [
      { name: "allow-nothing (empty spec)", spec: "{}" },
      { name: "allow-all (one empty rule)", spec: "{rules: [{}]}" },
      { name: "DENY everything", spec: "{action: DENY, rules: [{}]}" },
      { name: "AUDIT", spec: "{action: AUDIT, rules: [{to: [{operation: {paths: ['/admin*']}}]}]}" },
      { name: "CUSTOM with provider", spec: "{action: CUSTOM, provider: {name: my-ext-authz}, rules: [{to: [{operation: {paths: ['/admin/*']}}]}]}" },
      { name: "unknown action", spec: "{action: PERMIT}", path: "spec.action", msg: 'must be one of "ALLOW", "DENY", "AUDIT", "CUSTOM"' },
      { name: "DENY without rules", spec: "{action: DENY}", path: "spec.rules", msg: "DENY action without `rules`" },
      { name: "DENY with an empty rules list", spec: "{action: DENY, rules: []}", path: "spec.rules", msg: "meaningless" },
      { name: "CUSTOM without rules", spec: "{action: CUSTOM, provider: {name: p}}", path: "spec.rules", msg: "CUSTOM action without `rules`" },
      { name: "CUSTOM without provider", spec: "{action: CUSTOM, rules: [{}]}", path: "spec.provider.name", msg: "must not be empty" },
      { name: "CUSTOM with an empty provider name", spec: "{action: CUSTOM, provider: {name: ''}, rules: [{}]}", path: "spec.provider.name", msg: "must not be empty" },
      { name: "provider with ALLOW", spec: "{provider: {name: p}, rules: [{}]}", path: "spec.provider", msg: "non CUSTOM action, found ALLOW" },
      { name: "provider with DENY", spec: "{action: DENY, provider: {name: p}, rules: [{}]}", path: "spec.provider", msg: "found DENY" },
      { name: "CUSTOM with principals", spec: "{action: CUSTOM, provider: {name: p}, rules: [{from: [{source: {principals: [a]}}]}]}", path: "spec.rules[0].from[0].source.principals", msg: "not supported with CUSTOM" },
      { name: "CUSTOM with requestPrincipals", spec: "{action: CUSTOM, provider: {name: p}, rules: [{from: [{source: {requestPrincipals: ['*']}}]}]}", path: "spec.rules[0].from[0].source.requestPrincipals", msg: "not supported with CUSTOM" },
      { name: "CUSTOM with ipBlocks is fine", spec: "{action: CUSTOM, provider: {name: p}, rules: [{from: [{source: {ipBlocks: ['10.0.0.0/8']}}]}]}" },
      { name: "CUSTOM with a request.auth condition", spec: "{action: CUSTOM, provider: {name: p}, rules: [{when: [{key: 'request.auth.claims[iss]', values: [a]}]}]}", path: "spec.rules[0].when[0].key", msg: "not supported with CUSTOM" },
      { name: "CUSTOM with source.principal condition", spec: "{action: CUSTOM, provider: {name: p}, rules: [{when: [{key: source.principal, values: [a]}]}]}", path: "spec.rules[0].when[0].key", msg: "source.principal is currently not supported" },
      { name: "targetRefs and selector", spec: "{selector: {matchLabels: {a: b}}, targetRefs: [{kind: Service, name: s}]}", path: "spec.targetRefs", msg: "only one of" },
    ]);
  });

  describe("dry-run annotation", () => {
    table("AuthorizationPolicy", [
      { name: "true on ALLOW", spec: "{rules: [{}]}", annotations: { "istio.io/dry-run": "true" } },
      { name: "false on DENY", spec: "{action: DENY, rules: [{}]}", annotations: { "istio.io/dry-run": "false" } },
      { name: "Go ParseBool forms", spec: "{rules: [{}]}", annotations: { "istio.io/dry-run": "True" } },
      { name: "not a bool", spec: "{rules: [{}]}", annotations: { "istio.io/dry-run": "yes" }, path: 'metadata.annotations["istio.io/dry-run"]', msg: 'invalid value "yes"' },
      { name: "on CUSTOM", spec: "{action: CUSTOM, provider: {name: p}, rules: [{}]}", annotations: { "istio.io/dry-run": "true" }, path: 'metadata.annotations["istio.io/dry-run"]', msg: "only supports action ALLOW/DENY, found action CUSTOM" },
      { name: "on AUDIT", spec: "{action: AUDIT, rules: [{}]}", annotations: { "istio.io/dry-run": "true" }, path: 'metadata.annotations["istio.io/dry-run"]', msg: "AUDIT" },
    ]);
  });

  describe("rules[].from[].source", () => {
    const src = (s: string) => `{rules: [{from: [{source: ${s}}]}]}`;
    table("AuthorizationPolicy", [
      {
        name: "every source field",
        spec: src(`{principals: ['cluster.local/ns/a/sa/b', 'p-*', '*'], notPrincipals: [x], requestPrincipals: ['https://iss/sub', '*'], notRequestPrincipals: ['*'],
          ipBlocks: ['1.2.3.4', '5.6.0.0/16', '2001:db8::/32', '::1'], notIpBlocks: ['9.0.0.1'], remoteIpBlocks: ['203.0.113.0/24', 'fe80::1%eth0'], notRemoteIpBlocks: ['0.0.0.0/0'],
          trustDomains: [cluster.local, 'cluster-*', '*-suffix', '*'], notTrustDomains: [other]}`),
      },
      { name: "namespaces", spec: src("{namespaces: [ns, 'ns-*'], notNamespaces: [kube-system]}") },
      { name: "serviceAccounts in both forms", spec: src("{serviceAccounts: ['baz/sa', 'sa'], notServiceAccounts: ['a/b']}") },
      { name: "serviceAccounts split from principals across sources", spec: "{rules: [{from: [{source: {serviceAccounts: [a/b]}}, {source: {principals: [bar]}}]}]}" },
      { name: "serviceAccounts with namespaces", spec: src("{serviceAccounts: ['bar/sa'], namespaces: [bar]}"), path: "spec.rules[0].from[0].source.serviceAccounts", msg: "cannot set serviceAccounts with namespaces or principals" },
      { name: "notServiceAccounts with principals", spec: src("{notServiceAccounts: ['bar/sa'], principals: [bar]}"), path: "spec.rules[0].from[0].source.notServiceAccounts", msg: "cannot set serviceAccounts" },
      { name: "serviceAccount with wildcard", spec: src("{serviceAccounts: ['ns/*']}"), path: "spec.rules[0].from[0].source.serviceAccounts[0]", msg: "wildcard not allowed" },
      { name: "serviceAccount with two slashes", spec: src("{serviceAccounts: ['a/b/c']}"), path: "spec.rules[0].from[0].source.serviceAccounts[0]", msg: '"a/b/c"' },
      { name: "serviceAccount with empty namespace", spec: src("{serviceAccounts: ['/sa']}"), path: "spec.rules[0].from[0].source.serviceAccounts[0]", msg: "namespace/serviceAccount" },
      { name: "more than 16 serviceAccounts", spec: src(`{serviceAccounts: [${Array.from({ length: 17 }, (_, i) => `sa${i}`).join(", ")}]}`), path: "spec.rules[0].from[0].source.serviceAccounts", msg: "more than 16" },
      { name: "serviceAccount longer than 320", spec: src(`{serviceAccounts: ['ns/${"s".repeat(320)}']}`), path: "spec.rules[0].from[0].source.serviceAccounts[0]", msg: "320" },
      { name: "bad IP", spec: src("{ipBlocks: ['1.2.3']}"), path: "spec.rules[0].from[0].source.ipBlocks[0]", msg: 'bad IP address "1.2.3"' },
      { name: "octet with leading zero", spec: src("{ipBlocks: ['10.0.0.01']}"), path: "spec.rules[0].from[0].source.ipBlocks[0]", msg: "bad IP address" },
      { name: "bad CIDR prefix length", spec: src("{remoteIpBlocks: ['10.0.0.0/33']}"), path: "spec.rules[0].from[0].source.remoteIpBlocks[0]", msg: 'bad CIDR range "10.0.0.0/33"' },
      { name: "bad IPv6", spec: src("{notRemoteIpBlocks: ['2001:db8:::1']}"), path: "spec.rules[0].from[0].source.notRemoteIpBlocks[0]", msg: "bad IP address" },
      { name: "hostname in ipBlocks", spec: src("{notIpBlocks: ['example.com']}"), path: "spec.rules[0].from[0].source.notIpBlocks[0]", msg: '"example.com"' },
      { name: "empty principal", spec: src("{principals: ['']}"), path: "spec.rules[0].from[0].source.principals[0]", msg: "empty value not allowed in principals" },
      { name: "empty notRequestPrincipals value", spec: src("{notRequestPrincipals: ['']}"), path: "spec.rules[0].from[0].source.notRequestPrincipals[0]", msg: "empty value" },
      { name: "trust domain with a slash", spec: src("{trustDomains: ['a/b']}"), path: "spec.rules[0].from[0].source.trustDomains[0]", msg: "must not contain '/'" },
      { name: "trust domain with an inner wildcard", spec: src("{notTrustDomains: ['a*b']}"), path: "spec.rules[0].from[0].source.notTrustDomains[0]", msg: "only allowed at the start or end" },
      { name: "trust domain with two wildcards", spec: src("{trustDomains: ['*a*']}"), path: "spec.rules[0].from[0].source.trustDomains[0]", msg: "at most one wildcard" },
      { name: "empty source", spec: src("{}"), path: "spec.rules[0].from[0].source", msg: "`from.source` must not be empty" },
      { name: "source with only empty lists", spec: src("{principals: []}"), path: "spec.rules[0].from[0].source", msg: "must not be empty" },
      { name: "from entry without source", spec: "{rules: [{from: [{}]}]}", path: "spec.rules[0].from[0].source", msg: "must not be nil" },
      { name: "empty from list", spec: "{rules: [{from: []}]}", path: "spec.rules[0].from", msg: "`from` must not be empty" },
      { name: "unknown source field", spec: src("{principal: [a]}"), path: "spec.rules[0].from[0].source.principal", msg: "unknown field" },
      { name: "source list of a string", spec: src("{principals: a}"), path: "spec.rules[0].from[0].source.principals", msg: "expected array" },
    ]);
  });

  describe("rules[].to[].operation", () => {
    const op = (s: string) => `{rules: [{to: [{operation: ${s}}]}]}`;
    table("AuthorizationPolicy", [
      {
        name: "every operation field",
        spec: op(`{hosts: [exact.com, '*.suffix.com', 'prefix.*', '*'], notHosts: ['a.com:*'], ports: ['80', '0', '65535'], notPorts: ['8000'],
          methods: [GET, 'P*'], notMethods: [DELETE], paths: ['/exact', '/prefix/*', '*/suffix', '*', '/path/template/{*}', '/{**}/path/template', '/a/{*}/b/{**}'], notPaths: ['/admin*']}`),
      },
      { name: "empty operation", spec: op("{}"), path: "spec.rules[0].to[0].operation", msg: "`to.operation` must not be empty" },
      { name: "to entry without operation", spec: "{rules: [{to: [{}]}]}", path: "spec.rules[0].to[0].operation", msg: "must not be nil" },
      { name: "empty to list", spec: "{rules: [{to: []}]}", path: "spec.rules[0].to", msg: "`to` must not be empty" },
      { name: "port not a number", spec: op("{ports: [http]}"), path: "spec.rules[0].to[0].operation.ports[0]", msg: 'bad port "http"' },
      { name: "port too high", spec: op("{notPorts: ['65536']}"), path: "spec.rules[0].to[0].operation.notPorts[0]", msg: '"65536"' },
      { name: "port given as a YAML number", spec: op("{ports: [80]}"), path: "spec.rules[0].to[0].operation.ports[0]", msg: "expected string" },
      { name: "empty method", spec: op("{methods: ['']}"), path: "spec.rules[0].to[0].operation.methods[0]", msg: "empty value not allowed in methods" },
      { name: "empty host", spec: op("{notHosts: ['']}"), path: "spec.rules[0].to[0].operation.notHosts[0]", msg: "empty value" },
      { name: "{**} not last", spec: op("{paths: ['/{**}/foo/{*}']}"), path: "spec.rules[0].to[0].operation.paths[0]", msg: "{**} is not the last operator" },
      { name: "* outside a template operator", spec: op("{paths: ['/*/baz/{*}']}"), path: "spec.rules[0].to[0].operation.paths[0]", msg: 'segment "*"' },
      { name: "** outside a template operator", spec: op("{notPaths: ['/**/baz/{*}']}"), path: "spec.rules[0].to[0].operation.notPaths[0]", msg: "not a valid literal" },
      { name: "characters next to {*} in a segment", spec: op("{paths: ['/foo/{*}.txt']}"), path: "spec.rules[0].to[0].operation.paths[0]", msg: "'{' or '}'" },
      { name: "stray brace without template", spec: op("{paths: ['/foo/{bar}']}"), path: "spec.rules[0].to[0].operation.paths[0]", msg: "beyond a supported path template" },
    ]);
  });

  describe("rules[].when[] conditions", () => {
    const when = (s: string) => `{rules: [{when: [${s}]}]}`;
    table("AuthorizationPolicy", [
      {
        name: "every accepted key",
        spec: `
rules:
- when:
  - {key: "request.headers[X-header]", values: [header, "header-*"], notValues: ["*"]}
  - {key: source.ip, values: [10.10.10.10, 192.168.10.0/24]}
  - {key: remote.ip, notValues: [90.10.10.10]}
  - {key: source.namespace, values: [ns]}
  - {key: source.serviceAccount, values: [ns/sa]}
  - {key: source.trustDomain, values: ["cluster-*"]}
  - {key: source.principal, values: [cluster.local/ns/default/sa/productpage]}
  - {key: request.auth.principal, values: ["https://example.com/*"]}
  - {key: request.auth.audiences, values: [aud]}
  - {key: request.auth.presenter, values: [client]}
  - {key: "request.auth.claims[iss]", values: [iss]}
  - {key: "request.auth.claims[nested1][nested2]", values: [nested]}
  - {key: destination.ip, values: [10.0.0.1]}
  - {key: destination.port, values: ["91"]}
  - {key: connection.sni, values: ["*.example.com"]}
  - {key: "experimental.envoy.filters.a.b[c]", values: [x]}`,
      },
      { name: "unknown key", spec: when("{key: request.path, values: [/a]}"), path: "spec.rules[0].when[0].key", msg: 'unknown attribute "request.path"' },
      { name: "header key without brackets", spec: when("{key: request.headers, values: [a]}"), path: "spec.rules[0].when[0].key", msg: "request.headers[<header-name>]" },
      { name: "header key with empty name", spec: when("{key: 'request.headers[]', values: [a]}"), path: "spec.rules[0].when[0].key", msg: "bad key" },
      { name: "claims key with an empty nested claim", spec: when("{key: 'request.auth.claims[a][]', values: [a]}"), path: "spec.rules[0].when[0].key", msg: "request.auth.claims[<claim>]" },
      { name: "experimental key without map form", spec: when("{key: experimental.envoy.filters.a.b, values: [a]}"), path: "spec.rules[0].when[0].key", msg: "a[b]" },
      { name: "destination.namespace is replaced", spec: when("{key: destination.namespace, values: [a]}"), path: "spec.rules[0].when[0].key", msg: "replaced by the metadata.namespace" },
      { name: "destination.labels is replaced", spec: when("{key: 'destination.labels[app]', values: [a]}"), path: "spec.rules[0].when[0].key", msg: "replaced by the workload selector" },
      { name: "destination.user is deprecated", spec: when("{key: destination.user, values: [a]}"), path: "spec.rules[0].when[0].key", msg: "deprecated attribute" },
      { name: "empty key", spec: when("{key: '', values: [a]}"), path: "spec.rules[0].when[0].key", msg: "must not be empty" },
      { name: "missing key", spec: when("{values: [a]}"), path: "spec.rules[0].when[0].key", msg: "required" },
      { name: "neither values nor notValues", spec: when("{key: source.ip}"), path: "spec.rules[0].when[0]", msg: "at least one of `values` or `notValues` must be set for key source.ip" },
      { name: "bad source.ip value", spec: when("{key: source.ip, values: ['10.0.0.256']}"), path: "spec.rules[0].when[0].values[0]", msg: 'bad IP address "10.0.0.256"' },
      { name: "bad remote.ip notValue", spec: when("{key: remote.ip, notValues: ['1.2.3.4/40']}"), path: "spec.rules[0].when[0].notValues[0]", msg: "bad CIDR range" },
      { name: "bad destination.port value", spec: when("{key: destination.port, values: ['-1']}"), path: "spec.rules[0].when[0].values[0]", msg: 'bad port "-1"' },
      { name: "bad source.serviceAccount value", spec: when("{key: source.serviceAccount, values: ['ns/*']}"), path: "spec.rules[0].when[0].values[0]", msg: "wildcard not allowed" },
      { name: "bad source.trustDomain value", spec: when("{key: source.trustDomain, values: ['a*b']}"), path: "spec.rules[0].when[0].values[0]", msg: "start or end" },
      { name: "empty value", spec: when("{key: 'request.headers[x]', values: ['']}"), path: "spec.rules[0].when[0].values[0]", msg: "empty value not allowed" },
      { name: "unknown condition field", spec: when("{key: source.ip, value: [1.2.3.4]}"), path: "spec.rules[0].when[0].value", msg: "unknown field" },
    ]);
  });

  describe("limits", () => {
    table("AuthorizationPolicy", [
      { name: "more than 512 rules", spec: `{rules: [${Array.from({ length: 513 }, () => "{}").join(", ")}]}`, path: "spec.rules", msg: "at most 512 rules" },
    ]);
  });
});

describe("building blocks", () => {
  it("parses IP blocks as Go's netip does", () => {
    const ok = ["0.0.0.0", "255.255.255.255", "10.0.0.1/8", "::", "::1", "1::", "1:2:3:4:5:6:7::", "::ffff:1.2.3.4", "2001:db8::/32", "fe80::1%eth0", "1:2:3:4:5:6:1.2.3.4", "::/0"];
    const bad = ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.4/", "1.2.3.4/033", "1.2.3.4/33", "::1/129", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "1::2::3", "fe80::1%", "fe80::1%eth0/64", "12345::", "1.2.3.4::", "x", "1.2.3.4.", ".1.2.3", "1.2..3", "1.2.3.1234", "1.2.3.-4", "1.2.3.4 ", "1.2.3.00", "1.2.3.256"];
    for (const t of ok) expect(parseIpBlock(t), t).toBeDefined();
    for (const t of bad) expect(parseIpBlock(t), t).toBeUndefined();
    expect(parseIpBlock("10.1.2.3/16")).toEqual({ bytes: new Uint8Array([10, 1, 2, 3]), prefixLength: 16 });
    expect(Array.from(parseIpBlock("::ffff:1.2.3.4")!.bytes.slice(10))).toEqual([0xff, 0xff, 1, 2, 3, 4]);
  });

  it("round-trips every dotted-quad IPv4 address and prefix", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }), (octets, bits) => {
        const block = parseIpBlock(`${octets.join(".")}/${bits}`);
        expect(block).toEqual({ bytes: new Uint8Array(octets), prefixLength: bits });
      }),
    );
  });

  it("accepts exactly Istio's condition key forms", () => {
    expect(conditionKeyError("request.headers[:authority]")).toBeUndefined();
    expect(conditionKeyError("request.auth.claims[groups]")).toBeUndefined();
    expect(conditionKeyError("source.ip")).toBeUndefined();
    expect(conditionKeyError("source.ips")).toMatch(/unknown attribute/);
    expect(conditionKeyError("request.headers[a]b")).toMatch(/bad key/);
  });

  it("checks path templates only where templates or braces appear", () => {
    expect(pathTemplateError("/a/b*")).toBeUndefined();
    expect(pathTemplateError("*")).toBeUndefined();
    expect(pathTemplateError("/{*}")).toBeUndefined();
    expect(pathTemplateError("/{**}")).toBeUndefined();
    expect(pathTemplateError("/{**}/{**}")).toMatch(/last operator/);
    expect(pathTemplateError("/a//{*}")).toMatch(/literal/);
  });

  it("reads JWKS structurally", () => {
    expect(jwksError('{"keys":[]}')).toBeUndefined();
    expect(jwksError('{"kty":"EC","crv":"P-256","x":"a","y":"b"}')).toBeUndefined();
    expect(jwksError('{"keys":{}}')).toMatch(/array/);
    expect(jwksError('{"keys":[{"kty":"XYZ"}]}')).toMatch(/unsupported key type/);
    expect(jwksError("[]")).toMatch(/object/);
  });
});

describe("robustness", () => {
  const KEYS = [
    "selector", "matchLabels", "targetRef", "targetRefs", "kind", "name", "group", "namespace", "mtls", "mode", "portLevelMtls",
    "jwtRules", "issuer", "audiences", "jwksUri", "jwks_uri", "jwks", "fromHeaders", "prefix", "fromParams", "fromCookies",
    "outputPayloadToHeader", "forwardOriginalToken", "outputClaimToHeaders", "header", "claim", "timeout", "spaceDelimitedClaims",
    "rules", "from", "source", "to", "operation", "when", "key", "values", "notValues", "action", "provider",
    "principals", "serviceAccounts", "namespaces", "ipBlocks", "remoteIpBlocks", "trustDomains", "notPrincipals",
    "hosts", "ports", "methods", "paths", "notPaths", "80", "",
  ];
  const STRINGS = ["", "*", "a", "ALLOW", "DENY", "CUSTOM", "AUDIT", "STRICT", "Service", "10.0.0.0/8", "1.2.3", "/a/{**}", "/{**}/{*}", "5s", "0s", "https://e.com/k", "{\"keys\":[]}", "source.ip", "request.headers[x]", "a/b", "ns/*"];
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.constantFrom(...STRINGS),
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom(...KEYS), tie("value"), { maxKeys: 4 }),
    ),
  }));
  const spec = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 5 });
  const annotations = fc.option(fc.dictionary(fc.constantFrom("istio.io/dry-run", "other"), fc.constantFrom("true", "false", "x", "")), { nil: undefined });

  for (const kind of ["PeerAuthentication", "RequestAuthentication", "AuthorizationPolicy"] as const) {
    it(`never throws on arbitrary ${kind} specs`, () => {
      fc.assert(
        fc.property(spec, annotations, (s, ann) => {
          const raw = { apiVersion: "security.istio.io/v1", kind, metadata: { name: "p", namespace: "ns", ...(ann ? { annotations: ann } : {}) }, spec: s };
          const r = validateDocument({ raw });
          expect(r.resource !== undefined || r.errors.length > 0).toBe(true);
          for (const e of r.errors) expect(e.path.startsWith("spec") || e.path.startsWith("metadata")).toBe(true);
        }),
        { numRuns: 300 },
      );
    });
  }
});
