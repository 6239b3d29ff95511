/**
 * Resilience through the gateway against loopback origins that refuse, stall or fail on purpose:
 * retries, per-try and route timeouts, outlier ejection shared through the Circuit Durable Object,
 * connection-pool overflow, load balancing and weighted splits.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { applyYaml } from "../helpers/admin.js";
import { gatewayYaml, loopbackOriginYaml } from "../helpers/fixtures.js";

const { scripted, scriptedB } = inject("origins");

const se = (name: string, endpoints: string) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [${name}.internal]
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: ${endpoints}
`;

const config = `
${gatewayYaml("res", ["res.example.com"])}---${se("one", `[{address: 127.0.0.1, ports: {http: ${scripted}}}]`)}
---${se("two", `[{address: 127.0.0.1, ports: {http: ${scripted}}, labels: {v: a}}, {address: 127.0.0.1, ports: {http: ${scriptedB}}, labels: {v: b}}]`)}
---${se("half-dead", `[{address: 127.0.0.1, ports: {http: 1}}, {address: 127.0.0.1, ports: {http: ${scripted}}}]`)}
---${se("pool", `[{address: 127.0.0.1, ports: {http: ${scripted}}}]`)}
---${se("ejecting", `[{address: 127.0.0.1, ports: {http: ${scripted}}}, {address: 127.0.0.1, ports: {http: ${scriptedB}}}]`)}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: half-dead, namespace: default}
spec:
  host: half-dead.internal
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: pool, namespace: default}
spec:
  host: pool.internal
  trafficPolicy:
    connectionPool: {http: {http2MaxRequests: 1}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: two, namespace: default}
spec:
  host: two.internal
  trafficPolicy:
    loadBalancer: {consistentHash: {httpHeaderName: x-user}}
  subsets:
  - {name: a, labels: {v: a}, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}}
  - {name: b, labels: {v: b}, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ejecting, namespace: default}
spec:
  host: ejecting.internal
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 100}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: res, namespace: default}
spec:
  hosts: [res.example.com]
  gateways: [res]
  http:
  - name: retry-5xx
    match: [{uri: {prefix: /retry5xx/}}]
    retries: {attempts: 3, retryOn: 5xx, perTryTimeout: 2s}
    route: [{destination: {host: one.internal}}]
    rewrite: {uri: /flaky/}
  - name: default-policy
    match: [{uri: {prefix: /default/}}]
    route: [{destination: {host: one.internal}}]
    rewrite: {uri: /flaky/}
  - name: no-retries
    match: [{uri: {prefix: /half-dead-noretry}}]
    retries: {attempts: 0}
    route: [{destination: {host: half-dead.internal}}]
  - name: connect-failure
    match: [{uri: {prefix: /half-dead}}]
    route: [{destination: {host: half-dead.internal}}]
  - name: per-try
    match: [{uri: {prefix: /pertry/}}]
    retries: {attempts: 1, retryOn: gateway-error, perTryTimeout: 100ms}
    route: [{destination: {host: one.internal}}]
    rewrite: {uri: /slow/}
  - name: timeout
    match: [{uri: {prefix: /timeout/}}]
    timeout: 1500ms
    route: [{destination: {host: one.internal}}]
    rewrite: {uri: /slow/}
  - name: pool
    match: [{uri: {prefix: /pool/}}]
    route: [{destination: {host: pool.internal}}]
    rewrite: {uri: /slow/}
  - name: sticky
    match: [{uri: {prefix: /sticky}}]
    route: [{destination: {host: two.internal}}]
  - name: split
    match: [{uri: {prefix: /split}}]
    route:
    - {destination: {host: two.internal, subset: a}, weight: 80}
    - {destination: {host: two.internal, subset: b}, weight: 20}
  - name: ejecting
    match: [{uri: {prefix: /eject/}}]
    retries: {attempts: 0}
    route: [{destination: {host: ejecting.internal}}]
    rewrite: {uri: /failon/}
`;

const call = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(`http://127.0.0.1:8787${path}`, { headers: { host: "res.example.com", ...headers } });

describe("resilience through the gateway", () => {
  beforeAll(async () => {
    const res = await applyYaml(config);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("retries 5xx up to `attempts` and succeeds once the origin recovers", async () => {
    const id = `r5-${Date.now()}`;
    const res = await call(`/retry5xx/${id}/2`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok after 2 failures");
  });

  it("gives up after attempts + 1 requests and passes the last 503 on", async () => {
    const id = `r5x-${Date.now()}`;
    const res = await call(`/retry5xx/${id}/10`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("flaky 4");
  });

  it("does not retry an upstream 503 under Istio's default policy", async () => {
    const res = await call(`/default/d-${Date.now()}/1`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("flaky 1");
  });

  it("retries a refused connection on another endpoint under the default policy", async () => {
    for (let i = 0; i < 6; i++) expect((await call("/half-dead")).status).toBe(200);
  });

  it("answers 503 with Envoy's reset text when retries are off and the endpoint refuses", async () => {
    const statuses = new Set<number>();
    let body = "";
    for (let i = 0; i < 6; i++) {
      const res = await call("/half-dead-noretry");
      statuses.add(res.status);
      if (res.status === 503) body = await res.text();
      else await res.body?.cancel();
    }
    expect(statuses).toEqual(new Set([200, 503]));
    expect(body).toMatch(/^upstream connect error or disconnect\/reset before headers\. reset reason: .*connection failure/);
  });

  it("times out each try and retries gateway errors, then answers 504", async () => {
    const res = await call("/pertry/400");
    expect(res.status).toBe(504);
    expect(await res.text()).toBe("upstream request timeout");
  });

  it("bounds the whole request with the route timeout (504 UT)", async () => {
    // The fast request first: after a timed-out one, the origin may still hold the aborted exchange.
    expect((await call("/timeout/10")).status).toBe(200);
    const res = await call("/timeout/4000");
    expect(res.status).toBe(504);
    expect(await res.text()).toBe("upstream request timeout");
  });

  it("answers 503 overflow beyond the connection pool limit, without retrying", async () => {
    const [a, b] = await Promise.all([call("/pool/300"), call("/pool/300")]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 503]);
    const overflow = a.status === 503 ? a : b;
    expect(await overflow.text()).toMatch(/reset reason: overflow$/);
  });

  it("keeps a consistent-hash key on one endpoint", async () => {
    for (const user of ["alice", "bob", "carol"]) {
      const ports = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const res = await call("/sticky", { "x-user": user });
        ports.add(res.headers.get("x-origin-port") ?? "");
        await res.body?.cancel();
      }
      expect(ports.size).toBe(1);
    }
  });

  it("splits by weight within tolerance over 500 requests", async () => {
    let a = 0;
    const n = 500;
    for (let i = 0; i < n; i++) {
      const res = await call("/split");
      if (res.headers.get("x-origin-port") === String(scripted)) a++;
      await res.body?.cancel();
    }
    // 80 % expected; 4 standard deviations of a binomial(500, 0.8) ≈ ±36.
    expect(a).toBeGreaterThan(400 - 36);
    expect(a).toBeLessThan(400 + 36);
  });

  it("ejects an endpoint after consecutive 5xx, shares it through the Circuit DO, and routes around it", async () => {
    // Every request to /eject/scripted fails on the `scripted` endpoint and succeeds on `scripted-b`.
    const first: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await call("/eject/scripted");
      first.push(res.status);
      await res.body?.cancel();
    }
    expect(first).toContain(500);
    // Outcomes reach the Circuit Durable Object with waitUntil, through the location's relay (which
    // forwards at most once a second); the isolate's view refreshes from the relay.
    const { env } = await import("cloudflare:workers");
    let ejected: Record<string, number> = {};
    for (let i = 0; i < 80 && Object.keys(ejected).length === 0; i++) {
      await new Promise((ok) => setTimeout(ok, 50));
      ejected = (await env.CIRCUIT.getByName("outbound|80||ejecting.internal").state()).ejected;
    }
    expect(Object.keys(ejected)).toEqual([`127.0.0.1:${scripted}`]);
    await new Promise((ok) => setTimeout(ok, 2100)); // the view re-reads its relay at most once a second, the relay the Circuit too
    await call("/eject/scripted").then((r) => r.body?.cancel());
    await new Promise((ok) => setTimeout(ok, 100));
    const after: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await call("/eject/scripted");
      after.push(res.status);
      await res.body?.cancel();
    }
    expect(after).toEqual(Array(8).fill(200));
  });
});
