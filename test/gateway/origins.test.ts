/**
 * Forwarding to network origins (ServiceEntry endpoints on 127.0.0.1) and the local replies of the
 * router stage, driven as acceptance does: apply through the admin API, then requests with a Host header.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { applyYaml } from "../helpers/admin.js";

const echo = inject("origins").echo;

const config = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [origins.example.com, "*.wild.example.com"]
  - port: {number: 80, name: http-secure, protocol: HTTP}
    hosts: [secure.example.com]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo.internal]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: ${echo}}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: refused, namespace: default}
spec:
  hosts: [refused.internal]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.1, ports: {http: 1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: origins, namespace: default}
spec:
  hosts: [origins.example.com]
  gateways: [edge]
  http:
  - name: echo
    match: [{uri: {prefix: /echo}}]
    route: [{destination: {host: echo.internal}}]
  - name: rewritten
    match: [{uri: {prefix: /old/}}]
    rewrite: {uri: /new/}
    route: [{destination: {host: echo.internal}}]
  - name: refused
    match: [{uri: {prefix: /refused}}]
    route: [{destination: {host: refused.internal}}]
  - name: missing-cluster
    match: [{uri: {prefix: /missing}}]
    route: [{destination: {host: nowhere.internal}}]
  - name: missing-subset
    match: [{uri: {prefix: /subset}}]
    route: [{destination: {host: echo.internal, subset: v9}}]
  - name: mtls
    match: [{uri: {prefix: /mtls}}]
    route: [{destination: {host: mtls.internal}}]
  - name: moved
    match: [{uri: {exact: /moved}}]
    redirect: {uri: /elsewhere, redirectCode: 308}
  - name: direct
    match: [{uri: {exact: /direct}}]
    directResponse: {status: 418, body: {string: "short and stout"}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: mtls-origin, namespace: default}
spec:
  hosts: [mtls.internal]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 443, name: https, protocol: HTTPS}]
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mtls-origin, namespace: default}
spec:
  host: mtls.internal
  trafficPolicy:
    tls: {mode: MUTUAL, credentialName: ORIGIN_MTLS}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wild, namespace: default}
spec:
  hosts: ["*.wild.example.com"]
  gateways: [edge]
  http:
  - route: [{destination: {host: echo.internal}}]
`;

const get = (path: string, host = "origins.example.com", init: RequestInit = {}) =>
  exports.default.fetch(`http://127.0.0.1:8787${path}`, { redirect: "manual", ...init, headers: { host, ...(init.headers as Record<string, string> | undefined) } });

describe("forwarding to loopback origins", () => {
  beforeAll(async () => {
    const res = await applyYaml(config);
    expect(res.status).toBe(200);
  });

  it("forwards method, path, query, headers and body unchanged", async () => {
    const res = await get("/echo/a/b?x=1&y=2", undefined, { method: "POST", body: "hello", headers: { "x-custom": "v" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-origin")).toBe("echo");
    const seen = (await res.json()) as { method: string; path: string; headers: Record<string, string>; body: string };
    expect(seen).toMatchObject({ method: "POST", path: "/echo/a/b?x=1&y=2", body: "hello" });
    expect(seen.headers["x-custom"]).toBe("v");
    expect(seen.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
  });

  it("normalizes the path (BASE) before routing and forwarding", async () => {
    const seen = (await (await get("/echo/a/../b/./c")).json()) as { path: string };
    expect(seen.path).toBe("/echo/b/c");
  });

  it("rewrites the matched prefix", async () => {
    const seen = (await (await get("/old/thing?q=1")).json()) as { path: string };
    expect(seen.path).toBe("/new/thing?q=1");
  });

  it("routes a wildcard host", async () => {
    const res = await get("/anything", "api.wild.example.com");
    expect(res.status).toBe(200);
  });

  it.each([
    ["/refused", 503, "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote connection failure"],
    ["/missing", 503, ""],
    ["/subset", 503, ""],
    ["/not-routed", 404, ""],
  ])("%s answers %i with Envoy's local reply", async (path, status, body) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    expect(await res.text()).toBe(body);
  });

  it("originates mutual TLS through the mtls_certificates binding named by tls.credentialName", async () => {
    const res = await get("/mtls/a?b=1");
    expect(res.status).toBe(200);
    const seen = (await res.json()) as { member: string; url: string };
    expect(seen.member).toBe("test-echo"); // the request went through the ORIGIN_MTLS binding
    expect(seen.url).toBe("https://127.0.0.1/mtls/a?b=1"); // default port 443 is implicit
  });

  it("answers an unknown host with 404", async () => {
    expect((await get("/echo", "unknown.example.com")).status).toBe(404);
  });

  it("redirects and answers directly", async () => {
    const moved = await get("/moved?keep=1");
    expect(moved.status).toBe(308);
    expect(moved.headers.get("location")).toBe("http://origins.example.com/elsewhere?keep=1");
    const direct = await get("/direct");
    expect(direct.status).toBe(418);
    expect(await direct.text()).toBe("short and stout");
  });

  it("sends plain HTTP on an httpsRedirect server to https with 301", async () => {
    const res = await get("/x?y=1", "secure.example.com");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("https://secure.example.com/x?y=1");
  });
});
