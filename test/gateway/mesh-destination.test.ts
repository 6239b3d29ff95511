/**
 * A member written the plain way (examples/plain-member: `env.DETAILS.fetch(...)`, direct bindings, no
 * mesh code) whose bindings point at the gateway's MeshEntrypoint with props
 * {namespace, serviceAccount, destination} — what `isthmus inject` writes. Every request on such a
 * binding goes to its destination service whatever the URL says, and so meets the mesh: mesh
 * VirtualServices, the destination workload's policies, and the caller's identity.
 */
import { env, exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, applyYaml, BOOKINFO_YAML, deleteYaml } from "../helpers/admin.js";
import { meshTarget, parseMeshDestination } from "../../src/gateway/runtime/mesh-destination.js";
import { parseRequestUrl } from "../../src/gateway/chain/request-target.js";

const plain = (env as unknown as { PLAIN_MEMBER: Fetcher }).PLAIN_MEMBER;
const call = (path: string, init?: RequestInit) => plain.fetch(`https://shop.example.workers.dev${path}`, init);

const detailsRoute = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: details-plain-member, namespace: default}
spec:
  hosts: [details.default.svc.cluster.local]
  http:
  - match: [{uri: {exact: /details/99}}]
    directResponse: {status: 200, body: {string: "answered by a mesh VirtualService"}}
  - route: [{destination: {host: details.default.svc.cluster.local}}]
`;

const onlyProductpage = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: details-viewer-plain, namespace: default}
spec:
  selector: {matchLabels: {app: details}}
  action: ALLOW
  rules:
  - from: [{source: {principals: ["cluster.local/ns/default/sa/bookinfo-productpage"]}}]
`;

const alsoPlainMember = onlyProductpage.replace(
  `principals: ["cluster.local/ns/default/sa/bookinfo-productpage"]`,
  `principals: ["cluster.local/ns/default/sa/bookinfo-productpage", "cluster.local/ns/default/sa/plain-member"]`,
);

describe("parseMeshDestination / meshTarget", () => {
  it.each([
    ["reviews.default.svc.cluster.local:9080", { host: "reviews.default.svc.cluster.local:9080", port: 9080 }],
    ["reviews", { host: "reviews", port: 80 }],
    ["http://Ratings:9080", { host: "ratings:9080", port: 9080 }],
  ])("%s", (value, expected) => {
    expect(parseMeshDestination(value)).toEqual(expected);
  });

  it.each(["", "reviews:0", "reviews:x", "reviews/path", "https://x/y", ":9080"])("rejects %j", (value) => {
    expect(parseMeshDestination(value)).toBeUndefined();
  });

  it("keeps path and query, replaces the authority", () => {
    expect(meshTarget({ host: "reviews:9080", port: 9080 }, parseRequestUrl("https://x.workers.dev/reviews/0?a=1"))).toEqual({
      scheme: "http", host: "reviews:9080", port: 9080, pathAndQuery: "/reviews/0?a=1",
    });
  });
});

describe("a plain member whose bindings name their destination", () => {
  beforeAll(async () => {
    const res = await applyYaml(BOOKINFO_YAML);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  afterAll(async () => {
    await deleteYaml(`${detailsRoute}\n---\n${onlyProductpage}`);
  });

  it("reaches details and ratings through the mesh whatever host its URLs name", async () => {
    const res = await call("/books/0");
    expect(res.status).toBe(200);
    const out = (await res.json()) as { details: { status: number; body: { author: string } }; ratings: { status: number; body: { ratings: Record<string, number> } } };
    expect(out.details.status).toBe(200);
    expect(out.details.body.author).toBe("William Shakespeare");
    expect(out.ratings.status).toBe(200);
    expect(out.ratings.body.ratings.Reviewer1).toBe(5);
  });

  it("passes env.DETAILS.fetch(request) (the request as the member received it) through the mesh", async () => {
    const res = await call("/details/7", { method: "GET" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: number }).id).toBe(7);
  });

  it("gains telemetry: Istio's request metrics count its calls with its identity as source", async () => {
    expect((await call("/details/3")).status).toBe(200);
    const text = await (await admin("/metrics")).text();
    const line = text.split("\n").find((l) => l.startsWith("istio_requests_total{") && l.includes(`source_principal="spiffe://cluster.local/ns/default/sa/plain-member"`) && l.includes(`destination_service="details.default.svc.cluster.local"`));
    expect(line, text.slice(0, 2000)).toBeDefined();
  });

  it("gains routing: a mesh VirtualService for the destination decides", async () => {
    expect((await applyYaml(detailsRoute)).status).toBe(200);
    const res = await call("/details/99");
    expect(await res.text()).toBe("answered by a mesh VirtualService");
    expect((await call("/details/1")).status).toBe(200);
  });

  it("gains policies: the destination workload's AuthorizationPolicy sees the member's own identity", async () => {
    expect((await applyYaml(onlyProductpage)).status).toBe(200);
    const denied = await call("/books/0");
    const out = (await denied.json()) as { details: { status: number; body: string }; ratings: { status: number } };
    expect(out.details.status).toBe(403);
    expect(out.details.body).toBe("RBAC: access denied");
    expect(out.ratings.status).toBe(200); // the policy selects details only

    expect((await applyYaml(alsoPlainMember)).status).toBe(200);
    expect((await call("/details/0")).status).toBe(200);
  });
});

describe("a mesh binding whose destination is not host[:port]", () => {
  it("answers 400 naming the prop", async () => {
    const entry = (exports as unknown as { MeshEntrypoint(o: { props: object }): Fetcher }).MeshEntrypoint({
      props: { namespace: "default", serviceAccount: "x", destination: "details/oops" },
    });
    const res = await entry.fetch("http://anything/details/0");
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('props.destination "details/oops"');
  });
});
