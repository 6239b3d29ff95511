/**
 * The shipped Bookinfo example, end to end through the config pipeline: load → validate → compile →
 * route. Guards the contract between the example YAML, the compiler and the router.
 */
import { describe, expect, it } from "vitest";
import gatewayYaml from "../../../examples/bookinfo/bookinfo-gateway.yaml?raw";
import servicesYaml from "../../../examples/bookinfo/bookinfo-services.yaml?raw";
import destinationRulesYaml from "../../../examples/bookinfo/destination-rule-all.yaml?raw";
import jasonYaml from "../../../examples/bookinfo/tasks/virtual-service-reviews-jason-v2.yaml?raw";
import { loadText } from "../../../src/config/loader.js";
import { validateDocuments } from "../../../src/config/validate.js";
import type { Resource } from "../../../src/config/resource.js";
import { buildRouter } from "../../../src/router/index.js";
import { pickDestination } from "../../../src/policy/weighted-destination.js";
import { compile, req } from "./fixtures.js";

function load(...texts: string[]): Resource[] {
  const docs = texts.flatMap((t, i) => {
    const r = loadText(t, { file: `doc${i}.yaml` });
    expect(r.errors).toEqual([]);
    return r.documents;
  });
  const { resources, errors } = validateDocuments(docs);
  expect(errors).toEqual([]);
  return resources;
}

describe("examples/bookinfo through compile and route", () => {
  it("serves /productpage on bookinfo.local through the productpage binding", () => {
    const snapshot = compile(load(gatewayYaml, servicesYaml, destinationRulesYaml));
    expect(JSON.parse(JSON.stringify(snapshot))).toStrictEqual(snapshot);
    const router = buildRouter(snapshot);
    const d = router.route(req({ authority: "bookinfo.local:8787", path: "/productpage?u=normal", port: 8787 }));
    expect(d.outcome).toBe("matched");
    if (d.outcome !== "matched") return;
    const dest = pickDestination(d.route, Math.random)!;
    expect(dest.cluster).toBe("outbound|9080||productpage.default.svc.cluster.local");
    const endpoints = router.cluster(dest.cluster)!.endpoints;
    expect(endpoints.map((e) => (e.kind === "binding" ? e.binding : e.address))).toEqual(["BOOKINFO_PRODUCTPAGE"]);
    expect(router.route(req({ authority: "bookinfo.local", path: "/nothing-here" })).outcome).toBe("no_route");
    expect(router.route(req({ authority: "other.local", path: "/productpage" })).outcome).toBe("no_virtual_host");
  });

  it("east-west: productpage calling http://reviews:9080 reaches the reviews members", () => {
    const router = buildRouter(compile(load(gatewayYaml, servicesYaml, destinationRulesYaml)));
    const d = router.route(req({ listener: "mesh", authority: "reviews:9080", path: "/reviews/0", port: 9080, sourceNamespace: "default" }));
    expect(d.outcome === "matched" && d.routeName).toBe("default");
    if (d.outcome !== "matched") return;
    const cluster = router.cluster(pickDestination(d.route, Math.random)!.cluster)!;
    expect(cluster.endpoints.map((e) => (e.kind === "binding" ? e.binding : e.address)).sort()).toEqual([
      "BOOKINFO_REVIEWS_V1",
      "BOOKINFO_REVIEWS_V2",
      "BOOKINFO_REVIEWS_V3",
    ]);
    for (const v of ["v1", "v2", "v3"]) {
      expect(router.cluster(`outbound|9080|${v}|reviews.default.svc.cluster.local`)!.endpoints.map((e) => e.kind === "binding" && e.binding)).toEqual([`BOOKINFO_REVIEWS_${v.toUpperCase()}`]);
    }
  });

  it("the jason task routes end-user jason to reviews v2", () => {
    const router = buildRouter(compile(load(gatewayYaml, servicesYaml, destinationRulesYaml, jasonYaml)));
    const as = (user?: string) => {
      const d = router.route(req({ listener: "mesh", authority: "reviews:9080", path: "/reviews/0", port: 9080, sourceNamespace: "default", headers: user ? { "end-user": user } : {} }));
      return d.outcome === "matched" ? pickDestination(d.route, Math.random)!.subset : d.outcome;
    };
    expect(as("jason")).toBe("v2");
    expect(as("someone")).toBe("v1");
    expect(as()).toBe("v1");
  });
});
