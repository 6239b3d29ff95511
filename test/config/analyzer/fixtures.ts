/**
 * YAML building blocks for the analyzer tables: a Bookinfo-like mesh in namespace `default`
 * (ingress Gateway, ServiceEntries for the members, WorkloadEntries for reviews v1–v3, DestinationRules).
 */

export const GATEWAY_YAML = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
  namespace: default
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - bookinfo.local
`;

/** A ServiceEntry for `name` with one HTTP port and one static endpoint labelled `app: name`. */
export function serviceEntry(name: string, host = name, namespace = "default"): string {
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  hosts:
  - ${JSON.stringify(host)}
  location: MESH_INTERNAL
  ports:
  - number: 9080
    name: http
    protocol: HTTP
  resolution: STATIC
  endpoints:
  - address: 10.0.0.1
    labels:
      app: ${name}
`;
}

/** reviews: a ServiceEntry selecting WorkloadEntries reviews-v1..v3 (labels app: reviews, version: vN). */
export const REVIEWS_YAML = [
  `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: reviews
  namespace: default
spec:
  hosts:
  - reviews.default.svc.cluster.local
  location: MESH_INTERNAL
  ports:
  - number: 9080
    name: http
    protocol: HTTP
  resolution: STATIC
  workloadSelector:
    labels:
      app: reviews
`,
  ...[1, 2, 3].map(
    (v) => `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: reviews-v${v}
  namespace: default
spec:
  address: 10.0.1.${v}
  labels:
    app: reviews
    version: v${v}
`,
  ),
  `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: default
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
  - name: v3
    labels:
      version: v3
`,
];

/** The whole clean mesh: gateway, productpage/details/ratings entries, reviews with subsets, and the routes. */
export const BOOKINFO_YAML = [
  GATEWAY_YAML,
  serviceEntry("productpage"),
  serviceEntry("details"),
  serviceEntry("ratings"),
  ...REVIEWS_YAML,
  `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
  namespace: default
spec:
  hosts:
  - bookinfo.local
  gateways:
  - bookinfo-gateway
  http:
  - match:
    - uri:
        exact: /productpage
    - uri:
        prefix: /static
    - uri:
        prefix: /api/v1/products
    route:
    - destination:
        host: productpage
        port:
          number: 9080
`,
  `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: default
spec:
  hosts:
  - reviews
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    route:
    - destination:
        host: reviews
        subset: v2
  - route:
    - destination:
        host: reviews
        subset: v1
      weight: 80
    - destination:
        host: reviews
        subset: v3
      weight: 20
`,
  `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ratings
  namespace: default
spec:
  host: ratings.default.svc.cluster.local
  subsets:
  - name: all
`,
];
