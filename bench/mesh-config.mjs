/**
 * The Istio config the gateway scenarios apply: one Gateway, the origin Worker registered as a
 * ServiceEntry endpoint `binding:ORIGIN`, and N VirtualService routes on one host, 100 routes per
 * VirtualService (Istio merges VirtualServices of one host in creation order, so the gateway sees one
 * table of N routes). The routes mix the match kinds operators write — mostly uri prefixes, with
 * exact paths, RE2 regexes and header conditions — so the index has every kind of bucket to search.
 * Every route forwards to the same origin; the request is aimed at a route in the middle of the table.
 *
 * Also used by bench/micro-worker.ts (same generator, so the microbenchmark matches what is served).
 */

export const BENCH_HOST = "bench.example.com";
export const BENCH_NAMESPACE = "bench";
export const ORIGIN_HOST = `origin.${BENCH_NAMESPACE}.svc.cluster.local`;
export const ROUTES_PER_VIRTUAL_SERVICE = 100;

/**
 * Route i's match, by i mod 10: 0–6 uri prefix, 7 exact path, 8 regex, 9 prefix + header.
 * Route i only matches paths under `/svc<i>/` (or that exact path), so a request for one route is a
 * miss for every other: the index, not luck, must find it.
 */
export function routeMatch(i) {
  switch (i % 10) {
    case 7:
      return { uri: { exact: `/svc${i}/items` } };
    case 8:
      return { uri: { regex: `/svc${i}/v[0-9]+/.*` } };
    case 9:
      return { uri: { prefix: `/svc${i}/` }, headers: { "x-tenant": { exact: `t${i}` } } };
    default:
      return { uri: { prefix: `/svc${i}/` } };
  }
}

/** A path (and headers) that route i — and only route i — matches. */
export function requestFor(i) {
  switch (i % 10) {
    case 7:
      return { path: `/svc${i}/items`, headers: {} };
    case 8:
      return { path: `/svc${i}/v2/items/42`, headers: {} };
    case 9:
      return { path: `/svc${i}/items/42`, headers: { "x-tenant": `t${i}` } };
    default:
      return { path: `/svc${i}/items/42?color=blue`, headers: {} };
  }
}

/** The route the load is aimed at: the middle of the table, a plain prefix route. */
export function middleRoute(routes) {
  let i = Math.floor(routes / 2);
  while (i % 10 >= 7) i--; // keep it a plain prefix route (the common case)
  return i;
}

/** Resources for `routes` routes, as a list of apply batches (each a JSON array under the 1 MiB admin body cap). */
export function meshResources(routes) {
  const base = [
    {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { name: "bench-gateway", namespace: BENCH_NAMESPACE },
      spec: {
        selector: { istio: "ingressgateway" },
        servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: [BENCH_HOST] }],
      },
    },
    {
      apiVersion: "networking.istio.io/v1",
      kind: "ServiceEntry",
      metadata: { name: "origin", namespace: BENCH_NAMESPACE },
      spec: {
        hosts: [ORIGIN_HOST],
        location: "MESH_INTERNAL",
        resolution: "STATIC",
        ports: [{ number: 80, name: "http", protocol: "HTTP" }],
        // The label lets destination policies (scenario h, the destination-stage microbenchmark) select the origin.
        endpoints: [{ address: "binding:ORIGIN", labels: { app: "origin" } }],
      },
    },
  ];
  const virtualServices = [];
  for (let start = 0; start < routes; start += ROUTES_PER_VIRTUAL_SERVICE) {
    const http = [];
    for (let i = start; i < Math.min(routes, start + ROUTES_PER_VIRTUAL_SERVICE); i++) {
      http.push({ name: `r${i}`, match: [routeMatch(i)], route: [{ destination: { host: ORIGIN_HOST, port: { number: 80 } } }] });
    }
    virtualServices.push({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      // Zero-padded so name order (the creation-order tie-break) is route order.
      metadata: { name: `routes-${String(start / ROUTES_PER_VIRTUAL_SERVICE).padStart(4, "0")}`, namespace: BENCH_NAMESPACE },
      spec: { hosts: [BENCH_HOST], gateways: ["bench-gateway"], http },
    });
  }
  return { base, virtualServices };
}

/** Route i's match as a Gateway API HTTPRouteMatch (the same paths and headers as `routeMatch(i)`). */
export function httpRouteMatch(i) {
  switch (i % 10) {
    case 7:
      return { path: { type: "Exact", value: `/svc${i}/items` } };
    case 8:
      return { path: { type: "RegularExpression", value: `/svc${i}/v[0-9]+/.*` } };
    case 9:
      return { path: { type: "PathPrefix", value: `/svc${i}` }, headers: [{ name: "x-tenant", value: `t${i}` }] };
    default:
      return { path: { type: "PathPrefix", value: `/svc${i}` } };
  }
}

/** The name explain reports for route i written as HTTPRoute `r<i>` (rule 0, match 0). */
export const httpRouteName = (i) => `${BENCH_NAMESPACE}.r${i}.0.0`;

/**
 * The same table as `meshResources(routes)`, written with the Kubernetes Gateway API (scenario i): a
 * Gateway of Istio's class with one HTTP listener for the bench host, and one HTTPRoute per route (the
 * CRD allows 16 rules per HTTPRoute; one each keeps the names simple) whose backend is the origin Service.
 */
export function gatewayApiResources(routes) {
  const { base } = meshResources(0);
  const serviceEntry = base.find((r) => r.kind === "ServiceEntry");
  const gateway = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: "bench-gateway", namespace: BENCH_NAMESPACE },
    spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP", hostname: BENCH_HOST }] },
  };
  const httpRoutes = [];
  for (let i = 0; i < routes; i++) {
    httpRoutes.push({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: `r${i}`, namespace: BENCH_NAMESPACE },
      spec: {
        parentRefs: [{ name: "bench-gateway" }],
        rules: [{ matches: [httpRouteMatch(i)], backendRefs: [{ name: "origin", port: 80 }] }],
      },
    });
  }
  return { base: [gateway, serviceEntry], virtualServices: httpRoutes };
}

/** Splits resources into JSON bodies of at most `maxBytes` each. */
export function applyBatches(resources, maxBytes = 900_000) {
  const batches = [];
  let current = [];
  let size = 2;
  for (const r of resources) {
    const s = JSON.stringify(r).length + 1;
    if (current.length && size + s > maxBytes) {
      batches.push(JSON.stringify(current));
      current = [];
      size = 2;
    }
    current.push(r);
    size += s;
  }
  if (current.length) batches.push(JSON.stringify(current));
  return batches;
}
