/**
 * Istio's own security and egress tasks, with their resources unchanged (examples/bookinfo/tasks/
 * security), run through the gateway on the local mesh's Bookinfo and httpbin members, members calling
 * each other through the mesh. Each step expects what istio.io documents.
 *
 * "sleep" (the client pod of Istio's tasks) is a member calling through its binding to the gateway:
 * `MeshEntrypoint` with the props of its workload identity (namespace, service account); a pod
 * without a sidecar ("legacy") is a binding without a service account, i.e. no identity.
 */
import { env, exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import allowNothing from "../../examples/bookinfo/tasks/security/authz-http/allow-nothing.yaml?raw";
import productpageViewer from "../../examples/bookinfo/tasks/security/authz-http/productpage-viewer.yaml?raw";
import detailsViewer from "../../examples/bookinfo/tasks/security/authz-http/details-viewer.yaml?raw";
import reviewsViewer from "../../examples/bookinfo/tasks/security/authz-http/reviews-viewer.yaml?raw";
import ratingsViewer from "../../examples/bookinfo/tasks/security/authz-http/ratings-viewer.yaml?raw";
import httpbin from "../../examples/bookinfo/tasks/security/httpbin.yaml?raw";
import denyMethodGet from "../../examples/bookinfo/tasks/security/authz-deny/deny-method-get.yaml?raw";
import denyUnlessAdmin from "../../examples/bookinfo/tasks/security/authz-deny/deny-method-get-unless-admin.yaml?raw";
import allowPathIp from "../../examples/bookinfo/tasks/security/authz-deny/allow-path-ip.yaml?raw";
import denyAdminAtIngress from "../../examples/bookinfo/tasks/security/authz-deny/deny-admin-at-ingress.yaml?raw";
import ingressIpBlocks from "../../examples/bookinfo/tasks/security/authz-ingress/ingress-policy-ipblocks.yaml?raw";
import ingressRemoteDeny from "../../examples/bookinfo/tasks/security/authz-ingress/ingress-policy-remote-deny.yaml?raw";
import ingressJwt from "../../examples/bookinfo/tasks/security/jwt/ingress-jwt.yaml?raw";
import workloadJwt from "../../examples/bookinfo/tasks/security/jwt/workload-jwt.yaml?raw";
import requireJwtGroup from "../../examples/bookinfo/tasks/security/jwt/require-jwt-group.yaml?raw";
import demoJwt from "../../examples/bookinfo/tasks/security/demo.jwt?raw";
import groupsScopeJwt from "../../examples/bookinfo/tasks/security/groups-scope.jwt?raw";
import namespaceStrict from "../../examples/bookinfo/tasks/security/mtls/namespace-strict.yaml?raw";
import meshStrict from "../../examples/bookinfo/tasks/security/mtls/mesh-strict.yaml?raw";
import workloadPermissive from "../../examples/bookinfo/tasks/security/mtls/workload-permissive.yaml?raw";
import workloadPortLevel from "../../examples/bookinfo/tasks/security/mtls/workload-port-level.yaml?raw";
import httpbinExt from "../../examples/bookinfo/tasks/security/egress/httpbin-ext.yaml?raw";
import tlsOrigination from "../../examples/bookinfo/tasks/security/egress/tls-origination.yaml?raw";
import { createRequestContext, type Caller } from "../../src/gateway/chain/request-context.js";
import { runChain } from "../../src/gateway/chain/chain.js";
import { parseRequestUrl } from "../../src/gateway/chain/request-target.js";
import { hydrate } from "../../src/gateway/runtime/hydrate.js";
import { createIsolateState } from "../../src/gateway/runtime/isolate.js";
import type { Snapshot } from "../../src/config/snapshot.js";
import { admin, applyYaml, BOOKINFO_YAML, deleteYaml, TASKS } from "../helpers/admin.js";

const { echo } = inject("origins");
const DEMO = demoJwt.trim();
const GROUPS = groupsScopeJwt.trim();

type MeshCaller = { fetch(req: Request): Promise<Response> };
/** A member with this identity calling through its binding to the gateway. */
const member = (props: { namespace: string; serviceAccount?: string }): MeshCaller =>
  (exports as unknown as { MeshEntrypoint(o: { props: object }): MeshCaller }).MeshEntrypoint({ props });
const sleep = (namespace: string) => member({ namespace, serviceAccount: "sleep" });
const legacySleep = () => member({ namespace: "legacy" });

/** Through the ingress gateway, as `curl -H 'Host: bookinfo.local' http://$GATEWAY/...`. */
const ingress = (path: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(`http://127.0.0.1:8787${path}`, { headers: { host: "bookinfo.local", ...headers } });

async function apply(...yamls: string[]): Promise<void> {
  const res = await applyYaml(yamls.join("\n---\n"));
  expect(res.status, await res.clone().text()).toBe(200);
}
async function remove(...yamls: string[]): Promise<void> {
  const res = await deleteYaml(yamls.join("\n---\n"));
  expect(res.status, await res.clone().text()).toBe(200);
}

beforeAll(async () => {
  await apply(BOOKINFO_YAML, httpbin);
});

describe("Authorization for HTTP traffic (authz-http)", () => {
  afterAll(() => remove(allowNothing, productpageViewer, detailsViewer, reviewsViewer, ratingsViewer, TASKS.jasonV2));

  it("walks the task: allow-nothing, then productpage, details, reviews and ratings viewers", async () => {
    // jason's reviews go to v2, which calls ratings (black stars when allowed)
    await apply(TASKS.jasonV2);
    const page = async () => {
      const res = await ingress("/productpage", { "end-user": "jason" });
      return { status: res.status, text: await res.text() };
    };
    expect((await page()).status).toBe(200);

    await apply(allowNothing);
    expect(await page()).toEqual({ status: 403, text: "RBAC: access denied" });

    await apply(productpageViewer);
    let p = await page();
    expect(p.status).toBe(200);
    expect(p.text).toContain("Error fetching product details");
    expect(p.text).toContain("Error fetching product reviews");

    await apply(detailsViewer, reviewsViewer);
    p = await page();
    expect(p.status).toBe(200);
    expect(p.text).not.toContain("Error fetching");
    expect(p.text).toContain("Ratings service is currently unavailable");

    await apply(ratingsViewer);
    p = await page();
    expect(p.text).not.toContain("Ratings service is currently unavailable");
    expect(p.text).toContain("★");
  });

  it("explain shows the destination stage and the policy that decided", async () => {
    await apply(allowNothing);
    await remove(productpageViewer);
    const res = await admin("/explain", { method: "POST", body: JSON.stringify({ method: "GET", url: "http://bookinfo.local/productpage", headers: {} }) });
    const out = (await res.json()) as { outcome: string; status: number; stage: string; stages: { destination: { workload: string; rbac: { reason: string } } } };
    expect(out).toMatchObject({ outcome: "reply", status: 403, stage: "router" });
    expect(out.stages.destination.workload).toBe("default/bookinfo-productpage");
    expect(out.stages.destination.rbac.reason).toBe("no-allow-match");
    await apply(productpageViewer);
  });
});

describe("Explicit deny (authz-deny)", () => {
  afterAll(() => remove(denyUnlessAdmin, allowPathIp, denyAdminAtIngress));

  it("DENY at a workload: GET denied, POST allowed", async () => {
    await apply(denyMethodGet);
    expect((await sleep("foo").fetch(new Request("http://httpbin.foo:8000/get"))).status).toBe(403);
    expect((await sleep("foo").fetch(new Request("http://httpbin.foo:8000/post", { method: "POST", body: "x" }))).status).toBe(200);
  });

  it("DENY with a condition: only GETs without x-token: admin", async () => {
    await apply(denyUnlessAdmin);
    expect((await sleep("foo").fetch(new Request("http://httpbin.foo:8000/get", { headers: { "x-token": "admin" } }))).status).toBe(200);
    expect((await sleep("foo").fetch(new Request("http://httpbin.foo:8000/get", { headers: { "x-token": "guest" } }))).status).toBe(403);
  });

  it("DENY is evaluated before ALLOW", async () => {
    await apply(allowPathIp);
    expect((await sleep("foo").fetch(new Request("http://httpbin.foo:8000/ip", { headers: { "x-token": "admin" } }))).status).toBe(200);
    expect((await sleep("foo").fetch(new Request("http://httpbin.foo:8000/get", { headers: { "x-token": "admin" } }))).status).toBe(403);
    expect((await sleep("foo").fetch(new Request("http://httpbin.foo:8000/ip", { headers: { "x-token": "guest" } }))).status).toBe(403);
  });

  it("DENY at the ingress gateway: north-south only", async () => {
    await apply(denyAdminAtIngress);
    expect((await ingress("/api/v1/products")).status).toBe(403);
    expect((await ingress("/productpage")).status).toBe(200);
  });
});

describe("JWT (authn-policy end-user authentication, authz-jwt)", () => {
  afterAll(() => remove(ingressJwt, workloadJwt));

  it("at the ingress gateway: no token 403, a bad one 401, a good one 200", async () => {
    await apply(ingressJwt);
    expect((await ingress("/productpage")).status).toBe(403);
    const bad = await ingress("/productpage", { authorization: `Bearer ${DEMO.slice(0, -4)}AAAA` });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toBe("Jwt verification fails");
    expect((await ingress("/productpage", { authorization: `Bearer ${DEMO}` })).status).toBe(200);
  });

  it("the token the gateway verified is not forwarded: a workload that also requires it refuses", async () => {
    await apply(workloadJwt);
    const res = await ingress("/productpage", { authorization: `Bearer ${DEMO}` });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("RBAC: access denied");
  });

  it("on a workload: the destination verifies the token and requires its principal, then a group", async () => {
    await remove(ingressJwt);
    expect((await ingress("/productpage")).status).toBe(403);
    expect((await ingress("/productpage", { authorization: "Bearer not-a-jwt" })).status).toBe(401);
    expect((await ingress("/productpage", { authorization: `Bearer ${DEMO}` })).status).toBe(200);
    await apply(requireJwtGroup);
    expect((await ingress("/productpage", { authorization: `Bearer ${DEMO}` })).status).toBe(403);
    expect((await ingress("/productpage", { authorization: `Bearer ${GROUPS}` })).status).toBe(200);
  });
});

describe("Mutual TLS (mtls-migration, authn-policy)", () => {
  afterAll(() => remove(namespaceStrict, workloadPermissive, workloadPortLevel, meshStrict));
  const get = (caller: MeshCaller, url: string) => caller.fetch(new Request(url)).then((r) => r.status);

  it("namespace STRICT: callers with an identity pass, a caller without one is reset", async () => {
    await apply(namespaceStrict);
    expect(await get(sleep("foo"), "http://httpbin.foo:8000/ip")).toBe(200);
    expect(await get(sleep("bar"), "http://httpbin.foo:8000/ip")).toBe(200);
    expect(await get(legacySleep(), "http://httpbin.foo:8000/ip")).toBe(503);
    // bar is not STRICT
    expect(await get(legacySleep(), "http://httpbin.bar:8000/ip")).toBe(200);
  });

  it("a workload policy overrides the namespace's", async () => {
    await apply(workloadPermissive);
    expect(await get(legacySleep(), "http://httpbin.foo:8000/ip")).toBe(200);
  });

  it("mesh-wide STRICT, with portLevelMtls DISABLE on the workload port", async () => {
    await apply(meshStrict);
    expect(await get(legacySleep(), "http://httpbin.bar:8000/ip")).toBe(503);
    await apply(workloadPortLevel);
    // the service port 8000 reaches workload port 8080, which is DISABLE
    expect(await get(legacySleep(), "http://httpbin.bar:8000/ip")).toBe(200);
    // the ingress gateway talks mTLS to the workloads and is not locked out itself
    expect((await ingress("/productpage")).status).toBe(200);
  });
});

describe("Ingress gateway IP allow and deny lists (authz-ingress)", () => {
  afterAll(() => remove(ingressRemoteDeny));

  it("ipBlocks: only the listed client addresses", async () => {
    await apply(ingressIpBlocks);
    expect((await ingress("/productpage", { "cf-connecting-ip": "1.2.3.4" })).status).toBe(200);
    expect((await ingress("/productpage", { "cf-connecting-ip": "5.6.7.8" })).status).toBe(200);
    expect((await ingress("/productpage", { "cf-connecting-ip": "9.9.9.9" })).status).toBe(403);
  });

  it("remoteIpBlocks: the original client, not an address the client wrote into X-Forwarded-For", async () => {
    await apply(ingressRemoteDeny);
    expect((await ingress("/productpage", { "cf-connecting-ip": "1.2.3.4" })).status).toBe(403);
    expect((await ingress("/productpage", { "cf-connecting-ip": "9.9.9.9", "x-forwarded-for": "1.2.3.4" })).status).toBe(200);
  });
});

describe("Accessing external services and egress TLS origination", () => {
  const ext = () => httpbinExt.replace("ports: {http: 18080}", `ports: {http: ${echo}}`);
  afterAll(() => remove(ext(), tlsOrigination));

  it("ALLOW_ANY (the default): an unregistered host is passed through", async () => {
    const res = await sleep("default").fetch(new Request(`http://127.0.0.1:${echo}/headers`));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { origin: string; path: string }).path).toBe("/headers");
    const explained = await admin("/explain", { method: "POST", body: JSON.stringify({ method: "GET", url: `http://127.0.0.1:${echo}/headers`, headers: {}, source: { namespace: "default", serviceAccount: "sleep" } }) });
    expect(await explained.json()).toMatchObject({ outcome: "forward", stages: { virtual_host: { registered: false, outboundTrafficPolicy: "ALLOW_ANY" } } });
  });

  it("REGISTRY_ONLY: an unregistered host answers 502 (BlackHoleCluster); a registered one passes", async () => {
    await apply(ext());
    const snapshot = (await (await admin("/config_dump")).json()) as Snapshot;
    const live = hydrate(snapshot, { ...env, MESH_CONFIG: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}" } as Env, createIsolateState());
    const call = async (url: string) => {
      const caller: Caller = { kind: "mesh", namespace: "default", serviceAccount: "sleep", principal: "cluster.local/ns/default/sa/sleep" };
      const rc = createRequestContext({ request: new Request(url), env, waitUntil: () => undefined, live, caller, target: parseRequestUrl(url) });
      const { response } = await runChain(rc);
      return { status: response.status, cluster: rc.upstreamCluster ?? rc.cluster?.name };
    };
    expect(await call(`http://127.0.0.1:${echo}/headers`)).toEqual({ status: 502, cluster: "BlackHoleCluster" });
    expect(await call("http://httpbin.org/headers")).toEqual({ status: 200, cluster: "outbound|80||httpbin.org" });
  });

  it("a registered MESH_EXTERNAL host goes out with its VirtualService (timeout) from a member", async () => {
    const res = await sleep("default").fetch(new Request("http://httpbin.org/headers"));
    expect(res.status).toBe(200);
    const explained = await admin("/explain", { method: "POST", body: JSON.stringify({ method: "GET", url: "http://httpbin.org/headers", headers: {}, source: { namespace: "default", serviceAccount: "sleep" } }) });
    expect(await explained.json()).toMatchObject({ outcome: "forward", stages: { router: { timeoutMs: 3000, destination: { cluster: "outbound|80||httpbin.org" } } } });
  });

  it("TLS origination: http://edition.cnn.com is sent as HTTPS to port 443", async () => {
    await apply(tlsOrigination);
    const explained = await admin("/explain", { method: "POST", body: JSON.stringify({ method: "GET", url: "http://edition.cnn.com/politics", headers: {}, source: { namespace: "default", serviceAccount: "sleep" } }) });
    const out = (await explained.json()) as { outcome: string; stages: { router: { upstream: { protocol: string }; endpoints: string[]; tls: { mode: string } } } };
    expect(out.outcome).toBe("forward");
    expect(out.stages.router.upstream.protocol).toBe("https");
    expect(out.stages.router.endpoints).toEqual(["edition.cnn.com:443"]);
    expect(out.stages.router.tls.mode).toBe("SIMPLE");
  });
});
