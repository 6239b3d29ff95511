/**
 * Envoy access-log formats: parsing (once, at MeshConfig read), errors with their field paths, and
 * rendering (text with `-` for missing values, JSON typed), START_TIME's strftime subset.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ISTIO_JSON_LABELS, ISTIO_TEXT_FORMAT, parseLogFormat } from "../../src/config/access-log-format.js";
import { parseMeshConfig } from "../../src/config/mesh-config.js";
import { formatAccessLog, formatStartTime, type AccessLogEntry } from "../../src/policy/telemetry/access-log.js";
import { otlpLogRecord } from "../../src/policy/telemetry/otlp-log-record.js";

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

  it("writes Envoy's long flag names", () => {
    expect(formatAccessLog({ kind: "text", format: parseLogFormat("%RESPONSE_FLAGS_LONG%").format! }, entry())).toBe("UpstreamConnectionFailure,UpstreamRetryLimitExceeded");
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

  it("never throws on arbitrary format text, and renders what it accepts", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("%", "(", ")", ":", "?", "A", "REQ", "START_TIME", "_", "x", "1", " ", "\n") , maxLength: 40 }), (text) => {
        const { format, error } = parseLogFormat(text);
        expect(format === undefined).toBe(error !== undefined);
        if (format) expect(typeof formatAccessLog({ kind: "text", format }, entry())).toBe("string");
      }),
      { numRuns: 500 },
    );
  });

  it("keeps literal text (with %% as %) exactly", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }).filter((t) => !t.includes("%")), (t) => {
        const { format } = parseLogFormat(t + "%%");
        expect(formatAccessLog({ kind: "text", format: format! }, entry())).toBe((t + "%").replace(/\n$/, ""));
      }),
    );
  });
});

describe("envoyOtelAls records (OTLP JSON LogRecord)", () => {
  const text = { kind: "text" as const, format: parseLogFormat("%REQ(:METHOD)% %RESPONSE_CODE% %RESPONSE_FLAGS%").format! };
  const labels = {
    kind: "json" as const,
    labels: { code: parseLogFormat("%RESPONSE_CODE%").format!, user: parseLogFormat("%REQ(X-USER)%").format!, missing: parseLogFormat("%REQ(X-NONE)%").format!, mixed: parseLogFormat("u=%REQ(X-USER)%").format! },
  };

  it("a text format is the body; labels are typed attributes with Istio's default line as the body", () => {
    expect(otlpLogRecord(text, entry(), text)).toEqual({
      timeUnixNano: `${Date.UTC(2026, 0, 2, 3, 4, 5, 678)}000000`, severityNumber: 9, severityText: "INFO", body: { stringValue: "POST 503 UF,URX" }, attributes: [],
    });
    const r = otlpLogRecord(labels, entry(), text);
    expect(r.body).toEqual({ stringValue: "POST 503 UF,URX" });
    expect(r.attributes).toEqual([
      { key: "code", value: { intValue: "503" } },
      { key: "user", value: { stringValue: "ann" } },
      { key: "mixed", value: { stringValue: "u=ann" } },
    ]);
  });

  it("attributes are the JSON line's labels, whatever the entry", () => {
    fc.assert(fc.property(fc.integer({ min: 100, max: 599 }), fc.option(fc.string({ maxLength: 12 }), { nil: null }), (code, user) => {
      const e = entry({ responseCode: code, requestHeader: (n) => (n === "x-user" ? user : null) });
      const line = JSON.parse(formatAccessLog(labels, e)) as Record<string, unknown>;
      const attrs = Object.fromEntries(otlpLogRecord(labels, e, text).attributes.map((a) => [a.key, "intValue" in a.value ? Number(a.value.intValue) : a.value.stringValue]));
      expect(attrs).toEqual(Object.fromEntries(Object.entries(line).filter(([, v]) => v !== null)));
    }));
  });
});
