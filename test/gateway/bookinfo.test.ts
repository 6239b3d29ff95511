/**
 * Bookinfo end to end through the gateway in workerd: the admin API applies examples/bookinfo/*.yaml,
 * then a client asks for /productpage with Host bookinfo.local; productpage calls details and reviews
 * through its binding to the gateway (east-west), and reviews v2/v3 call ratings the same way.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, applyYaml, BOOKINFO_YAML, TASKS } from "../helpers/admin.js";

describe("Bookinfo through the mesh", () => {
  beforeAll(async () => {
    const res = await applyYaml(BOOKINFO_YAML);
    expect(res.status).toBe(200);
  });

  it("serves the product page with details and reviews", async () => {
    const res = await exports.default.fetch("http://127.0.0.1:8787/productpage", { headers: { host: "bookinfo.local" } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("The Comedy of Errors");
    expect(html).toContain("PublisherA"); // details, through the mesh
    expect(html).toMatch(/Reviews served by: reviews-v[123]/); // reviews, through the mesh
  });

  it("load-balances reviews over v1, v2 and v3 when no VirtualService narrows it", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30 && seen.size < 3; i++) {
      const html = await (await exports.default.fetch("http://gw/productpage", { headers: { host: "bookinfo.local" } })).text();
      const m = /Reviews served by: (reviews-v\d)/.exec(html);
      if (m) seen.add(m[1]!);
    }
    expect([...seen].sort()).toEqual(["reviews-v1", "reviews-v2", "reviews-v3"]);
  });

  it("routes every call to reviews v1 after virtual-service-all-v1 (no stars)", async () => {
    expect((await applyYaml(TASKS.allV1)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const html = await (await exports.default.fetch("http://gw/productpage", { headers: { host: "bookinfo.local" } })).text();
      expect(html).toContain("Reviews served by: reviews-v1");
      expect(html).not.toContain("★");
    }
  });

  it("sends jason to v2 (black stars) by the end-user header, others to v1", async () => {
    expect((await applyYaml(TASKS.jasonV2)).status).toBe(200);
    const jason = await (await exports.default.fetch("http://gw/productpage", { headers: { host: "bookinfo.local", "end-user": "jason" } })).text();
    expect(jason).toContain("Reviews served by: reviews-v2");
    expect(jason).toContain('style="color:black"');
    const other = await (await exports.default.fetch("http://gw/productpage", { headers: { host: "bookinfo.local" } })).text();
    expect(other).toContain("Reviews served by: reviews-v1");
  });

  it("answers 404 for a path the gateway VirtualService does not route, and for an unknown host", async () => {
    const a = await exports.default.fetch("http://gw/admin", { headers: { host: "bookinfo.local" } });
    expect(a.status).toBe(404);
    const b = await exports.default.fetch("http://gw/productpage", { headers: { host: "other.local" } });
    expect(b.status).toBe(404);
  });

  it("explains the whole decision for a north-south request", async () => {
    const res = await admin("/explain", { method: "POST", body: JSON.stringify({ method: "GET", url: "http://bookinfo.local/productpage", headers: {} }) });
    const out = (await res.json()) as {
      outcome: string; stage: string;
      stages: { route: { name: string; match: { description: string } }; virtual_host: { name: string }; router: { destination: { cluster: string }; endpoints: string[]; endpoint: string; loadBalancer: { algorithm: string } }; destination: { workload: string } };
    };
    expect(out.outcome).toBe("forward");
    expect(out.stage).toBe("router");
    expect(out.stages.virtual_host.name).toBe("bookinfo.local:80");
    expect(out.stages.route.name).toBe("productpage");
    expect(out.stages.route.match.description).toBe('uri exact "/productpage"');
    expect(out.stages.router.destination.cluster).toBe("outbound|9080||productpage.default.svc.cluster.local");
    expect(out.stages.router.endpoints).toEqual(["binding:BOOKINFO_PRODUCTPAGE"]);
    expect(out.stages.router.endpoint).toBe("binding:BOOKINFO_PRODUCTPAGE");
    expect(out.stages.router.loadBalancer.algorithm).toBe("LEAST_REQUEST");
    // the destination stage ran for the productpage workload (a MESH_INTERNAL member)
    expect(out.stages.destination.workload).toBe("default/bookinfo-productpage");
  });

  it("explains an east-west call from a member (jason's reviews go to v2)", async () => {
    expect((await applyYaml(TASKS.jasonV2)).status).toBe(200);
    const res = await admin("/explain", { method: "POST", body: JSON.stringify({
      method: "GET", url: "http://reviews:9080/reviews/0", headers: { "end-user": "jason" }, source: { namespace: "default", serviceAccount: "bookinfo-productpage" },
    }) });
    const out = (await res.json()) as { outcome: string; request: { listener: string }; stages: { destination: { peer_authn: { caller: string } }; router: { destination: { subset: string } } } };
    expect(out.outcome).toBe("forward");
    expect(out.request.listener).toBe("mesh");
    expect(out.stages.destination.peer_authn.caller).toBe("cluster.local/ns/default/sa/bookinfo-productpage");
    expect(out.stages.router.destination.subset).toBe("v2");
  });
});
