/**
 * Telemetry (telemetry.istio.io/v1) through the gateway in workerd: access logs (Istio's default text
 * format, user text formats with Envoy's command operators, JSON labels), CEL filters, metric tag
 * overrides and disabled metrics, Istio's precedence (root < namespace < workload), and the tracing
 * settings compiled into the snapshot. The test MESH_CONFIG (vitest.config.ts) defines the
 * `custom-text` and `json-labels` providers; `envoy` and `prometheus` are built in.
 */
import { exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { admin, applyYaml, BOOKINFO_YAML, deleteYaml, TASKS } from "../helpers/admin.js";
import { checkPrometheusText, type Sample } from "../helpers/prometheus-text.js";

const telemetry = (name: string, namespace: string, spec: string) =>
  `apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${spec.replace(/^/gm, "  ")}\n`;

/** Console lines written while `fn` runs, one entry per console.log call. */
async function logsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
  try {
    await fn();
    return spy.mock.calls.map((c) => c.map(String).join(" "));
  } finally {
    spy.mockRestore();
  }
}

const get = (path: string, headers: Record<string, string> = {}) => exports.default.fetch(`http://gw${path}`, { headers: { host: "bookinfo.local", ...headers } });

async function scrape(): Promise<Sample[]> {
  const { problems, samples } = checkPrometheusText(await (await admin("/metrics")).text());
  expect(problems).toEqual([]);
  return samples;
}

describe("Telemetry: access logs, filters, overrides and precedence", () => {
  const applied: string[] = [];
  const apply = async (yaml: string) => {
    const res = await applyYaml(yaml);
    expect(res.status, await res.clone().text()).toBe(200);
    applied.push(yaml);
  };

  beforeAll(async () => {
    expect((await applyYaml(BOOKINFO_YAML)).status).toBe(200);
    expect((await applyYaml(TASKS.allV1)).status).toBe(200);
  });
  afterEach(async () => {
    while (applied.length) await deleteYaml(applied.pop()!);
  });

  it("logs nothing without a Telemetry (Istio's default)", async () => {
    const lines = await logsOf(() => get("/productpage"));
    expect(lines.filter((l) => l.includes("/productpage"))).toEqual([]);
  });

  it("writes Istio's default text format, one console.log per request", async () => {
    await apply(telemetry("mesh-default", "istio-system", "accessLogging:\n- providers: [{name: envoy}]"));
    // A client's own x-envoy-original-path is dropped at the edge and never reaches the log.
    const lines = await logsOf(() => get("/productpage", { "user-agent": "curl/8", "x-forwarded-for": "203.0.113.9", "x-envoy-original-path": "/spoofed" }));
    const mine = lines.filter((l) => l.includes('"GET /productpage '));
    expect(mine).toHaveLength(1);
    const m = /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] "GET \/productpage HTTP\/1\.1" 200 - via_upstream - "-" 0 \d+ \d+ - "203\.0\.113\.9" "curl\/8" "([0-9a-f-]{36})" "bookinfo\.local" "binding:BOOKINFO_PRODUCTPAGE" outbound\|9080\|\|productpage\.default\.svc\.cluster\.local - - - - productpage$/.exec(mine[0]!);
    expect(m, mine[0]).not.toBeNull();
    // productpage's own calls through the mesh are requests too, one line each, with the same request id (an edge id is generated, then kept).
    expect(lines.find((l) => l.includes('"GET /details/0 HTTP/1.1" 200 '))).toContain(`"${m![1]}" "details:9080" "binding:BOOKINFO_DETAILS" outbound|9080||details.default.svc.cluster.local`);
    expect(lines.filter((l) => l.includes(m![1]!))).toHaveLength(3);
    // A local reply: flag and details.
    const nr = await logsOf(() => exports.default.fetch("http://gw/x", { headers: { host: "nobody.example" } }));
    expect(nr.find((l) => l.includes('"GET /x '))).toMatch(/"GET \/x HTTP\/1\.1" 404 NR route_not_found /);
  });

  it("filters with CEL (filter.expression) and formats with the provider's operators", async () => {
    await apply(telemetry("mesh-default", "istio-system", "accessLogging:\n- providers: [{name: custom-text}, {name: json-labels}]\n  filter: {expression: \"response.code >= 400 || request.headers['x-log'] == 'yes'\"}"));
    const quiet = await logsOf(() => get("/productpage", { "x-request-id": "req-quiet" }));
    expect(quiet.filter((l) => l.includes("req-quiet") || l.includes("/productpage"))).toEqual([]);
    const loud = await logsOf(() => get("/productpage?u=1", { "x-log": "yes", "x-fallback": "fallback-user", "x-tag": "blue" }));
    const edge = loud.filter((l) => l.startsWith("custom GET fallba"));
    expect(edge).toHaveLength(1);
    const [text, json] = edge[0]!.split("\n");
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, "/");
    expect(text).toMatch(new RegExp(`^custom GET fallba 200 - via_upstream \\S+ outbound\\|9080\\|\\|productpage\\.default\\.svc\\.cluster\\.local binding:BOOKINFO_PRODUCTPAGE ${day} \\d+ blue 100%$`));
    expect(JSON.parse(json!)).toEqual({ code: 200, path: "/productpage?u=1", user: null, details: "via_upstream", tagged: "tag=blue" });
    const denied = await logsOf(() => exports.default.fetch("http://gw/missing", { headers: { host: "nobody.example", "x-user": "jason" } }));
    expect(denied.find((l) => l.startsWith("custom GET jason 404 NR route_not_found - - - "))).toBeDefined();
  });

  it("follows Istio's precedence: a gateway-selecting Telemetry overrides the root one", async () => {
    await apply(telemetry("mesh-default", "istio-system", "accessLogging:\n- providers: [{name: envoy}]"));
    await apply(telemetry("gateway-quiet", "istio-system", "selector: {matchLabels: {istio: ingressgateway}}\naccessLogging:\n- disabled: true"));
    const lines = await logsOf(() => get("/productpage", { "x-request-id": "req-prec" }));
    // The gateway's own line is gone; productpage's calls (its scope: the root Telemetry) still log.
    expect(lines.filter((l) => l.includes('"req-prec"') && l.includes("/productpage"))).toEqual([]);
    expect(lines.some((l) => l.includes('"GET /details/0 HTTP/1.1" 200'))).toBe(true);
    // A namespace Telemetry for default turns productpage's (client) logs off, reviews' (server) too.
    await apply(telemetry("ns-quiet", "default", "accessLogging:\n- disabled: true"));
    const none = await logsOf(() => get("/productpage"));
    expect(none.filter((l) => l.includes("HTTP/1.1"))).toEqual([]);
  });

  it("applies metrics overrides: tagOverrides (CEL), REMOVE, disabled metrics", async () => {
    await apply(telemetry("mesh-default", "istio-system", [
      "metrics:",
      "- providers: [{name: prometheus}]",
      "  overrides:",
      "  - match: {metric: REQUEST_COUNT, mode: CLIENT}",
      "    tagOverrides:",
      "      request_host: {value: request.host}",
      "      user_tier: {value: \"request.headers['x-tier']\"}",
      "      destination_canonical_revision: {operation: REMOVE}",
      "  - match: {metric: REQUEST_SIZE}",
      "    disabled: true",
    ].join("\n")));
    expect((await get("/productpage", { "x-tier": "gold" })).status).toBe(200);
    const samples = await scrape();
    const counted = samples.filter((s) => s.name === "istio_requests_total" && s.labels.request_host === "bookinfo.local" && s.labels.reporter === "source");
    expect(counted.length).toBeGreaterThan(0);
    expect(counted[0]!.labels).toMatchObject({ user_tier: "gold", destination_service_name: "productpage" });
    expect(counted[0]!.labels).not.toHaveProperty("destination_canonical_revision");
    // A failing expression writes `unknown` (productpage's calls carry no x-tier).
    expect(samples.some((s) => s.name === "istio_requests_total" && s.labels.user_tier === "unknown" && s.labels.source_workload === "bookinfo-productpage")).toBe(true);
    // Other metrics keep the standard labels; SERVER mode (reporter=destination) has no override.
    expect(samples.some((s) => s.name === "istio_request_duration_milliseconds_count" && "request_host" in s.labels)).toBe(false);
    expect(samples.some((s) => s.name === "istio_requests_total" && s.labels.reporter === "destination" && "request_host" in s.labels)).toBe(false);
    // REQUEST_SIZE disabled: no series with the new label set at all (labels of requests after the override).
    const before = samples.filter((s) => s.name === "istio_request_bytes_count" && s.labels.reporter === "source" && s.labels.destination_service_name === "productpage").reduce((n, s) => n + s.value, 0);
    await get("/productpage");
    const after = (await scrape()).filter((s) => s.name === "istio_request_bytes_count" && s.labels.reporter === "source" && s.labels.destination_service_name === "productpage").reduce((n, s) => n + s.value, 0);
    expect(after).toBe(before);
  });

  it("disables every metric of a workload (ALL_METRICS) at workload scope", async () => {
    await apply(telemetry("reviews-off", "default", "selector: {matchLabels: {app: reviews}}\nmetrics:\n- overrides:\n  - match: {metric: ALL_METRICS, mode: SERVER}\n    disabled: true"));
    const count = async () => (await scrape()).filter((s) => s.name === "istio_requests_total" && s.labels.reporter === "destination" && s.labels.destination_app === "reviews").reduce((n, s) => n + s.value, 0);
    const before = await count();
    await get("/productpage");
    expect(await count()).toBe(before);
    // The client side (productpage → reviews, reporter=source) still counts.
    expect((await scrape()).some((s) => s.name === "istio_requests_total" && s.labels.reporter === "source" && s.labels.destination_app === "reviews")).toBe(true);
  });

  it("compiles tracing into the snapshot with Istio's field merge", async () => {
    await apply(telemetry("mesh-default", "istio-system", "tracing:\n- randomSamplingPercentage: 10\n  customTags: {env: {literal: {value: prod}}}"));
    await apply(telemetry("gateway-trace", "istio-system", "selector: {matchLabels: {istio: ingressgateway}}\ntracing:\n- match: {mode: CLIENT}\n  randomSamplingPercentage: 50\n  disableSpanReporting: false"));
    const dump = (await (await admin("/config_dump")).json()) as { telemetry: { gateway: { from: string[]; tracing: { client: Record<string, unknown>; server: Record<string, unknown> } } } };
    expect(dump.telemetry.gateway.from).toEqual(["istio-system/mesh-default", "istio-system/gateway-trace"]);
    expect(dump.telemetry.gateway.tracing.client).toMatchObject({ provider: null, randomSamplingPercentage: 50, customTags: { env: { literal: { value: "prod" } } }, useRequestIdForTraceSampling: true });
    expect(dump.telemetry.gateway.tracing.server).toMatchObject({ randomSamplingPercentage: 10 });
  });

  it("explains what stage 11 would report: scopes, series labels, access-log lines", async () => {
    await apply(telemetry("mesh-default", "istio-system", "accessLogging:\n- providers: [{name: envoy}]\nmetrics:\n- overrides:\n  - match: {metric: REQUEST_COUNT}\n    tagOverrides:\n      request_host: {value: request.host}"));
    const res = await admin("/explain", { method: "POST", body: JSON.stringify({ method: "GET", url: "http://bookinfo.local/productpage", headers: {} }) });
    expect(res.status).toBe(200);
    const t = ((await res.json()) as { stages: { telemetry: { source: { telemetry: string[]; metrics: string; labels: Record<string, string> }; destination: { labels: Record<string, string> } | null; accessLog: { provider: string; logged: boolean; line?: string }[] } } }).stages.telemetry;
    expect(t.source).toMatchObject({ telemetry: ["istio-system/mesh-default"], metrics: "overridden", labels: { reporter: "source", request_host: "bookinfo.local", destination_service_name: "productpage" } });
    expect(t.destination?.labels).toMatchObject({ reporter: "destination", destination_workload: "bookinfo-productpage", connection_security_policy: "mutual_tls" });
    expect(t.accessLog).toEqual([{ provider: "envoy", logged: true, line: expect.stringMatching(/"GET \/productpage HTTP\/1\.1" 200 /) }]);
  });

  it("refuses bad CEL with the field path", async () => {
    const res = await applyYaml(telemetry("bad", "istio-system", "metrics:\n- overrides:\n  - tagOverrides:\n      t: {value: \"request.host ==\"}\naccessLogging:\n- filter: {expression: \"response.code >= (400\"}"));
    expect(res.status).toBe(422);
    const paths = ((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["spec.metrics[0].overrides[0].tagOverrides.t.value", "spec.accessLogging[0].filter.expression"]));
  });
});

describe("envoyOtelAls: OTLP/HTTP log export", () => {
  it("batches records and POSTs them to the collector as OTLP JSON, never failing a request when it is down", async () => {
    const { env } = await import("cloudflare:workers");
    const { inject } = await import("vitest");
    const { OtlpLogQueue } = await import("../../src/gateway/runtime/otlp-logs.js");
    const queue = new OtlpLogQueue();
    const { defaultTextFormat } = await import("../../src/config/mesh-telemetry.js");
    const port = inject("origins").scripted;
    await (await fetch(`http://127.0.0.1:${port}/__reset`)).text();
    const provider = { kind: "envoyOtelAls" as const, name: "otel-test", service: `http://127.0.0.1:${port}`, format: defaultTextFormat() };
    const waits: Promise<unknown>[] = [];
    const t0 = Date.now();
    const record = (i: number) => ({ timeUnixNano: `${t0}000000`, severityNumber: 9, severityText: "INFO", body: { stringValue: `line ${i}` }, attributes: [{ key: "response_code", value: { intValue: "200" } }] });
    for (let i = 0; i < 3; i++) queue.enqueue(provider, record(i), env, (p) => void waits.push(p), t0);
    expect(waits).toHaveLength(0); // neither full nor due
    queue.enqueue(provider, record(3), env, (p) => void waits.push(p), t0 + 2500); // due
    await Promise.all(waits);
    const seen = (await (await fetch(`http://127.0.0.1:${port}/__seen/otlp-logs`)).json()) as { count: number; requests: { method: string; path: string; headers: Record<string, string>; body: string }[] };
    expect(seen.count).toBe(1);
    expect(seen.requests[0]).toMatchObject({ method: "POST", path: "/v1/logs", headers: { "content-type": "application/json" } });
    const body = JSON.parse(seen.requests[0]!.body) as { resourceLogs: { resource: unknown; scopeLogs: { logRecords: { body: { stringValue: string } }[] }[] }[] };
    expect(body.resourceLogs[0]!.resource).toEqual({ attributes: [{ key: "service.name", value: { stringValue: "isthmus-gateway" } }] });
    expect(body.resourceLogs[0]!.scopeLogs[0]!.logRecords.map((r) => r.body.stringValue)).toEqual(["line 0", "line 1", "line 2", "line 3"]);
    // A collector that fails (answers 503): the batch is dropped with an error line, nothing throws.
    const down = { ...provider, name: "otel-down", service: `http://127.0.0.1:${port}/status/503` };
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    queue.enqueue(down, record(9), env, () => undefined, t0);
    await queue.send(down, env);
    expect(errors.mock.calls.some((c) => String(c[0]).includes("OTLP access log export failed"))).toBe(true);
    errors.mockRestore();
  });
});
