/**
 * Tracing through the gateway: trace context continued and propagated (W3C and B3) to origins and
 * members, the caller's sampling decision honoured, and Envoy-like spans (a server span per request,
 * a client span per attempt, mirror and ext-authz check) exported over OTLP/HTTP to the collector the
 * mesh config's `opentelemetry` provider names (the test-otel member, protobuf since `http` is set).
 * The exported bodies are decoded by the receiver in test/global-setup.ts with the OpenTelemetry
 * proto definitions, never by hand. Random sampling is 0% in the test mesh config, so only requests
 * that arrive sampled are traced.
 */
import { env, exports } from "cloudflare:workers";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { applyYaml, BOOKINFO_YAML } from "../helpers/admin.js";
import { gatewayYaml, loopbackOriginYaml } from "../helpers/fixtures.js";
import { decodedSpans, otelCollector, spansOf, waitForSpans, type DecodedSpan } from "../helpers/otlp.js";

const { echo, scripted } = inject("origins");
const call = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(`http://127.0.0.1:8787${path}`, { headers: { host: "trace.example.com", ...headers } });

let n = 0;
/** A fresh trace id per request, so each test reads only its own spans. */
const traceId = () => (Date.now().toString(16) + (++n).toString(16)).padStart(32, "a").slice(-32);
const PARENT = "00f067aa0ba902b7";
const attr = (s: DecodedSpan, key: string) => s.attributes[key];

describe("tracing", () => {
  beforeAll(async () => {
    expect((await applyYaml(BOOKINFO_YAML)).status).toBe(200);
    const res = await applyYaml(`
${gatewayYaml("trace", ["trace.example.com"])}---
${loopbackOriginYaml("trace-echo", "trace-echo.internal", echo)}---
${loopbackOriginYaml("trace-scripted", "trace-scripted.internal", scripted)}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: trace, namespace: default}
spec:
  hosts: [trace.example.com]
  gateways: [trace]
  http:
  - match: [{uri: {prefix: /flaky/}}]
    route: [{destination: {host: trace-scripted.internal}}]
    retries: {attempts: 3, retryOn: 5xx}
  - match: [{uri: {prefix: /mirrored}}]
    route: [{destination: {host: trace-echo.internal}}]
    mirror: {host: trace-scripted.internal}
  - match: [{uri: {prefix: /member/}}]
    rewrite: {uri: /}
    route: [{destination: {host: reviews.default.svc.cluster.local, subset: v2}}]
  - match: [{uri: {prefix: /checked}}]
    route: [{destination: {host: trace-echo.internal}}]
  - route: [{destination: {host: trace-echo.internal}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: trace-ext, namespace: istio-system}
spec:
  action: CUSTOM
  provider: {name: test-authz}
  rules: [{to: [{operation: {hosts: [trace.example.com], paths: ["/checked*"]}}]}]
`);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  beforeEach(async () => {
    await otelCollector().fetch("http://otel/__reset");
  });

  describe("propagation", () => {
    it("continues a W3C trace: same trace id and flags upstream, the gateway's span as parent; no B3 added (the provider's format is W3C)", async () => {
      const t = traceId();
      const res = await call("/echo", { traceparent: `00-${t}-${PARENT}-00`, tracestate: "vendor=x" });
      const seen = (await res.json()) as { headers: Record<string, string> };
      const [, trace, span, flags] = seen.headers.traceparent!.split("-");
      expect(trace).toBe(t);
      expect(span).not.toBe(PARENT);
      expect(flags).toBe("00");
      expect(seen.headers.tracestate).toBe("vendor=x");
      expect(seen.headers["x-b3-traceid"]).toBeUndefined();
      expect(seen.headers["x-b3-sampled"]).toBeUndefined();
    });

    it("continues a B3 multi-header trace (Bookinfo's) and writes W3C too", async () => {
      const t = traceId();
      const res = await call("/echo", { "x-b3-traceid": t, "x-b3-spanid": PARENT, "x-b3-sampled": "0" });
      const seen = (await res.json()) as { headers: Record<string, string> };
      expect(seen.headers["x-b3-traceid"]).toBe(t);
      expect(seen.headers["x-b3-parentspanid"]).toBe(PARENT);
      const [, , span] = seen.headers.traceparent!.split("-");
      expect(seen.headers.traceparent).toMatch(new RegExp(`^00-${t}-[0-9a-f]{16}-00$`));
      expect(seen.headers["x-b3-spanid"]).toBe(span);
    });

    it("answers a B3 single-header caller in kind, 64-bit trace ids padded", async () => {
      const res = await call("/echo", { b3: `a3ce929d0e0e4736-${PARENT}-0` });
      const seen = (await res.json()) as { headers: Record<string, string> };
      expect(seen.headers.b3).toMatch(new RegExp(`^0000000000000000a3ce929d0e0e4736-[0-9a-f]{16}-0-${PARENT}$`));
      expect(seen.headers["x-b3-traceid"]).toBeUndefined();
    });

    it("starts a trace when none comes in (not sampled at 0%)", async () => {
      const res = await call("/echo");
      const seen = (await res.json()) as { headers: Record<string, string> };
      expect(seen.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      expect(seen.headers["x-b3-sampled"]).toBeUndefined();
    });

    it("reaches members through their binding (reviews calls ratings with the same trace)", async () => {
      const t = traceId();
      const res = await call("/member/reviews/0", { "x-b3-traceid": t, "x-b3-spanid": PARENT, "x-b3-sampled": "1" });
      expect(res.status).toBe(200);
      // The member propagates B3 onward: the gateway sees its east-west call to ratings in the same trace.
      const spans = await waitForSpans(t, (s) => s.some((x) => x.name.startsWith("ratings")));
      // The east-west server span is a child of the gateway's client span toward reviews.
      const toReviews = spans.find((s) => s.name.includes("reviews") && s.kind === 3)!;
      const ratings = spans.find((s) => s.name.startsWith("ratings") && s.kind === 2)!;
      expect(ratings.parentSpanId).toBe(toReviews.spanId);
      const servers = spans.filter((s) => s.kind === 2);
      expect(servers.length).toBeGreaterThanOrEqual(2);
      expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([t]));
    });
  });

  describe("sampling", () => {
    it("exports nothing for a request that arrives unsampled", async () => {
      const t = traceId();
      await call("/echo", { traceparent: `00-${t}-${PARENT}-00` });
      const sampled = traceId();
      await call("/echo", { traceparent: `00-${sampled}-${PARENT}-01` });
      await waitForSpans(sampled);
      expect(spansOf(await decodedSpans(), t)).toEqual([]);
    });

    it("honours x-b3-sampled: 1 on a B3 trace", async () => {
      const t = traceId();
      await call("/echo", { "x-b3-traceid": t, "x-b3-spanid": PARENT, "x-b3-sampled": "1" });
      expect((await waitForSpans(t)).length).toBe(2);
    });
  });

  describe("spans", () => {
    it("a server span with Istio's tags, and a client span that is the upstream's parent", async () => {
      const t = traceId();
      const res = await call("/echo/x?q=1", { traceparent: `00-${t}-${PARENT}-01`, "user-agent": "trace-test" });
      const seen = (await res.json()) as { headers: Record<string, string> };
      const spans = await waitForSpans(t);
      const server = spans.find((s) => s.kind === 2)!;
      const client = spans.find((s) => s.kind === 3)!;
      expect(server.parentSpanId).toBe(PARENT);
      expect(client.parentSpanId).toBe(server.spanId);
      expect(seen.headers.traceparent).toBe(`00-${t}-${client.spanId}-01`);
      expect(server.name).toBe("trace-echo.internal:80/*");
      expect(client.name).toBe("router outbound|80||trace-echo.internal egress");
      expect(attr(server, "istio.canonical_service")).toBe("istio-ingressgateway");
      expect(attr(server, "istio.namespace")).toBe("istio-system");
      expect(attr(server, "http.status_code")).toBe("200");
      expect(attr(server, "http.method")).toBe("GET");
      expect(attr(server, "http.url")).toBe("http://trace.example.com/echo/x?q=1");
      expect(attr(server, "response_flags")).toBe("-");
      expect(attr(server, "upstream_cluster")).toBe("outbound|80||trace-echo.internal");
      expect(attr(server, "user_agent")).toBe("trace-test");
      expect(attr(server, "guid:x-request-id")).toBe(seen.headers["x-request-id"]);
      expect(attr(client, "upstream_address")).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(Number(server.endTimeUnixNano)).toBeGreaterThanOrEqual(Number(server.startTimeUnixNano));
      expect(spans[0]!.resource["service.name"]).toBe("istio-ingressgateway.istio-system");
    });

    it("one client span per attempt: retries are visible, the failed ones marked as errors", async () => {
      const t = traceId();
      const res = await call(`/flaky/trace-${t}/2`, { traceparent: `00-${t}-${PARENT}-01` });
      expect(res.status).toBe(200);
      const spans = await waitForSpans(t);
      const clients = spans.filter((s) => s.kind === 3).sort((a, b) => Number(attr(a, "attempt")) - Number(attr(b, "attempt")));
      expect(clients.map((s) => attr(s, "http.status_code"))).toEqual(["503", "503", "200"]);
      expect(clients.map((s) => s.status?.code ?? 0)).toEqual([2, 2, 0]);
      expect(new Set(clients.map((s) => s.spanId)).size).toBe(3);
    });

    it("a mirror is a client span of its own", async () => {
      const t = traceId();
      await call("/mirrored", { traceparent: `00-${t}-${PARENT}-01` });
      const spans = await waitForSpans(t, (s) => s.some((x) => attr(x, "mirror") === true));
      const mirror = spans.find((s) => attr(s, "mirror") === true)!;
      expect(mirror.name).toBe("router outbound|80||trace-scripted.internal egress");
    });

    it("the external authorization check is a client span", async () => {
      const t = traceId();
      const res = await call("/checked", { traceparent: `00-${t}-${PARENT}-01`, "x-allow": "yes" });
      expect(res.status).toBe(200);
      const spans = await waitForSpans(t, (s) => s.length >= 3);
      const check = spans.find((s) => s.name === "async test-authz egress")!;
      expect(attr(check, "ext_authz.allowed")).toBe(true);
    });

    it("a JWKS fetch for the gateway's RequestAuthentication is a client span", async () => {
      const pair = await generateKeyPair("ES256", { extractable: true });
      const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "trace", alg: "ES256" }] });
      await fetch(`http://127.0.0.1:${scripted}/__jwks`, { method: "PUT", body: jwks });
      const res = await applyYaml(`
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: trace-jwt, namespace: istio-system}
spec:
  jwtRules:
  - issuer: https://trace.example.com
    jwksUri: http://127.0.0.1:${scripted}/jwks.json?for=tracing
`);
      expect(res.status, await res.clone().text()).toBe(200);
      const token = await new SignJWT({ sub: "t" }).setProtectedHeader({ alg: "ES256", kid: "trace" }).setIssuer("https://trace.example.com").setExpirationTime("5m").sign(pair.privateKey);
      const t = traceId();
      expect((await call("/echo", { traceparent: `00-${t}-${PARENT}-01`, authorization: `Bearer ${token}` })).status).toBe(200);
      const spans = await waitForSpans(t, (s) => s.some((x) => x.name === "async jwks egress"));
      const jwksSpan = spans.find((x) => x.name === "async jwks egress")!;
      expect(attr(jwksSpan, "http.url")).toContain("/jwks.json?for=tracing");
      expect(attr(jwksSpan, "http.status_code")).toBe("200");
      expect(jwksSpan.parentSpanId).toBe(spans.find((s) => s.kind === 2)!.spanId);
    });

    it("a local reply (404 NR) is a server span with its flag", async () => {
      const t = traceId();
      const res = await exports.default.fetch("http://127.0.0.1:8787/x", { headers: { host: "nothing.example.com", traceparent: `00-${t}-${PARENT}-01` } });
      expect(res.status).toBe(404);
      const [server] = await waitForSpans(t);
      expect(attr(server!, "response_flags")).toBe("NR");
      expect(attr(server!, "http.status_code")).toBe("404");
      expect(attr(server!, "upstream_cluster")).toBe("-");
    });
  });

  describe("a collector that is down costs no request anything", () => {
    it("hanging collector: requests answer at once; failing collector: batches dropped and counted", async () => {
      const collector = otelCollector();
      await collector.fetch("http://otel/__mode", { method: "POST", body: "hang" });
      const started = Date.now();
      for (let i = 0; i < 5; i++) {
        const res = await call("/echo", { traceparent: `00-${traceId()}-${PARENT}-01` });
        expect(res.status).toBe(200);
      }
      expect(Date.now() - started).toBeLessThan(1000);
      await collector.fetch("http://otel/__mode", { method: "POST", body: "fail" });
      expect((await call("/echo", { traceparent: `00-${traceId()}-${PARENT}-01` })).status).toBe(200);
      await collector.fetch("http://otel/__mode", { method: "POST", body: "ok" });
      const t = traceId();
      await call("/echo", { traceparent: `00-${t}-${PARENT}-01` });
      expect((await waitForSpans(t)).length).toBe(2);
    });
  });
});

void env;
