/**
 * VirtualService analyzer tables: IST0101 (hosts, subsets, mirrors, ports, gateways), IST0112,
 * IST0109, IST0130, IST0131, IST0132, IST0149 — exact istioctl lines with file:line.
 */
import { describe, expect, it } from "vitest";
import { GATEWAY_YAML, REVIEWS_YAML, serviceEntry } from "./fixtures.js";
import { analyzeLines, analyzeYaml, docs } from "./harness.js";

interface Row {
  name: string;
  yaml: string;
  expected: string[];
}

function table(rows: Row[]): void {
  for (const row of rows) {
    it(row.name, () => {
      expect(analyzeLines(row.yaml, "bookinfo.yaml")).toEqual(row.expected);
    });
  }
}

/** A VirtualService `reviews` in `default` whose one rule routes to `destination` (YAML lines 1–12+). */
function routeTo(destination: string, extra = ""): string {
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: default
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
${destination}${extra}`;
}

describe("IST0101 ReferencedResourceNotFound: destination hosts", () => {
  table([
    {
      name: "destination host with no ServiceEntry",
      yaml: routeTo("        host: reviews\n"),
      expected: ['Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host not found: "reviews"'],
    },
    {
      name: "short destination host, ServiceEntry host written short",
      yaml: docs(routeTo("        host: reviews\n"), serviceEntry("reviews")),
      expected: [],
    },
    {
      name: "short destination host, ServiceEntry host written as FQDN",
      yaml: docs(routeTo("        host: reviews\n"), serviceEntry("reviews", "reviews.default.svc.cluster.local")),
      expected: [],
    },
    {
      name: "FQDN destination host, ServiceEntry host written short",
      yaml: docs(routeTo("        host: reviews.default.svc.cluster.local\n"), serviceEntry("reviews")),
      expected: [],
    },
    {
      name: "short name resolves in the VirtualService's namespace, not the ServiceEntry's",
      yaml: docs(routeTo("        host: reviews\n"), serviceEntry("reviews", "reviews", "other")),
      expected: ['Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host not found: "reviews"'],
    },
    {
      name: "wildcard ServiceEntry host covers the destination",
      yaml: docs(routeTo("        host: api.example.com\n"), serviceEntry("example", "*.example.com")),
      expected: [],
    },
    {
      name: "wildcard ServiceEntry host does not cover the bare domain",
      yaml: docs(routeTo("        host: example.com\n"), serviceEntry("example", "*.example.com")),
      expected: ['Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host not found: "example.com"'],
    },
    {
      name: "ServiceEntry exported only to its own namespace is not visible",
      yaml: docs(
        routeTo("        host: reviews.other.svc.cluster.local\n"),
        serviceEntry("reviews", "reviews", "other") + "  exportTo:\n  - .\n",
      ),
      expected: ['Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host not found: "reviews.other.svc.cluster.local"'],
    },
    {
      name: "destination port the ServiceEntry does not expose",
      yaml: docs(routeTo("        host: reviews\n        port:\n          number: 9090\n"), serviceEntry("reviews")),
      expected: ['Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host:port not found: "reviews:9090"'],
    },
    {
      name: "destination port the ServiceEntry exposes",
      yaml: docs(routeTo("        host: reviews\n        port:\n          number: 9080\n"), serviceEntry("reviews")),
      expected: [],
    },
    {
      name: "tcp route destination",
      yaml: `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: db
  namespace: default
spec:
  hosts:
  - db
  tcp:
  - route:
    - destination:
        host: db
`,
      expected: ['Error [IST0101] (VirtualService default/db bookinfo.yaml:12) Referenced host not found: "db"'],
    },
  ]);
});

describe("IST0101 ReferencedResourceNotFound: subsets and mirrors", () => {
  table([
    {
      name: "subset no DestinationRule defines",
      yaml: docs(routeTo("        host: reviews\n        subset: v4\n"), ...REVIEWS_YAML),
      expected: ['Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host+subset in destinationrule not found: "reviews+v4"'],
    },
    {
      name: "subset the DestinationRule defines (DR host short, VS host FQDN)",
      yaml: docs(routeTo("        host: reviews.default.svc.cluster.local\n        subset: v2\n"), ...REVIEWS_YAML),
      expected: [],
    },
    {
      name: "subset of a DestinationRule for another host",
      yaml: docs(routeTo("        host: ratings\n        subset: v1\n"), serviceEntry("ratings"), ...REVIEWS_YAML),
      expected: ['Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host+subset in destinationrule not found: "ratings+v1"'],
    },
    {
      name: "unknown host and subset: both reported",
      yaml: routeTo("        host: reviews\n        subset: v1\n"),
      expected: [
        'Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host not found: "reviews"',
        'Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host+subset in destinationrule not found: "reviews+v1"',
      ],
    },
    {
      name: "mirror host and mirror subset",
      yaml: docs(
        routeTo("        host: reviews\n", "    mirror:\n      host: shadow\n      subset: canary\n"),
        ...REVIEWS_YAML,
      ),
      expected: [
        'Error [IST0101] (VirtualService default/reviews bookinfo.yaml:14) Referenced mirror host not found: "shadow"',
        'Error [IST0101] (VirtualService default/reviews bookinfo.yaml:14) Referenced mirror+subset in destinationrule not found: "shadow+canary"',
      ],
    },
    {
      name: "mirrors[] destination",
      yaml: docs(
        routeTo("        host: reviews\n", "    mirrors:\n    - destination:\n        host: reviews\n        subset: v9\n"),
        ...REVIEWS_YAML,
      ),
      expected: ['Error [IST0101] (VirtualService default/reviews bookinfo.yaml:15) Referenced mirror+subset in destinationrule not found: "reviews+v9"'],
    },
  ]);
});

describe("IST0112 VirtualServiceDestinationPortSelectorRequired", () => {
  const twoPorts = serviceEntry("reviews").replace("  resolution: STATIC", "  - number: 9090\n    name: grpc\n    protocol: GRPC\n  resolution: STATIC");
  table([
    {
      name: "no port for a service with two",
      yaml: docs(routeTo("        host: reviews\n"), twoPorts),
      expected: [
        'Error [IST0112] (VirtualService default/reviews bookinfo.yaml:12) This VirtualService routes to a service "reviews" that exposes multiple ports [9080 9090]. Specifying a port in the destination is required to disambiguate.',
      ],
    },
    { name: "port named", yaml: docs(routeTo("        host: reviews\n        port:\n          number: 9090\n"), twoPorts), expected: [] },
  ]);
});

/** A VirtualService `bookinfo` in `default` with the given hosts and gateways, routing to productpage. */
function gatewayVs(hosts: string[], gateways: string[], name = "bookinfo"): string {
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: default
spec:
  hosts:
${hosts.map((h) => `  - ${JSON.stringify(h)}\n`).join("")}  gateways:
${gateways.map((g) => `  - ${g}\n`).join("")}  http:
  - route:
    - destination:
        host: productpage
`;
}

describe("IST0101 gateway / IST0132 VirtualServiceHostNotFoundInGateway", () => {
  const pp = serviceEntry("productpage");
  table([
    {
      name: "gateway that does not exist (Istio reports both)",
      yaml: docs(gatewayVs(["bookinfo.local"], ["bookinfo-gateway"]), pp),
      expected: [
        'Error [IST0101] (VirtualService default/bookinfo bookinfo.yaml:10) Referenced gateway not found: "bookinfo-gateway"',
        "Warning [IST0132] (VirtualService default/bookinfo bookinfo.yaml:10) one or more host [bookinfo.local] defined in VirtualService default/bookinfo not found in Gateway default/bookinfo-gateway.",
      ],
    },
    { name: "gateway exists and serves the host", yaml: docs(gatewayVs(["bookinfo.local"], ["bookinfo-gateway", "mesh"]), pp, GATEWAY_YAML), expected: [] },
    {
      name: "gateway referenced as namespace/name",
      yaml: docs(gatewayVs(["bookinfo.local"], ["default/bookinfo-gateway"]), pp, GATEWAY_YAML),
      expected: [],
    },
    {
      name: "gateway in another namespace, referenced by short name",
      yaml: docs(gatewayVs(["bookinfo.local"], ["bookinfo-gateway"]), pp, GATEWAY_YAML.replace("namespace: default", "namespace: istio-system")),
      expected: [
        'Error [IST0101] (VirtualService default/bookinfo bookinfo.yaml:10) Referenced gateway not found: "bookinfo-gateway"',
        "Warning [IST0132] (VirtualService default/bookinfo bookinfo.yaml:10) one or more host [bookinfo.local] defined in VirtualService default/bookinfo not found in Gateway default/bookinfo-gateway.",
      ],
    },
    {
      name: "no VirtualService host served by the Gateway",
      yaml: docs(gatewayVs(["shop.local", "api.local"], ["bookinfo-gateway"]), pp, GATEWAY_YAML),
      expected: [
        "Warning [IST0132] (VirtualService default/bookinfo bookinfo.yaml:11) one or more host [shop.local api.local] defined in VirtualService default/bookinfo not found in Gateway default/bookinfo-gateway.",
      ],
    },
    {
      name: "one of several hosts served is enough",
      yaml: docs(gatewayVs(["shop.local", "bookinfo.local"], ["bookinfo-gateway"]), pp, GATEWAY_YAML),
      expected: [],
    },
    {
      name: "wildcard server host covers the VirtualService host",
      yaml: docs(gatewayVs(["bookinfo.local"], ["bookinfo-gateway"]), pp, GATEWAY_YAML.replace("- bookinfo.local", '- "*.local"')),
      expected: [],
    },
    {
      name: "server host scoped to another namespace is not visible",
      yaml: docs(gatewayVs(["bookinfo.local"], ["bookinfo-gateway"]), pp, GATEWAY_YAML.replace("- bookinfo.local", "- shop/bookinfo.local")),
      expected: [
        "Warning [IST0132] (VirtualService default/bookinfo bookinfo.yaml:10) one or more host [bookinfo.local] defined in VirtualService default/bookinfo not found in Gateway default/bookinfo-gateway.",
      ],
    },
    {
      name: "server host scoped to `.` (the Gateway's namespace) is visible there",
      yaml: docs(gatewayVs(["bookinfo.local"], ["bookinfo-gateway"]), pp, GATEWAY_YAML.replace("- bookinfo.local", "- ./bookinfo.local")),
      expected: [],
    },
  ]);
});

/** A mesh-bound VirtualService (no gateways) for host `reviews`. */
function meshVs(name: string, namespace = "default", extra = ""): string {
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  hosts:
  - reviews.default.svc.cluster.local
${extra}  http:
  - route:
    - destination:
        host: reviews.default.svc.cluster.local
`;
}

describe("IST0109 ConflictingMeshGatewayVirtualServiceHosts", () => {
  const se = serviceEntry("reviews");
  const text = (vss: string) =>
    `The VirtualServices ${vss} associated with mesh gateway define the same host */reviews.default.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`;
  table([
    {
      name: "two mesh VirtualServices, same host (short and FQDN forms)",
      yaml: docs(meshVs("reviews-a"), meshVs("reviews-b").replace("  - reviews.default.svc.cluster.local\n  http", "  - reviews\n  http"), se),
      expected: [
        `Error [IST0109] (VirtualService default/reviews-a bookinfo.yaml:4) ${text("default/reviews-a,default/reviews-b")}`,
        `Error [IST0109] (VirtualService default/reviews-b bookinfo.yaml:17) ${text("default/reviews-a,default/reviews-b")}`,
      ],
    },
    {
      name: "one of them bound to a gateway only",
      yaml: docs(meshVs("reviews-a"), meshVs("reviews-b", "default", "  gateways:\n  - bookinfo-gateway\n"), se, GATEWAY_YAML),
      expected: [
        "Warning [IST0132] (VirtualService default/reviews-b bookinfo.yaml:23) one or more host [reviews.default.svc.cluster.local] defined in VirtualService default/reviews-b not found in Gateway default/bookinfo-gateway.",
      ],
    },
    {
      name: "`mesh` listed explicitly counts as mesh-bound",
      yaml: docs(meshVs("reviews-a"), meshVs("reviews-b", "default", "  gateways:\n  - mesh\n"), se),
      expected: [
        `Error [IST0109] (VirtualService default/reviews-a bookinfo.yaml:4) ${text("default/reviews-a,default/reviews-b")}`,
        `Error [IST0109] (VirtualService default/reviews-b bookinfo.yaml:17) ${text("default/reviews-a,default/reviews-b")}`,
      ],
    },
    {
      name: "exported to different namespaces: no conflict",
      yaml: docs(meshVs("reviews-a", "team-a", "  exportTo:\n  - .\n"), meshVs("reviews-b", "team-b", "  exportTo:\n  - .\n"), se),
      expected: [],
    },
  ]);
});

/** A VirtualService `reviews` with the given `http:` rules text. */
function rules(http: string): string {
  return docs(
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
${http}`,
    serviceEntry("reviews"),
  );
}
const ROUTE = "    route:\n    - destination:\n        host: reviews\n";

describe("IST0130 VirtualServiceUnreachableRule / IST0131 VirtualServiceIneffectiveMatch", () => {
  table([
    {
      name: "rule after a match-less rule",
      yaml: rules(`  - route:\n    - destination:\n        host: reviews\n  - match:\n    - uri:\n        prefix: /api\n${ROUTE}`),
      expected: ["Warning [IST0130] (VirtualService default/reviews bookinfo.yaml:13) VirtualService rule #1 not used (route without matches defined before)."],
    },
    {
      name: "two match-less rules",
      yaml: rules(`  - name: first\n${ROUTE}  - name: second\n${ROUTE}`),
      expected: ['Warning [IST0130] (VirtualService default/reviews bookinfo.yaml:14) VirtualService rule "second" not used (only the last rule can have no matches).'],
    },
    {
      name: "match-less rule last is fine",
      yaml: rules(`  - match:\n    - uri:\n        prefix: /api\n${ROUTE}  - route:\n    - destination:\n        host: reviews\n`),
      expected: [],
    },
    {
      name: "all matches duplicate earlier ones (name and key order ignored)",
      yaml: rules(
        `  - match:\n    - uri:\n        exact: /a\n      method:\n        exact: GET\n${ROUTE}` +
          `  - name: again\n    match:\n    - name: same\n      method:\n        exact: GET\n      uri:\n        exact: /a\n${ROUTE}`,
      ),
      expected: [
        'Warning [IST0130] (VirtualService default/reviews bookinfo.yaml:18) VirtualService rule "again" not used (all matches used by prior rules).',
        'Info [IST0131] (VirtualService default/reviews bookinfo.yaml:20) VirtualService rule "again" match "same" is not used (duplicate/overlapping match in rule #0).',
      ],
    },
    {
      name: "one duplicate match of two: only IST0131",
      yaml: rules(
        `  - match:\n    - uri:\n        exact: /a\n${ROUTE}` + `  - match:\n    - uri:\n        exact: /b\n    - uri:\n        exact: /a\n${ROUTE}`,
      ),
      expected: ["Info [IST0131] (VirtualService default/reviews bookinfo.yaml:19) VirtualService rule #1 match #1 is not used (duplicate/overlapping match in rule #0)."],
    },
    {
      name: "prefix-covered prefix match",
      yaml: rules(`  - match:\n    - uri:\n        prefix: /debug\n${ROUTE}  - match:\n    - uri:\n        prefix: /debugs\n${ROUTE}`),
      expected: [
        "Info [IST0131] (VirtualService default/reviews bookinfo.yaml:17) VirtualService rule #1 match #0 of prefix /debugs is not used (duplicate/overlapping match in rule #0 of prefix /debug on #0).",
      ],
    },
    {
      name: "prefix match in the reverse order is reachable",
      yaml: rules(`  - match:\n    - uri:\n        prefix: /debugs\n${ROUTE}  - match:\n    - uri:\n        prefix: /debug\n${ROUTE}`),
      expected: [],
    },
    {
      name: "exact path covered by an earlier prefix with the same header",
      yaml: rules(
        `  - match:\n    - uri:\n        prefix: /api\n      headers:\n        end-user:\n          exact: jason\n${ROUTE}` +
          `  - match:\n    - uri:\n        exact: /api/v1\n      headers:\n        end-user:\n          exact: jason\n        x-debug:\n          exact: "1"\n${ROUTE}`,
      ),
      expected: ["Info [IST0131] (VirtualService default/reviews bookinfo.yaml:20) VirtualService rule #1 match #0 is not used (duplicate/overlapping match in rule #0)."],
    },
    {
      name: "earlier prefix with a header the later match lacks: reachable",
      yaml: rules(
        `  - match:\n    - uri:\n        prefix: /api\n      headers:\n        end-user:\n          exact: jason\n${ROUTE}` +
          `  - match:\n    - uri:\n        prefix: /api/v1\n${ROUTE}`,
      ),
      expected: [],
    },
    {
      name: "different methods: reachable",
      yaml: rules(
        `  - match:\n    - uri:\n        prefix: /api\n      method:\n        exact: GET\n${ROUTE}` +
          `  - match:\n    - uri:\n        prefix: /api/v1\n      method:\n        exact: POST\n${ROUTE}`,
      ),
      expected: [],
    },
    {
      name: "different regexes are never assumed to overlap",
      yaml: rules(`  - match:\n    - uri:\n        regex: /a.*\n${ROUTE}  - match:\n    - uri:\n        regex: /ab.*\n${ROUTE}`),
      expected: [],
    },
    {
      name: "tcp: rule after a match-less rule, duplicate port match",
      yaml: docs(
        `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: db
  namespace: default
spec:
  hosts:
  - db.example.com
  tcp:
  - match:
    - port: 5432
    route:
    - destination:
        host: db.example.com
  - match:
    - port: 5432
    route:
    - destination:
        host: db.example.com
  - route:
    - destination:
        host: db.example.com
  - route:
    - destination:
        host: db.example.com
`,
        serviceEntry("db", "db.example.com"),
      ),
      expected: [
        "Warning [IST0130] (VirtualService default/db bookinfo.yaml:15) VirtualService rule #1 not used (all matches used by prior rules).",
        "Warning [IST0130] (VirtualService default/db bookinfo.yaml:23) VirtualService rule #3 not used (only the last rule can have no matches).",
        "Info [IST0131] (VirtualService default/db bookinfo.yaml:16) VirtualService rule #1 match #0 is not used (duplicate/overlapping match in rule #0).",
      ],
    },
    {
      name: "case-insensitive later match is not covered by a case-sensitive prefix",
      yaml: rules(`  - match:\n    - uri:\n        prefix: /api\n${ROUTE}  - match:\n    - uri:\n        prefix: /api/v1\n      ignoreUriCase: true\n${ROUTE}`),
      expected: [],
    },
  ]);
});

/** A gateway-bound VirtualService routing on a JWT claim. */
const CLAIM_VS = `
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
    - headers:
        "@request.auth.claims.groups":
          exact: beta
    route:
    - destination:
        host: productpage
`;

function requestAuthn(namespace: string, selector = ""): string {
  return `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt
  namespace: ${namespace}
spec:
${selector}  jwtRules:
  - issuer: https://issuer.example.com
    jwksUri: https://issuer.example.com/jwks
`;
}

describe("IST0149 JwtClaimBasedRoutingWithoutRequestAuthN", () => {
  const base = [CLAIM_VS, serviceEntry("productpage"), GATEWAY_YAML];
  const finding =
    "Error [IST0149] (VirtualService default/bookinfo bookinfo.yaml:14) The virtual service uses the JWT claim based routing (key: @request.auth.claims.groups) " +
    "but found no request authentication for the gateway (default/bookinfo-gateway) pod (isthmus-gateway). The request authentication must first be applied " +
    "for the gateway pods to validate the JWT token and make the claims available for routing.";
  table([
    { name: "no RequestAuthentication", yaml: docs(...base), expected: [finding] },
    { name: "mesh-wide RequestAuthentication in istio-system", yaml: docs(...base, requestAuthn("istio-system")), expected: [] },
    {
      name: "RequestAuthentication in the gateway namespace selecting the gateway",
      yaml: docs(...base, requestAuthn("istio-system", "  selector:\n    matchLabels:\n      istio: ingressgateway\n")),
      expected: [],
    },
    {
      name: "RequestAuthentication selecting other workloads",
      yaml: docs(...base, requestAuthn("istio-system", "  selector:\n    matchLabels:\n      app: reviews\n")),
      expected: [finding],
    },
    { name: "RequestAuthentication in an unrelated namespace", yaml: docs(...base, requestAuthn("default")), expected: [finding] },
  ]);

  it("names the configured gateway workload", () => {
    const [m] = analyzeYaml(docs(...base), "bookinfo.yaml", {
      gatewayLabels: { istio: "ingressgateway" },
      gatewayNamespace: "istio-system",
      gatewayName: "edge",
    });
    expect(m?.message).toContain("pod (edge)");
    expect(m?.path).toBe('spec.http[0].match[0].headers["@request.auth.claims.groups"]');
  });
});
