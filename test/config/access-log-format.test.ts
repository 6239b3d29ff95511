/**
 * Envoy access-log formats: parsing (once, at MeshConfig read), errors with their field paths, and
 * rendering (text with `-` for missing values, JSON typed), START_TIME's strftime subset.
 */
import { describe, expect, it } from "vitest";
import { ISTIO_JSON_LABELS, ISTIO_TEXT_FORMAT, parseLogFormat } from "../../src/config/access-log-format.js";
import { parseMeshConfig } from "../../src/config/mesh-config.js";
import { formatAccessLog, formatStartTime, type AccessLogEntry } from "../../src/policy/telemetry/access-log.js";

const entry = (over: Partial<AccessLogEntry> = {}): AccessLogEntry => ({
  startTime: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  durationMs: 12,
  protocol: "HTTP/1.1",
  responseCode: 503,
  responseFlags: "UF,URX",
  responseCodeDetails: "upstream_reset_before_response_started{connection_failure}",
  bytesReceived: 5,
  bytesSent: 19,
  upstreamHost: "10.0.0.1:8080",
  upstreamCluster: "outbound|8080||api.example.com",
  routeName: "api",
  downstreamRemoteAddress: "203.0.113.7",
  upstreamTransportFailureReason: "connection_failure",
  requestHeader: (n) => ({ ":method": "POST", ":path": "/v1/x?y=1", ":authority": "api.example.com", "x-user": "ann", "x-request-id": "rid" } as Record<string, string>)[n] ?? null,
  responseHeader: (n) => (n === "content-type" ? "text/plain" : null),
  attributes: () => ({ request: { headers: { "x-user": "ann" } }, response: { code: 503 } }),
  ...over,
});

describe("access-log formats", () => {
  it("parses Istio's defaults", () => {
    expect(parseLogFormat(ISTIO_TEXT_FORMAT).error).toBeUndefined();
    for (const v of Object.values(ISTIO_JSON_LABELS)) expect(parseLogFormat(v).error).toBeUndefined();
  });

  const bad: [string, RegExp][] = [
    ["%FOO%", /unknown command operator %FOO%/],
    ["%REQ%", /needs an argument/],
    ["%REQ(a?b?c)%", /HEADER or HEADER\?ALTERNATIVE/],
    ["%RESPONSE_CODE(x)%", /takes no arguments/],
    ["%REQ(X)", /not closed/],
    ["100% done", /lone "%"/],
    ["%REQ(X):abc%", /invalid length/],
  ];
  it.each(bad)("refuses %s", (text, msg) => expect(parseLogFormat(text).error).toMatch(msg));

  it("renders text with Envoy's operators, `-` for missing, truncation and %%", () => {
    const { format } = parseLogFormat("%START_TIME(%Y-%m-%dT%H:%M:%E3S)% %REQ(:METHOD)% %REQ(X-MISSING?X-USER):2% %REQ(X-NONE)% %RESP(CONTENT-TYPE)% %RESPONSE_CODE% %RESPONSE_FLAGS% %DURATION% %BYTES_RECEIVED% %BYTES_SENT% %UPSTREAM_HOST% %UPSTREAM_CLUSTER% %ROUTE_NAME% %DOWNSTREAM_REMOTE_ADDRESS% %UPSTREAM_TRANSPORT_FAILURE_REASON% %REQUESTED_SERVER_NAME% %RESPONSE_CODE_DETAILS% 50%%");
    expect(formatAccessLog({ kind: "text", format: format! }, entry())).toBe(
      "2026-01-02T03:04:05.678 POST an - text/plain 503 UF,URX 12 5 19 10.0.0.1:8080 outbound|8080||api.example.com api 203.0.113.7 connection_failure - upstream_reset_before_response_started{connection_failure} 50%",
    );
  });

  it("renders JSON labels typed, missing as null, CEL values", () => {
    const labels = Object.fromEntries(Object.entries({ code: "%RESPONSE_CODE%", path: "%REQ(:PATH)%", none: "%REQ(X-NONE)%", mixed: "u=%REQ(X-USER)%", cel: "%CEL(response.code >= 500)%" }).map(([k, v]) => [k, parseLogFormat(v).format!]));
    expect(JSON.parse(formatAccessLog({ kind: "json", labels }, entry()))).toEqual({ code: 503, path: "/v1/x?y=1", none: null, mixed: "u=ann", cel: "true" });
  });

  it("formats START_TIME like Envoy", () => {
    const t = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    expect(formatStartTime(t)).toBe("2026-01-02T03:04:05.678Z");
    expect(formatStartTime(t, "%s.%3f")).toBe(`${Math.floor(t / 1000)}.678`);
    expect(formatStartTime(t, "%d/%m/%Y %H:%M:%S %z")).toBe("02/01/2026 03:04:05 +0000");
  });

  it("reports format errors in MESH_CONFIG at their field paths", () => {
    const r = parseMeshConfig(JSON.stringify({
      accessLogEncoding: "JSON",
      accessLogFormat: JSON.stringify({ a: "%RESPONSE_CODE%", b: "%NOPE%" }),
      extensionProviders: [
        { name: "t", envoyFileAccessLog: { path: "/dev/stdout", logFormat: { text: "%REQ(:METHOD)% %BOGUS%" } } },
        { name: "l", envoyFileAccessLog: { logFormat: { labels: { ok: "%DURATION%", bad: "%CEL(response.code >=)%" } } } },
        { name: "otel", envoyOtelAls: { port: 4317 } },
        { name: "tracer", opentelemetry: { service: "binding:OTEL", http: { path: "v1/traces", timeout: "2s", headers: [{ name: "X-Key", value: "k" }] } } },
      ],
      defaultProviders: { accessLogging: ["t"], metrics: "prometheus" },
    }));
    expect(r.errors.map((e) => e.path)).toEqual([
      "defaultProviders.metrics",
      "accessLogFormat.b",
      "extensionProviders[0].envoyFileAccessLog.logFormat.text",
      "extensionProviders[1].envoyFileAccessLog.logFormat.labels.bad",
      "extensionProviders[2].envoyOtelAls.service",
    ]);
    expect(r.errors[2]!.message).toMatch(/unknown command operator %BOGUS%/);
    expect(r.config.telemetry.defaultProviders.accessLogging).toEqual(["t"]);
    expect(r.config.telemetry.providers.tracer).toMatchObject({ kind: "opentelemetry", service: "binding:OTEL", http: { path: "/v1/traces", timeoutMs: 2000, headers: { "x-key": "k" } } });
    expect(r.config.telemetry.providers.t).toBeUndefined();
    expect(r.config.telemetry.providers.envoy).toMatchObject({ kind: "envoyFileAccessLog" });
  });
});
