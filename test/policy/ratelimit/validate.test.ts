/**
 * Admission of RateLimitPolicy: strict schema and webhook rules, one table per field family. Each row
 * is YAML through loadText → validateDocuments, asserting no error or an error at a full field path
 * whose message contains a substring.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadText } from "../../../src/config/loader.js";
import { validateDocuments } from "../../../src/config/validate.js";

interface Row {
  name: string;
  /** The spec as a YAML block (indented under `spec:`). */
  spec: string;
  path?: string;
  msg?: string;
  namespace?: string;
  apiVersion?: string;
}

const RULE = "rules: [{name: r, tokenBucket: {maxTokens: 10, fillInterval: 1s}}]";

function yamlFor(row: Row): string {
  const spec = row.spec.replace(/^\n/, "").replace(/^/gm, "  ");
  return `apiVersion: ${row.apiVersion ?? "policy.isthmus.dev/v1alpha1"}\nkind: RateLimitPolicy\nmetadata:\n  name: limits\n  namespace: ${row.namespace ?? "istio-system"}\nspec:\n${spec}\n`;
}

function check(row: Row): void {
  const loaded = loadText(yamlFor(row), { file: "rl.yaml" });
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
  expect(hit!.kind).toBe("RateLimitPolicy");
  expect(hit!.line).toBeGreaterThan(0);
}

function table(rows: Row[]): void {
  for (const row of rows) it(`${row.path ? "rejects" : "accepts"}: ${row.name}`, () => check(row));
}

describe("RateLimitPolicy admission", () => {
  describe("envelope and policy fields", () => {
    table([
      { name: "minimal", spec: RULE },
      {
        name: "everything set",
        spec: `
targetRefs: [{kind: Gateway, name: bookinfo-gateway, sectionName: http}, {group: networking.istio.io, kind: VirtualService, name: bookinfo, sectionName: reviews}]
hosts: [bookinfo.example.com, "*.example.com", reviews]
mode: global
shadow: true
failureModeDeny: true
timeout: 50ms
${RULE}`,
      },
      { name: "UPPER_CASE enums, Istio habit", spec: `mode: GLOBAL\nrules: [{name: r, fixedWindow: {requests: 1, unit: MINUTE}}]` },
      { name: "wrong apiVersion", apiVersion: "policy.isthmus.dev/v1", spec: RULE, path: "apiVersion", msg: "policy.isthmus.dev/v1alpha1" },
      { name: "unknown field", spec: `limits: 3\n${RULE}`, path: "spec.limits", msg: "unknown field" },
      { name: "rules missing", spec: "mode: local", path: "spec.rules", msg: "required" },
      { name: "rules empty", spec: "rules: []", path: "spec.rules", msg: "at least one rule" },
      { name: "unknown mode", spec: `mode: cluster\n${RULE}`, path: "spec.mode", msg: '"local", "global"' },
      { name: "failureModeDeny in local mode", spec: `failureModeDeny: true\n${RULE}`, path: "spec.failureModeDeny", msg: "only to mode global" },
      { name: "timeout in local mode", spec: `timeout: 1s\n${RULE}`, path: "spec.timeout", msg: "only to mode global" },
      { name: "timeout not a duration", spec: `mode: global\ntimeout: soon\n${RULE}`, path: "spec.timeout", msg: "invalid duration" },
      { name: "timeout below 1ms", spec: `mode: global\ntimeout: 0s\n${RULE}`, path: "spec.timeout", msg: "at least 1ms" },
      { name: "shadow not a bool", spec: `shadow: "yes"\n${RULE}`, path: "spec.shadow", msg: "expected boolean" },
    ]);
  });

  describe("targetRefs and hosts", () => {
    table([
      { name: "a Gateway API HTTPRoute is a target", spec: `targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]\n${RULE}` },
      { name: "a Gateway API GRPCRoute is not a target", spec: `targetRefs: [{group: gateway.networking.k8s.io, kind: GRPCRoute, name: r}]\n${RULE}`, path: "spec.targetRefs[0]", msg: "gateway.networking.k8s.io/HTTPRoute" },
      { name: "Service is not a target", spec: `targetRefs: [{kind: Service, name: reviews}]\n${RULE}`, path: "spec.targetRefs[0]", msg: "but was /Service" },
      { name: "empty name", spec: `targetRefs: [{kind: Gateway, name: ""}]\n${RULE}`, path: "spec.targetRefs[0].name", msg: "must be set" },
      { name: "bad name", spec: `targetRefs: [{kind: Gateway, name: Bad_Name}]\n${RULE}`, path: "spec.targetRefs[0].name", msg: "RFC 1123" },
      { name: "own namespace may be spelled", spec: `targetRefs: [{kind: Gateway, name: gw, namespace: istio-system}]\n${RULE}` },
      { name: "cross namespace", spec: `targetRefs: [{kind: Gateway, name: gw, namespace: default}]\n${RULE}`, path: "spec.targetRefs[0].namespace", msg: "cross namespace" },
      { name: "empty sectionName", spec: `targetRefs: [{kind: VirtualService, name: vs, sectionName: ""}]\n${RULE}`, path: "spec.targetRefs[0].sectionName", msg: "must not be empty" },
      { name: "kind missing", spec: `targetRefs: [{name: gw}]\n${RULE}`, path: "spec.targetRefs[0].kind", msg: "required" },
      { name: "hosts empty", spec: `hosts: []\n${RULE}`, path: "spec.hosts", msg: "must not be empty" },
      { name: "host with namespace", spec: `hosts: [default/reviews]\n${RULE}`, path: "spec.hosts[0]", msg: "namespace" },
      { name: "partial wildcard", spec: `hosts: ["foo*.example.com"]\n${RULE}`, path: "spec.hosts[0]", msg: "invalid" },
      { name: "wildcard all", spec: `hosts: ["*"]\n${RULE}` },
    ]);
  });

  describe("rules: name, match, limit", () => {
    table([
      { name: "rule name required", spec: "rules: [{tokenBucket: {maxTokens: 1, fillInterval: 1s}}]", path: "spec.rules[0].name", msg: "required" },
      { name: "rule name not a label", spec: "rules: [{name: Per.IP, tokenBucket: {maxTokens: 1, fillInterval: 1s}}]", path: "spec.rules[0].name", msg: "RFC 1123 label" },
      { name: "duplicate rule names", spec: "rules: [{name: a, fixedWindow: {requests: 1, unit: second}}, {name: a, fixedWindow: {requests: 1, unit: second}}]", path: "spec.rules[1].name", msg: "unique" },
      { name: "no limit", spec: "rules: [{name: a}]", path: "spec.rules[0]", msg: "exactly one of tokenBucket or fixedWindow" },
      { name: "both limits", spec: "rules: [{name: a, tokenBucket: {maxTokens: 1, fillInterval: 1s}, fixedWindow: {requests: 1, unit: second}}]", path: "spec.rules[0].fixedWindow", msg: "only one of" },
      { name: "maxTokens 0", spec: "rules: [{name: a, tokenBucket: {maxTokens: 0, fillInterval: 1s}}]", path: "spec.rules[0].tokenBucket.maxTokens", msg: ">=1" },
      { name: "maxTokens fractional", spec: "rules: [{name: a, tokenBucket: {maxTokens: 1.5, fillInterval: 1s}}]", path: "spec.rules[0].tokenBucket.maxTokens", msg: "" },
      { name: "tokensPerFill 0", spec: "rules: [{name: a, tokenBucket: {maxTokens: 2, tokensPerFill: 0, fillInterval: 1s}}]", path: "spec.rules[0].tokenBucket.tokensPerFill", msg: ">=1" },
      { name: "fillInterval missing", spec: "rules: [{name: a, tokenBucket: {maxTokens: 2}}]", path: "spec.rules[0].tokenBucket.fillInterval", msg: "required" },
      { name: "fillInterval not whole ms", spec: "rules: [{name: a, tokenBucket: {maxTokens: 2, fillInterval: 1500us}}]", path: "spec.rules[0].tokenBucket.fillInterval", msg: "whole number of milliseconds" },
      { name: "fillInterval over a year", spec: "rules: [{name: a, tokenBucket: {maxTokens: 2, fillInterval: 9000h}}]", path: "spec.rules[0].tokenBucket.fillInterval", msg: "366 days" },
      { name: "fixedWindow unit", spec: "rules: [{name: a, fixedWindow: {requests: 1, unit: week}}]", path: "spec.rules[0].fixedWindow.unit", msg: '"second"' },
      { name: "fixedWindow requests negative", spec: "rules: [{name: a, fixedWindow: {requests: -1, unit: day}}]", path: "spec.rules[0].fixedWindow.requests", msg: "" },
      { name: "fixedWindow requests 0 blocks", spec: "rules: [{name: a, fixedWindow: {requests: 0, unit: day}}]" },
      { name: "match like a VirtualService", spec: "rules: [{name: a, match: [{uri: {prefix: /api}, method: {exact: POST}, headers: {x-tier: {exact: free}}, withoutHeaders: {x-internal: {}}, ignoreUriCase: true}], fixedWindow: {requests: 1, unit: second}}]" },
      { name: "match empty list", spec: "rules: [{name: a, match: [], fixedWindow: {requests: 1, unit: second}}]", path: "spec.rules[0].match", msg: "must not be empty" },
      { name: "match bad regex", spec: "rules: [{name: a, match: [{uri: {regex: '(a'}}], fixedWindow: {requests: 1, unit: second}}]", path: "spec.rules[0].match[0].uri.regex", msg: "RE2" },
      { name: "match bad header name", spec: "rules: [{name: a, match: [{headers: {'bad header': {exact: x}}}], fixedWindow: {requests: 1, unit: second}}]", path: 'spec.rules[0].match[0].headers["bad header"]', msg: "invalid header name" },
      { name: "match unknown field", spec: "rules: [{name: a, match: [{queryParams: {}}], fixedWindow: {requests: 1, unit: second}}]", path: "spec.rules[0].match[0].queryParams", msg: "unknown field" },
    ]);
  });

  describe("rules: key parts", () => {
    const key = (k: string) => `rules: [{name: a, key: [${k}], fixedWindow: {requests: 1, unit: second}}]`;
    table([
      { name: "every kind of part", spec: key("{remoteAddress: {}}, {header: {name: x-api-key}}, {claim: {name: sub}}, {path: {}}, {method: {}}, {host: {}}, {constant: x}") },
      { name: "masked remote address", spec: key("{remoteAddress: {ipv4PrefixLength: 24, ipv6PrefixLength: 64}}") },
      { name: "prefix length too long", spec: key("{remoteAddress: {ipv4PrefixLength: 33}}"), path: "spec.rules[0].key[0].remoteAddress.ipv4PrefixLength", msg: "" },
      { name: "header and claim defaults", spec: key("{header: {name: x-api-key, default: anonymous}}, {claim: {name: org.id, default: none}}") },
      { name: "empty part", spec: key("{}"), path: "spec.rules[0].key[0]", msg: "must set one of" },
      { name: "two fields in one part", spec: key("{path: {}, method: {}}"), path: "spec.rules[0].key[0].method", msg: "only one of" },
      { name: "header name empty", spec: key("{header: {name: ''}}"), path: "spec.rules[0].key[0].header.name", msg: "must be set" },
      { name: "header name invalid", spec: key("{header: {name: 'a b'}}"), path: "spec.rules[0].key[0].header.name", msg: "invalid header name" },
      { name: "pseudo-header refused (use path/method/host)", spec: key("{header: {name: ':path'}}"), path: "spec.rules[0].key[0].header.name", msg: "invalid header name" },
      { name: "claim name with empty segment", spec: key("{claim: {name: 'a..b'}}"), path: "spec.rules[0].key[0].claim.name", msg: "single dots" },
      { name: "constant empty", spec: key("{constant: ''}"), path: "spec.rules[0].key[0].constant", msg: "must not be empty" },
      { name: "unknown part", spec: key("{cookie: {name: sid}}"), path: "spec.rules[0].key[0].cookie", msg: "unknown field" },
      { name: "path takes no options", spec: key("{path: {prefix: /x}}"), path: "spec.rules[0].key[0].path.prefix", msg: "unknown field" },
      { name: "too many parts", spec: key(Array(9).fill("{method: {}}").join(", ")), path: "spec.rules[0].key", msg: "at most 8" },
    ]);
  });

  it("never throws on arbitrary specs", () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: "small" }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(fc.constantFrom("name", "key", "rules", "mode", "tokenBucket", "fixedWindow", "match", "header", "x"), tie("v"), { maxKeys: 4 })),
    })).v;
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("rules", "targetRefs", "hosts", "mode", "shadow", "timeout", "failureModeDeny"), value), (spec) => {
        const doc = { raw: { apiVersion: "policy.isthmus.dev/v1alpha1", kind: "RateLimitPolicy", metadata: { name: "p" }, spec }, file: undefined, line: 1, lines: new Map() };
        expect(() => validateDocuments([doc as never])).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
