/**
 * AuthorizationPolicy CUSTOM through the gateway: the test-authz member is the mesh config's
 * envoyExtAuthzHttp provider (vitest.config.ts MESH_CONFIG).
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { applyYaml } from "../helpers/admin.js";
import { gatewayYaml, loopbackOriginYaml } from "../helpers/fixtures.js";

const { echo } = inject("origins");
const call = (path: string, headers: Record<string, string> = {}, host = "custom.example.com") =>
  exports.default.fetch(`http://127.0.0.1:8787${path}`, { headers: { host, ...headers } });

describe("AuthorizationPolicy CUSTOM through an external authorization service", () => {
  beforeAll(async () => {
    const res = await applyYaml(`
${gatewayYaml("custom", ["custom.example.com"])}---
${loopbackOriginYaml("echo-sec", "echo-sec.internal", echo)}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: custom, namespace: default}
spec:
  hosts: [custom.example.com]
  gateways: [custom]
  http: [{route: [{destination: {host: echo-sec.internal}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext, namespace: istio-system}
spec:
  action: CUSTOM
  provider: {name: test-authz}
  rules: [{to: [{operation: {hosts: [custom.example.com], paths: ["/guarded*"]}}]}]
`);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("lets the service allow, and forwards the headers it names to the upstream", async () => {
    const res = await call("/guarded/x", { "x-allow": "yes" }, "custom.example.com");
    expect(res.status).toBe(200);
    const seen = (await res.json()) as { headers: Record<string, string> };
    expect(seen.headers["x-authz-user"]).toBe("bob");
    expect(seen.headers["x-not-forwarded"]).toBeUndefined();
  });

  it("answers the service's denial: status, body and headers (repeated Set-Cookie kept)", async () => {
    const res = await call("/guarded/y", {}, "custom.example.com");
    expect(res.status).toBe(401);
    expect(await res.text()).toBe("denied: /guarded/y");
    expect(res.headers.get("x-denied")).toBe("by-test-authz");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("does not call the service for requests no CUSTOM rule matches", async () => {
    expect((await call("/open", {}, "custom.example.com")).status).toBe(200);
  });
});
