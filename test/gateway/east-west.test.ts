/**
 * East-west: a member calls through its binding to the gateway's MeshEntrypoint; the caller's identity
 * comes from the binding's props (never from a header) and reaches the callee as Istio's XFCC.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { applyYaml } from "../helpers/admin.js";

const config = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo, namespace: shop}
spec:
  hosts: [echo.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: "binding:TEST_ECHO"}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo-mesh, namespace: shop}
spec:
  hosts: [echo]
  http:
  - match: [{uri: {prefix: /direct}}]
    directResponse: {status: 200, body: {string: "from the mesh VirtualService"}}
  - route: [{destination: {host: echo}}]
`;

type MeshCaller = { fetch(req: Request): Promise<Response> };
const member = (namespace: string, serviceAccount: string): MeshCaller =>
  (exports as unknown as { MeshEntrypoint(o: { props: object }): MeshCaller }).MeshEntrypoint({ props: { namespace, serviceAccount } });

describe("east-west through MeshEntrypoint", () => {
  beforeAll(async () => {
    expect((await applyYaml(config)).status).toBe(200);
  });

  it("resolves a short name in the caller's namespace and stamps the caller's SPIFFE identity", async () => {
    const res = await member("shop", "cart").fetch(new Request("http://echo:8080/items?x=1", { headers: { "x-forwarded-client-cert": "URI=spiffe://evil/ns/x/sa/admin" } }));
    expect(res.status).toBe(200);
    const seen = (await res.json()) as { member: string; path: string; headers: Record<string, string> };
    expect(seen.member).toBe("test-echo");
    expect(seen.path).toBe("/items?x=1");
    expect(seen.headers["x-forwarded-client-cert"]).toBe("URI=spiffe://cluster.local/ns/shop/sa/cart");
  });

  it("applies mesh-bound VirtualServices", async () => {
    const res = await member("shop", "cart").fetch(new Request("http://echo.shop.svc.cluster.local:8080/direct"));
    expect(await res.text()).toBe("from the mesh VirtualService");
  });

  it("does not resolve the short name from another namespace (an unregistered host: passed through, and nothing answers)", async () => {
    const res = await member("other", "x").fetch(new Request("http://echo:8080/items"));
    expect(res.status).toBe(503);
    expect(res.headers.get("x-echo-member")).toBeNull();
  });

  it("reaches the service by its namespace-qualified name from another namespace", async () => {
    const res = await member("other", "x").fetch(new Request("http://echo.shop:8080/items"));
    expect(res.status).toBe(200);
  });
});
