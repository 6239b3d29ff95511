/**
 * Small builders for compile/router tests: resources as the loader would hand them over (validated),
 * with creation timestamps so merge order is explicit.
 */
import type { Kind, Resource } from "../../../src/config/resource.js";
import type { DestinationRuleSpec } from "../../../src/config/schemas/destination-rule.js";
import type { GatewaySpec } from "../../../src/config/schemas/gateway.js";
import type { ServiceEntrySpec, WorkloadEntrySpec } from "../../../src/config/schemas/service-entry.js";
import type { VirtualServiceSpec } from "../../../src/config/schemas/virtual-service.js";
import { compileSnapshot, type CompileOptions } from "../../../src/config/compile/index.js";
import { buildRouter, type RouteInput } from "../../../src/router/index.js";
import type { Snapshot } from "../../../src/config/snapshot.js";

let clock = Date.parse("2024-01-01T00:00:00Z");

interface Meta {
  namespace?: string;
  created?: string;
  labels?: Record<string, string>;
}

function resource<S>(kind: Kind, name: string, spec: S, meta: Meta = {}): Resource<S> {
  clock += 1000;
  const md: Resource<S>["metadata"] = {
    name,
    namespace: meta.namespace ?? "default",
    creationTimestamp: meta.created ?? new Date(clock).toISOString(),
  };
  if (meta.labels) md.labels = meta.labels;
  return { apiVersion: "networking.istio.io/v1", kind, metadata: md, spec };
}

export const gw = (name: string, spec: GatewaySpec, meta?: Meta) => resource("Gateway", name, spec, meta);
export const vs = (name: string, spec: VirtualServiceSpec, meta?: Meta) => resource("VirtualService", name, spec, meta);
export const dr = (name: string, spec: DestinationRuleSpec, meta?: Meta) => resource("DestinationRule", name, spec, meta);
export const se = (name: string, spec: ServiceEntrySpec, meta?: Meta) => resource("ServiceEntry", name, spec, meta);
export const we = (name: string, spec: WorkloadEntrySpec, meta?: Meta) => resource("WorkloadEntry", name, spec, meta);

export const OPTS: CompileOptions = { gatewayLabels: { istio: "ingressgateway" }, gatewayNamespace: "istio-system", version: 1 };

/** An HTTP server on port 80 with the given hosts, selecting the default gateway workload. */
export function httpGateway(name: string, hosts: string[], meta?: Meta & { port?: number; httpsRedirect?: boolean }) {
  return gw(
    name,
    {
      selector: { istio: "ingressgateway" },
      servers: [
        {
          port: { number: meta?.port ?? 80, name: "http", protocol: "HTTP" },
          hosts,
          ...(meta?.httpsRedirect ? { tls: { httpsRedirect: true } } : {}),
        },
      ],
    },
    meta,
  );
}

export function compile(resources: Resource<unknown>[], opts: Partial<CompileOptions> = {}): Snapshot {
  return compileSnapshot(resources as Resource[], { ...OPTS, ...opts });
}

/** A request with sensible defaults for route tests. */
export type RequestSpec = Omit<Partial<RouteInput>, "headers"> & { headers?: Record<string, string> };

export function req(partial: RequestSpec = {}): RouteInput {
  const h = new Headers(partial.headers ?? {});
  return {
    listener: "gateway",
    authority: "example.com",
    path: "/",
    method: "GET",
    scheme: "http",
    port: 80,
    ...partial,
    headers: h,
  };
}

/** Compiles and routes one request; returns the decision. */
export function routeOnce(resources: Resource<unknown>[], input: RouteInput, opts?: Partial<CompileOptions>) {
  return buildRouter(compile(resources, opts)).route(input);
}

/** The Bookinfo-like config used by several tests. */
export function bookinfo(): Resource<unknown>[] {
  return [
    httpGateway("bookinfo-gateway", ["*"], { namespace: "default" }),
    vs("bookinfo", {
      hosts: ["bookinfo.local"],
      gateways: ["bookinfo-gateway"],
      http: [
        {
          match: [{ uri: { exact: "/productpage" } }, { uri: { prefix: "/static" } }, { uri: { exact: "/login" } }, { uri: { exact: "/logout" } }, { uri: { prefix: "/api/v1/products" } }],
          route: [{ destination: { host: "productpage", port: { number: 9080 } } }],
        },
      ],
    }),
    vs("reviews", {
      hosts: ["reviews"],
      http: [
        { name: "jason", match: [{ name: "user", headers: { "end-user": { exact: "jason" } } }], route: [{ destination: { host: "reviews", subset: "v2" } }] },
        { name: "split", route: [{ destination: { host: "reviews", subset: "v1" }, weight: 50 }, { destination: { host: "reviews", subset: "v3" }, weight: 50 }] },
      ],
    }),
    dr("reviews", {
      host: "reviews",
      trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" }, outlierDetection: { consecutive5xxErrors: 3 } },
      subsets: [
        { name: "v1", labels: { version: "v1" } },
        { name: "v2", labels: { version: "v2" }, trafficPolicy: { loadBalancer: { simple: "RANDOM" } } },
        { name: "v3", labels: { version: "v3" } },
        { name: "v4", labels: { version: "v4" } },
      ],
    }),
    se("productpage", {
      hosts: ["productpage"],
      location: "MESH_INTERNAL",
      resolution: "STATIC",
      ports: [{ number: 9080, name: "http", protocol: "HTTP" }],
      endpoints: [{ address: "binding:PRODUCTPAGE", labels: { version: "v1" } }],
    }),
    se("reviews", {
      hosts: ["reviews"],
      location: "MESH_INTERNAL",
      resolution: "STATIC",
      ports: [{ number: 9080, name: "http", protocol: "HTTP" }],
      endpoints: [
        { address: "binding:REVIEWS_V1", labels: { version: "v1" } },
        { address: "binding:REVIEWS_V2", labels: { version: "v2" } },
        { address: "binding:REVIEWS_V3", labels: { version: "v3" } },
      ],
    }),
    se("ratings", {
      hosts: ["ratings.default.svc.cluster.local"],
      location: "MESH_INTERNAL",
      resolution: "STATIC",
      ports: [{ number: 9080, name: "http", protocol: "HTTP" }],
      workloadSelector: { labels: { app: "ratings" } },
    }),
    we("ratings-v1", { address: "binding:RATINGS", labels: { app: "ratings", version: "v1" } }),
    we("ratings-other-ns", { address: "binding:NOPE", labels: { app: "ratings" } }, { namespace: "other" }),
    se("httpbin", {
      hosts: ["httpbin.org"],
      resolution: "DNS",
      ports: [{ number: 443, name: "https", protocol: "HTTPS" }],
    }),
    se("origin", {
      hosts: ["origin.example.com"],
      resolution: "STATIC",
      ports: [{ number: 80, name: "http-web", protocol: "HTTP", targetPort: 8080 }],
      endpoints: [{ address: "127.0.0.1" }, { address: "127.0.0.2", ports: { "http-web": 9999 } }],
    }),
  ];
}
