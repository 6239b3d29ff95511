/**
 * Route actions through the gateway: fault injection, CORS, header operations (route and destination
 * level, request and response), mirroring. Applied through the admin API, driven with Host headers.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { applyYaml } from "../helpers/admin.js";
import { gatewayYaml, loopbackOriginYaml } from "../helpers/fixtures.js";

const { echo, scripted } = inject("origins");

const config = `
${gatewayYaml("actions", ["actions.example.com"])}---
${loopbackOriginYaml("echo-a", "echo-a.internal", echo)}---
${loopbackOriginYaml("recorder", "recorder.internal", scripted)}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: actions, namespace: default}
spec:
  hosts: [actions.example.com]
  gateways: [actions]
  http:
  - name: abort
    match: [{uri: {prefix: /abort}}]
    fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
    route: [{destination: {host: echo-a.internal}}]
  - name: abort-never
    match: [{uri: {prefix: /no-abort}}]
    fault: {abort: {httpStatus: 503}}
    route: [{destination: {host: echo-a.internal}}]
  - name: delay
    match: [{uri: {prefix: /delay}}]
    fault: {delay: {fixedDelay: 200ms, percentage: {value: 100}}}
    route: [{destination: {host: echo-a.internal}}]
  - name: cors
    match: [{uri: {prefix: /cors}}]
    corsPolicy:
      allowOrigins: [{exact: "https://app.example.com"}, {regex: "https://.*\\\\.trusted\\\\.dev"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-token]
      exposeHeaders: [x-trace]
      maxAge: 24h
      allowCredentials: true
    route: [{destination: {host: echo-a.internal}}]
  - name: headers
    match: [{uri: {prefix: /headers}}]
    headers:
      request: {set: {x-route: r, x-both: route}, add: {x-added: one}, remove: [x-secret]}
      response: {set: {x-resp: yes}, remove: [x-origin]}
    route:
    - destination: {host: echo-a.internal}
      headers: {request: {set: {x-dest: d, x-both: destination}}}
  - name: no-content
    match: [{uri: {prefix: /no-content}}]
    directResponse: {status: 204, body: {string: "dropped"}}
  - name: mirrored
    match: [{uri: {prefix: /mirrored}}]
    mirror: {host: recorder.internal}
    route: [{destination: {host: echo-a.internal}}]
`;

const call = (path: string, init: RequestInit = {}) =>
  exports.default.fetch(`http://127.0.0.1:8787${path}`, { redirect: "manual", ...init, headers: { host: "actions.example.com", ...(init.headers as Record<string, string>) } });

describe("route actions through the gateway", () => {
  beforeAll(async () => {
    expect((await applyYaml(config)).status).toBe(200);
  });

  it("aborts with Envoy's fault body at 100 %, never when percentage is unset", async () => {
    const res = await call("/abort");
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("fault filter abort");
    expect((await call("/no-abort")).status).toBe(200);
  });

  it("delays at 100 %", async () => {
    const t0 = Date.now();
    await (await call("/delay")).text();
    await fetch(`http://127.0.0.1:${scripted}/__seen/none`); // let workerd's clock advance on I/O
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it("answers a matching CORS preflight locally and decorates actual responses", async () => {
    const pre = await call("/cors/x", { method: "OPTIONS", headers: { origin: "https://api.trusted.dev", "access-control-request-method": "POST" } });
    expect(pre.status).toBe(200);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://api.trusted.dev");
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET,POST");
    expect(pre.headers.get("access-control-max-age")).toBe("86400");
    expect(pre.headers.get("access-control-allow-credentials")).toBe("true");
    const actual = await call("/cors/x", { headers: { origin: "https://app.example.com" } });
    expect(actual.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(actual.headers.get("access-control-expose-headers")).toBe("x-trace");
    const stranger = await call("/cors/x", { headers: { origin: "https://evil.example" } });
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("applies route and destination header operations (destination set wins with one destination)", async () => {
    const res = await call("/headers", { headers: { "x-secret": "s", "x-added": "zero" } });
    const seen = (await res.json()) as { headers: Record<string, string> };
    expect(seen.headers["x-route"]).toBe("r");
    expect(seen.headers["x-dest"]).toBe("d");
    expect(seen.headers["x-both"]).toBe("destination");
    expect(seen.headers["x-secret"]).toBeUndefined();
    expect(seen.headers["x-added"]).toBe("zero, one");
    expect(res.headers.get("x-resp")).toBe("yes");
    expect(res.headers.get("x-origin")).toBeNull();
  });

  it("mirrors fire-and-forget to the mirror destination", async () => {
    const key = `mirror-${Date.now()}`;
    const res = await call("/mirrored/a", { method: "POST", body: "payload", headers: { "x-test-key": key } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { body: string }).body).toBe("payload");
    let seen = { count: 0, requests: [] as { path: string; body: string }[] };
    for (let i = 0; i < 20 && seen.count === 0; i++) {
      await new Promise((ok) => setTimeout(ok, 25));
      seen = (await (await fetch(`http://127.0.0.1:${scripted}/__seen/${key}`)).json()) as typeof seen;
    }
    expect(seen.count).toBe(1);
    expect(seen.requests[0]).toMatchObject({ path: "/mirrored/a", body: "payload" });
  });
  it("sends a 204 direct response without its body (was a 500: fetch refuses a body on 204)", async () => {
    const res = await call("/no-content");
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
  });
});
