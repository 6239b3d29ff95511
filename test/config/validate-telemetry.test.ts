/**
 * Admission of Telemetry: CRD schema and Istio's `ValidateTelemetry` webhook rules, as YAML text
 * through loadText → validateDocuments, one table per field family.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadText } from "../../src/config/loader.js";
import { validateDocument, validateDocuments } from "../../src/config/validate.js";
import { celSyntaxError } from "../../src/config/schemas/cel-syntax.js";

interface Row {
  name: string;
  /** The spec: flow YAML on one line (`{...}`) or a block to indent under `spec:`. */
  spec: string;
  /** Expected error path; absent = the resource is valid. */
  path?: string;
  msg?: string;
  annotations?: Record<string, string>;
  apiVersion?: string;
}

function yamlFor(row: Row): string {
  const ann = row.annotations
    ? `  annotations:\n${Object.entries(row.annotations).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join("\n")}\n`
    : "";
  const spec = row.spec.trimStart().startsWith("{") ? ` ${row.spec.trim()}` : `\n${row.spec.replace(/^\n/, "").replace(/^/gm, "  ")}`;
  return `apiVersion: ${row.apiVersion ?? "telemetry.istio.io/v1"}\nkind: Telemetry\nmetadata:\n  name: telemetry\n  namespace: istio-system\n${ann}spec:${spec}\n`;
}

function table(rows: Row[]): void {
  for (const row of rows) {
    it(`${row.path ? "rejects" : "accepts"}: ${row.name}`, () => {
      const loaded = loadText(yamlFor(row), { file: "telemetry.yaml" });
      expect(loaded.errors).toEqual([]);
      const { errors } = validateDocuments(loaded.documents);
      const shown = errors.map((e) => `${e.path}: ${e.message}`);
      if (row.path === undefined) {
        expect(shown).toEqual([]);
        return;
      }
      const hit = errors.find((e) => e.path === row.path && e.message.includes(row.msg ?? ""));
      expect(hit, `expected ${row.path} ~ ${JSON.stringify(row.msg)} among ${JSON.stringify(shown)}`).toBeDefined();
      expect(hit!.kind).toBe("Telemetry");
    });
  }
}

describe("Telemetry targeting", () => {
  table([
    { name: "mesh-wide, empty spec", spec: "{}" },
    { name: "served at v1alpha1", spec: "{tracing: [{randomSamplingPercentage: 10}]}", apiVersion: "telemetry.istio.io/v1alpha1" },
    { name: "selector", spec: "{selector: {matchLabels: {app: reviews}}}" },
    { name: "targetRefs to a Gateway", spec: "{targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]}" },
    { name: "selector and targetRef", spec: "{selector: {matchLabels: {a: b}}, targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: gw}}", path: "spec.targetRef", msg: "only one of targetRefs or selector" },
    { name: "unsupported target kind", spec: "{targetRefs: [{kind: Pod, name: p}]}", path: "spec.targetRefs[0]", msg: "/Pod" },
    { name: "wildcard selector", spec: "{selector: {matchLabels: {app: '*'}}}", path: "spec.selector.matchLabels.app", msg: "wildcard" },
    { name: "dry-run annotation", spec: "{}", annotations: { "istio.io/dry-run": "false" }, path: 'metadata.annotations["istio.io/dry-run"]', msg: "Telemetry istio-system/telemetry has unsupported annotation" },
    { name: "unknown top-level field", spec: "{logging: []}", path: "spec.logging", msg: "unknown field" },
  ]);
});

describe("Telemetry tracing", () => {
  table([
    {
      name: "every tracing field",
      spec: `
tracing:
- match: {mode: CLIENT_AND_SERVER}
  providers: [{name: otlp}]
  randomSamplingPercentage: 54.54
  disableSpanReporting: false
  useRequestIdForTraceSampling: true
  enableIstioTags: true
  disableContextPropagation: false
  customTags:
    env: {environment: {name: NAME, defaultValue: default}}
    hdr: {header: {name: x-name, defaultValue: default name}}
    lit: {literal: {value: default literal}}
    fmt: {formatter: {value: "%REQUESTED_SERVER_NAME%"}}`,
    },
    { name: "sampling 0 and 100 are bounds", spec: "{tracing: [{randomSamplingPercentage: 0}, {randomSamplingPercentage: 100}]}" },
    { name: "nullable wrappers", spec: "{tracing: [{randomSamplingPercentage: null, disableSpanReporting: null}]}" },
    { name: "sampling above 100", spec: "{tracing: [{randomSamplingPercentage: 100.5}]}", path: "spec.tracing[0].randomSamplingPercentage", msg: "[0.0, 100.0], got 100.5" },
    { name: "negative sampling", spec: "{tracing: [{randomSamplingPercentage: -1}]}", path: "spec.tracing[0].randomSamplingPercentage", msg: "got -1" },
    { name: "sampling as a string", spec: "{tracing: [{randomSamplingPercentage: '10'}]}", path: "spec.tracing[0].randomSamplingPercentage", msg: "expected number" },
    { name: "unknown mode", spec: "{tracing: [{match: {mode: BOTH}}]}", path: "spec.tracing[0].match.mode", msg: "must be one of" },
    { name: "empty provider name", spec: "{tracing: [{providers: [{name: ''}]}]}", path: "spec.tracing[0].providers[0].name", msg: "providers.name must not be empty" },
    { name: "provider without name", spec: "{tracing: [{providers: [{}]}]}", path: "spec.tracing[0].providers[0].name", msg: "required" },
    { name: "custom tag with two sources", spec: "{tracing: [{customTags: {t: {literal: {value: a}, header: {name: b}}}}]}", path: "spec.tracing[0].customTags.t", msg: "only one of literal, environment, header or formatter" },
    { name: "empty literal", spec: "{tracing: [{customTags: {t: {literal: {value: ''}}}}]}", path: "spec.tracing[0].customTags.t.literal.value", msg: "literal tag value must not be empty" },
    { name: "header tag without name", spec: "{tracing: [{customTags: {t: {header: {defaultValue: x}}}}]}", path: "spec.tracing[0].customTags.t.header.name", msg: "required" },
    { name: "empty environment name", spec: "{tracing: [{customTags: {t: {environment: {name: ''}}}}]}", path: "spec.tracing[0].customTags.t.environment.name", msg: "environment tag name" },
    { name: "empty tag name", spec: "{tracing: [{customTags: {'': {literal: {value: a}}}}]}", path: 'spec.tracing[0].customTags[""]', msg: "tag name may not be empty" },
  ]);
});

describe("Telemetry metrics", () => {
  table([
    {
      name: "every metrics field",
      spec: `
metrics:
- providers: [{name: prometheus}]
  reportingInterval: 5s
  overrides:
  - match: {customMetric: foo, mode: SERVER}
    disabled: false
    tagOverrides:
      request_method: {value: request.method}
      request_host: {operation: UPSERT, value: request.host}
      response_flags: {operation: REMOVE}
  - match: {metric: GRPC_REQUEST_MESSAGES}
    disabled: true
  - match: {metric: ALL_METRICS, mode: CLIENT}`,
    },
    { name: "unknown metric", spec: "{metrics: [{overrides: [{match: {metric: REQUEST_TOTAL}}]}]}", path: "spec.metrics[0].overrides[0].match.metric", msg: "must be one of" },
    { name: "metric and customMetric", spec: "{metrics: [{overrides: [{match: {metric: REQUEST_COUNT, customMetric: foo}}]}]}", path: "spec.metrics[0].overrides[0].match.customMetric", msg: "only one of metric or customMetric" },
    { name: "empty customMetric", spec: "{metrics: [{overrides: [{match: {customMetric: ''}}]}]}", path: "spec.metrics[0].overrides[0].match.customMetric", msg: "customMetric must not be empty" },
    { name: "UPSERT without value", spec: "{metrics: [{overrides: [{tagOverrides: {foo: {operation: UPSERT}}}]}]}", path: "spec.metrics[0].overrides[0].tagOverrides.foo.value", msg: "must be set when operation is UPSERT" },
    { name: "default operation (UPSERT) without value", spec: "{metrics: [{overrides: [{tagOverrides: {foo: {}}}]}]}", path: "spec.metrics[0].overrides[0].tagOverrides.foo.value", msg: "UPSERT" },
    { name: "REMOVE with value", spec: "{metrics: [{overrides: [{tagOverrides: {foo: {operation: REMOVE, value: oops}}}]}]}", path: "spec.metrics[0].overrides[0].tagOverrides.foo.value", msg: 'must not be set when operation is REMOVE, got "oops"' },
    { name: "unknown tag operation", spec: "{metrics: [{overrides: [{tagOverrides: {foo: {operation: DELETE}}}]}]}", path: "spec.metrics[0].overrides[0].tagOverrides.foo.operation", msg: "must be one of" },
    { name: "reportingInterval zero", spec: "{metrics: [{reportingInterval: 0s}]}", path: "spec.metrics[0].reportingInterval", msg: "greater than 1ms" },
    { name: "reportingInterval not a duration", spec: "{metrics: [{reportingInterval: '5'}]}", path: "spec.metrics[0].reportingInterval", msg: 'invalid duration "5"' },
    { name: "empty metrics provider", spec: "{metrics: [{providers: [{name: ''}]}]}", path: "spec.metrics[0].providers[0].name", msg: "must not be empty" },
    { name: "disabled not a bool", spec: "{metrics: [{overrides: [{disabled: 'yes'}]}]}", path: "spec.metrics[0].overrides[0].disabled", msg: "expected boolean" },
  ]);
});

describe("Telemetry accessLogging", () => {
  table([
    { name: "every accessLogging field", spec: "{accessLogging: [{match: {mode: CLIENT}, providers: [{name: envoy}], disabled: false, filter: {expression: 'response.code >= 400'}}]}" },
    { name: "richer CEL filter", spec: `{accessLogging: [{filter: {expression: "request.headers['x-debug'] == 'true' || (response.code >= 500 && !has(request.auth)) ? true : size(request.path) > 0u"}}]}` },
    { name: "CEL with lists, maps and macros", spec: `{accessLogging: [{filter: {expression: "[1, 2, 3].exists(x, x > 2) && {'a': 1}['a'] == 1 && request.method in ['GET', 'HEAD']"}}]}` },
    { name: "disabled alone", spec: "{accessLogging: [{disabled: true}]}" },
    { name: "unbalanced CEL", spec: "{accessLogging: [{filter: {expression: 'response.code >= (400'}}]}", path: "spec.accessLogging[0].filter.expression", msg: "must be a valid CEL expression" },
    { name: "dangling operator", spec: "{accessLogging: [{filter: {expression: 'response.code >='}}]}", path: "spec.accessLogging[0].filter.expression", msg: '"response.code >="' },
    { name: "unterminated string", spec: `{accessLogging: [{filter: {expression: "request.path == '/a"}}]}`, path: "spec.accessLogging[0].filter.expression", msg: "unterminated string" },
    { name: "empty filter", spec: "{accessLogging: [{filter: {}}]}", path: "spec.accessLogging[0].filter.expression", msg: "expression is empty" },
    { name: "unknown mode", spec: "{accessLogging: [{match: {mode: INBOUND}}]}", path: "spec.accessLogging[0].match.mode", msg: "must be one of" },
    { name: "unknown field", spec: "{accessLogging: [{format: json}]}", path: "spec.accessLogging[0].format", msg: "unknown field" },
  ]);
});

describe("CEL syntax", () => {
  it("accepts well-formed expressions", () => {
    for (const e of [
      "true", "1 + 2 * 3 - -4 % 5", "a.b.c(1, 2,)", "x ? y : z ? w : v", "!!a", "0x1F + 3u + 1.5e3 + .5", `b"bytes" + r'raw\\d' + """triple "quoted" """`,
      "google.protobuf.Duration{seconds: 5}", ".global.name", "m[\"k\"][0]", "[].size() == 0", "{}", "'\\u00e9\\x41\\101\\n'",
    ])
      expect(celSyntaxError(e), e).toBeUndefined();
  });

  it("rejects malformed expressions", () => {
    for (const e of ["", "1 +", "(a", "a)", "a b", "a..b", "a.1", "[1, 2", "{'a' 1}", "'\\q'", "if", "a = b", "a ? b", "1x", "#"]) expect(celSyntaxError(e), e).toBeDefined();
  });

  it("never throws, whatever the text", () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => void celSyntaxError(s)), { numRuns: 500 });
    expect(celSyntaxError("(".repeat(5000) + "1" + ")".repeat(5000))).toMatch(/too deeply/);
  });
});

describe("robustness", () => {
  const KEYS = [
    "selector", "matchLabels", "targetRef", "targetRefs", "kind", "name", "group", "tracing", "metrics", "accessLogging",
    "match", "mode", "providers", "randomSamplingPercentage", "customTags", "literal", "header", "environment", "formatter", "value",
    "overrides", "metric", "customMetric", "tagOverrides", "operation", "disabled", "reportingInterval", "filter", "expression", "",
  ];
  const STRINGS = ["", "UPSERT", "REMOVE", "CLIENT", "REQUEST_COUNT", "prometheus", "5s", "0s", "response.code >= 400", "(", "Gateway"];
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.constantFrom(...STRINGS),
      fc.string(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom(...KEYS), tie("value"), { maxKeys: 4 }),
    ),
  }));

  it("never throws on arbitrary Telemetry specs", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 5 }), (spec) => {
        const r = validateDocument({ raw: { apiVersion: "telemetry.istio.io/v1", kind: "Telemetry", metadata: { name: "t" }, spec } });
        expect(r.resource !== undefined || r.errors.length > 0).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
