/**
 * Regression tests for the defects issue 7 found when measuring: a fault abort with status 600 (valid in
 * Istio) aborts instead of failing with 500, a plain upstream 503 under Istio's default retry policy is attempted once (also
 * when the service has a second endpoint a retry could pick), and a Gateway's httpsRedirect answers
 * `https://` (the `npm start` half is test/scripts/start-proxy.test.ts).
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { applyYaml } from "../helpers/admin.js";
import { gatewayYaml } from "../helpers/fixtures.js";

const { scripted, scriptedB } = inject("origins");

const config = `
${gatewayYaml("defects", ["defects.example.com"])}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: defects-tls, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [secure.defects.example.com]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: two-origins, namespace: default}
spec:
  hosts: [two.defects.internal]
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
  - {address: 127.0.0.1, ports: {http: ${scripted}}}
  - {address: 127.0.0.1, ports: {http: ${scriptedB}}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: defects, namespace: default}
spec:
  hosts: [defects.example.com, secure.defects.example.com]
  gateways: [defects, defects-tls]
  http:
  - name: abort-600
    match: [{uri: {prefix: /abort600}}]
    fault: {abort: {httpStatus: 600, percentage: {value: 100}}}
    route: [{destination: {host: two.defects.internal}}]
  - name: plain-503
    match: [{uri: {prefix: /status/}}]
    route: [{destination: {host: two.defects.internal}}]
`;

const call = (path: string, host = "defects.example.com", headers: Record<string, string> = {}) =>
  exports.default.fetch(`http://127.0.0.1:8787${path}`, { redirect: "manual", headers: { host, ...headers } });

async function seen(port: number, key: string): Promise<number> {
  return ((await (await fetch(`http://127.0.0.1:${port}/__seen/${key}`)).json()) as { count: number }).count;
}

describe("issue 7 defects", () => {
  beforeAll(async () => {
    const res = await applyYaml(config);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("a fault abort with httpStatus 600 is accepted (Istio's validateHTTPStatus allows 200..600) and aborts with 599, the highest status a Worker can send", async () => {
    const res = await call("/abort600");
    expect(res.status).toBe(599);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(await res.text()).toBe("fault filter abort");
  });

  it("a plain upstream 503 without VirtualService retries is attempted once (Istio >= 1.24 default retryOn has no 503)", async () => {
    const key = `plain503-${Date.now()}`;
    const res = await call("/status/503", "defects.example.com", { "x-test-key": key });
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("status 503");
    expect((await seen(scripted, key)) + (await seen(scriptedB, key))).toBe(1);
  });

  it("a Gateway server with tls.httpsRedirect answers 301 to the https URL", async () => {
    const res = await call("/a/b?c=1", "secure.defects.example.com");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("https://secure.defects.example.com/a/b?c=1");
  });

  it("behind npm start's front proxy (neutral Host, the client's in x-isthmus-dev-host) the redirect names the client's host over https", async () => {
    // What scripts/start.mjs sends wrangler dev: its inner address as Host, so wrangler dev's proxy (which
    // rewrites absolute URLs with the request's own host to http://) leaves the Location alone.
    const res = await call("/a?c=1", "127.0.0.1:40123", { "x-isthmus-dev-host": "secure.defects.example.com:8787" });
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("https://secure.defects.example.com:8787/a?c=1");
  });

  it("the front proxy's header is consumed: the upstream never sees it", async () => {
    const key = `devhost-${Date.now()}`;
    const res = await call("/status/200", "127.0.0.1:40123", { "x-isthmus-dev-host": "defects.example.com", "x-test-key": key });
    expect(res.status).toBe(200);
    const a = (await (await fetch(`http://127.0.0.1:${scripted}/__seen/${key}`)).json()) as { requests: { headers: Record<string, string> }[] };
    const b = (await (await fetch(`http://127.0.0.1:${scriptedB}/__seen/${key}`)).json()) as { requests: { headers: Record<string, string> }[] };
    const [seenReq] = [...a.requests, ...b.requests];
    expect(seenReq!.headers["x-isthmus-dev-host"]).toBeUndefined();
  });
});

describe("a VirtualService bound to a Gateway by its legacy FQDN name", () => {
  const fqdn = `
${gatewayYaml("legacy-edge", ["legacy.example.com"])}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: legacy, namespace: shop}
spec:
  hosts: [legacy.example.com]
  gateways: [legacy-edge.default.svc.cluster.local]
  http:
  - directResponse: {status: 200, body: {string: "bound through the FQDN gateway name"}}
`;

  it("is bound to that Gateway, and apply answers Istio's warning instead of IST0101", async () => {
    const res = await applyYaml(fqdn);
    const out = (await res.json()) as { warnings: { code: string; name: string; message: string }[] };
    expect(res.status).toBe(200);
    const mine = out.warnings.filter((w) => w.name === "legacy");
    expect(mine.map((w) => w.code)).toEqual(["IST0133"]);
    expect(mine[0]!.message).toContain('prefer the <namespace>/<name> format: "default/legacy-edge"');
    const served = await call("/", "legacy.example.com");
    expect(served.status).toBe(200);
    expect(await served.text()).toBe("bound through the FQDN gateway name");
  });
});
