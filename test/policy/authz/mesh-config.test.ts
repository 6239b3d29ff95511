/**
 * The `MESH_CONFIG` var: extension providers (envoyExtAuthzHttp with Istio's defaults and checks),
 * numTrustedProxies, pathNormalization, and what is ignored with a warning.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { meshConfigFromValue, parseMeshConfig } from "../../../src/config/mesh-config.js";
import { defaultMeshTelemetry } from "../../../src/config/mesh-telemetry.js";

describe("parseMeshConfig", () => {
  it("absent or empty gives the defaults", () => {
    for (const text of [undefined, "", "  \n"]) {
      expect(parseMeshConfig(text)).toEqual({ config: { extensionProviders: {}, numTrustedProxies: 0, pathNormalization: "BASE", outboundTrafficPolicy: "ALLOW_ANY", telemetry: defaultMeshTelemetry() }, errors: [], warnings: [] });
    }
  });

  it("reads YAML and JSON alike, with Istio's defaults", () => {
    const yaml = parseMeshConfig(`
defaultConfig:
  gatewayTopology:
    numTrustedProxies: 2
pathNormalization:
  normalization: MERGE_SLASHES
extensionProviders:
- name: oauth2-proxy
  envoyExtAuthzHttp:
    service: oauth2-proxy.auth.svc.cluster.local
    port: 4180
    includeRequestHeadersInCheck: [cookie, authorization]
    headersToUpstreamOnAllow: [x-auth-request-*]
    headersToDownstreamOnDeny: [set-cookie, content-type]
`);
    expect(yaml.errors).toEqual([]);
    expect(yaml.config.numTrustedProxies).toBe(2);
    expect(yaml.config.pathNormalization).toBe("MERGE_SLASHES");
    expect(yaml.config.extensionProviders["oauth2-proxy"]).toEqual({
      kind: "envoyExtAuthzHttp",
      name: "oauth2-proxy",
      service: { kind: "url", url: "http://oauth2-proxy.auth.svc.cluster.local:4180" },
      pathPrefix: "",
      timeoutMs: 600_000,
      failOpen: false,
      statusOnError: 403,
      includeRequestHeadersInCheck: ["cookie", "authorization"],
      includeAdditionalHeadersInCheck: {},
      headersToUpstreamOnAllow: ["x-auth-request-*"],
      headersToDownstreamOnAllow: [],
      headersToDownstreamOnDeny: ["set-cookie", "content-type"],
    });
    const json = parseMeshConfig(JSON.stringify({ extensionProviders: [{ name: "a", envoyExtAuthzHttp: { service: "binding:AUTHZ", timeout: "1.5s", failOpen: true, statusOnError: "503" } }] }));
    expect(json.errors).toEqual([]);
    expect(json.config.extensionProviders.a).toMatchObject({ service: { kind: "binding", binding: "AUTHZ" }, timeoutMs: 1500, failOpen: true, statusOnError: 503 });
  });

  const providerRows: { name: string; http: Record<string, unknown>; error?: RegExp; service?: unknown }[] = [
    { name: "URL service", http: { service: "https://authz.example.com/v1/" }, service: { kind: "url", url: "https://authz.example.com/v1" } },
    { name: "URL service with port", http: { service: "https://authz.example.com", port: 8443 }, service: { kind: "url", url: "https://authz.example.com:8443" } },
    { name: "namespace/host service", http: { service: "auth/ext-authz.auth.svc.cluster.local", port: 9000 }, service: { kind: "url", url: "http://ext-authz.auth.svc.cluster.local:9000" } },
    { name: "host service needs a port", http: { service: "ext-authz.auth.svc.cluster.local" }, error: /port is required/ },
    { name: "empty service", http: { service: "" }, error: /service must not be empty/ },
    { name: "bad binding name", http: { service: "binding:1abc" }, error: /invalid binding name/ },
    { name: "URL with query", http: { service: "https://a.example/?x=1" }, error: /must not carry/ },
    { name: "URL port conflict", http: { service: "https://a.example:1", port: 2 }, error: /conflicts/ },
    { name: "port out of range", http: { service: "binding:A", port: 70000 }, error: /port must be in the range/ },
    { name: "bad timeout", http: { service: "binding:A", timeout: "soon" }, error: /invalid timeout/ },
    { name: "pathPrefix must start with /", http: { service: "binding:A", pathPrefix: "check" }, error: /pathPrefix must begin with/ },
    { name: "statusOnError must be an Envoy status", http: { service: "binding:A", statusOnError: "418" }, error: /unsupported statusOnError/ },
    { name: "a lone * header pattern", http: { service: "binding:A", headersToUpstreamOnAllow: ["*"] }, error: /single wildcard/ },
    { name: "request body is not supported", http: { service: "binding:A", includeRequestBodyInCheck: { maxRequestBytes: 10 } }, error: /not supported/ },
    { name: "unknown field", http: { service: "binding:A", servce: "x" }, error: /unknown field "servce"/ },
  ];
  for (const row of providerRows) {
    it(`envoyExtAuthzHttp: ${row.name}`, () => {
      const { config, errors } = meshConfigFromValue({ extensionProviders: [{ name: "p", envoyExtAuthzHttp: row.http }] });
      const p = config.extensionProviders.p;
      if (row.error) {
        expect(errors.map((e) => e.message).join("\n")).toMatch(row.error);
        expect(errors[0]!.path).toMatch(/^extensionProviders\[0\]\.envoyExtAuthzHttp/);
        expect(p?.kind).toBe("invalid");
      } else {
        expect(errors).toEqual([]);
        expect(p).toMatchObject({ kind: "envoyExtAuthzHttp", service: row.service });
      }
    });
  }

  it("provider names: Istio's rules; duplicates make the name unusable", () => {
    const { config, errors } = meshConfigFromValue({
      extensionProviders: [
        { name: "Upper", envoyExtAuthzHttp: { service: "binding:A" } },
        { name: "dup", envoyExtAuthzHttp: { service: "binding:A" } },
        { name: "dup", envoyExtAuthzHttp: { service: "binding:B" } },
        { envoyExtAuthzHttp: { service: "binding:A" } },
        { name: "two", envoyExtAuthzHttp: { service: "binding:A" }, zipkin: {} },
      ],
    });
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/only lowercase letters/),
      expect.stringMatching(/must be unique, found duplicate: dup/),
      expect.stringMatching(/must not be empty/),
      expect.stringMatching(/exactly one provider field/),
    ]);
    expect(config.extensionProviders.Upper?.kind).toBe("invalid");
    expect(config.extensionProviders.dup?.kind).toBe("invalid");
    expect(config.extensionProviders.two?.kind).toBe("invalid");
  });

  it("other provider kinds are kept for other stages; gRPC ext-authz warns", () => {
    const { config, errors, warnings } = meshConfigFromValue({ extensionProviders: [{ name: "zipkin", zipkin: { service: "zipkin.istio-system.svc", port: 9411 } }, { name: "grpc", envoyExtAuthzGrpc: { service: "a.b.svc", port: 9000 } }] });
    expect(errors).toEqual([]);
    expect(config.extensionProviders.zipkin).toEqual({ kind: "unsupported", name: "zipkin", type: "zipkin", config: { service: "zipkin.istio-system.svc", port: 9411 } });
    expect(warnings.map((w) => w.message).join()).toMatch(/envoyExtAuthzGrpc is not supported/);
  });

  it("other fields warn and are ignored; bad values fall back to defaults", () => {
    const r = parseMeshConfig(`
accessLogFile: /dev/stdout
somethingNew: 1
defaultConfig: {gatewayTopology: {numTrustedProxies: -1, forwardClientCertDetails: SANITIZE_SET}, concurrency: 2}
pathNormalization: {normalization: LOWERCASE}
outboundTrafficPolicy: {mode: DENY_ALL}
`);
    const { telemetry, ...rest } = r.config;
    expect(rest).toEqual({ extensionProviders: {}, numTrustedProxies: 0, pathNormalization: "BASE", outboundTrafficPolicy: "ALLOW_ANY" });
    expect(telemetry.accessLogFile).toBe("/dev/stdout"); // read by the access log (docs/observability.md)
    expect(r.errors.map((e) => e.path)).toEqual(["defaultConfig.gatewayTopology.numTrustedProxies", "pathNormalization.normalization", "outboundTrafficPolicy.mode"]);
    expect(r.warnings.map((w) => w.path)).toEqual(["somethingNew", "defaultConfig.gatewayTopology.forwardClientCertDetails", "defaultConfig.concurrency"]);
  });

  it("outboundTrafficPolicy.mode: ALLOW_ANY (default) or REGISTRY_ONLY", () => {
    expect(parseMeshConfig("outboundTrafficPolicy: {mode: REGISTRY_ONLY}").config.outboundTrafficPolicy).toBe("REGISTRY_ONLY");
    expect(parseMeshConfig("outboundTrafficPolicy: {}").config.outboundTrafficPolicy).toBe("ALLOW_ANY");
  });

  it("bad YAML is an error, not a crash", () => {
    expect(parseMeshConfig("extensionProviders: [").errors[0]!.message).toMatch(/not valid YAML/);
    expect(parseMeshConfig("[1, 2]").errors[0]!.message).toMatch(/must be an object/);
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        meshConfigFromValue(v);
        meshConfigFromValue({ extensionProviders: [v], defaultConfig: v, pathNormalization: v });
        meshConfigFromValue({ extensionProviders: [{ name: "p", envoyExtAuthzHttp: v }] });
      }),
    );
    fc.assert(fc.property(fc.string(), (s) => void parseMeshConfig(s)));
  });
});
