/**
 * Bookinfo with the Kubernetes Gateway API end to end in workerd: examples/bookinfo/gateway-api/ (Istio's
 * gateway-api samples) applied with the registry, north-south through the Gateway and HTTPRoute, and
 * east-west (GAMMA) HTTPRoutes on the reviews Service steering productpage's calls.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import bookinfoServices from "../../examples/bookinfo/bookinfo-services.yaml?raw";
import gateway from "../../examples/bookinfo/gateway-api/bookinfo-gateway.yaml?raw";
import versions from "../../examples/bookinfo/gateway-api/bookinfo-versions.yaml?raw";
import reviewsV1 from "../../examples/bookinfo/gateway-api/route-reviews-v1.yaml?raw";
import reviews50V3 from "../../examples/bookinfo/gateway-api/route-reviews-50-v3.yaml?raw";
import jasonV2 from "../../examples/bookinfo/gateway-api/route-reviews-jason-v2.yaml?raw";
import { admin, applyYaml } from "../helpers/admin.js";

const page = async (headers: Record<string, string> = {}) => {
  const res = await exports.default.fetch("http://bookinfo.local/productpage", { headers });
  expect(res.status).toBe(200);
  return res.text();
};
const servedBy = (html: string) => /Reviews served by: (reviews-v\d)/.exec(html)?.[1];

describe("Bookinfo with the Gateway API", () => {
  beforeAll(async () => {
    const res = await applyYaml([bookinfoServices, versions, gateway].join("\n---\n"));
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("serves the product page through the Gateway and HTTPRoute, details and reviews through the mesh", async () => {
    const html = await page();
    expect(html).toContain("The Comedy of Errors");
    expect(html).toContain("PublisherA");
    expect(servedBy(html)).toMatch(/reviews-v[123]/);
    expect((await exports.default.fetch("http://bookinfo.local/admin")).status).toBe(404);
    // PathPrefix /static matches whole segments only.
    expect((await exports.default.fetch("http://bookinfo.local/staticx")).status).toBe(404);
  });

  it("route-reviews-v1: every call to reviews goes to v1 (an east-west HTTPRoute on the Service)", async () => {
    expect((await applyYaml(reviewsV1)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect(servedBy(await page())).toBe("reviews-v1");
  });

  it("route-reviews-jason-v2: jason gets v2 by header, others v1", async () => {
    expect((await applyYaml(jasonV2)).status).toBe(200);
    expect(servedBy(await page({ "end-user": "jason" }))).toBe("reviews-v2");
    expect(servedBy(await page())).toBe("reviews-v1");
  });

  it("route-reviews-50-v3: v1 and v3 share the traffic, never v2", async () => {
    expect((await applyYaml(reviews50V3)).status).toBe(200);
    const seen = new Set<string>();
    for (let i = 0; i < 30 && seen.size < 2; i++) seen.add(servedBy(await page()) ?? "none");
    expect([...seen].sort()).toEqual(["reviews-v1", "reviews-v3"]);
  });

  it("reports the routes attached and accepted", async () => {
    const gw = (await (await admin("/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/bookinfo-gateway")).json()) as {
      status: { listeners: { name: string; attachedRoutes: number }[]; conditions: { type: string; status: string }[] };
    };
    expect(gw.status.listeners[0]).toMatchObject({ name: "http", attachedRoutes: 1 });
    expect(gw.status.conditions.find((c) => c.type === "Programmed")?.status).toBe("True");
    const reviews = (await (await admin("/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/reviews")).json()) as {
      status: { parents: { parentRef: { kind: string }; conditions: { type: string; status: string }[] }[] };
    };
    expect(reviews.status.parents[0]!.parentRef.kind).toBe("Service");
    expect(reviews.status.parents[0]!.conditions.every((c) => c.status === "True")).toBe(true);
  });
});
