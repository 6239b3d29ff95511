/**
 * DestinationRule analyzer tables: IST0174 UnknownDestinationRuleHost, IST0173
 * DestinationRuleSubsetNotSelectPods (ServiceEntry endpoints and selected WorkloadEntries), and
 * IST0128/IST0129 (TLS without caCertificates).
 */
import { describe, expect, it } from "vitest";
import { REVIEWS_YAML, serviceEntry } from "./fixtures.js";
import { analyzeLines, docs } from "./harness.js";

/** A DestinationRule `reviews` for `host` with the given subsets (lines: host 7, subsets[0] 9). */
function destinationRule(host: string, subsets: Array<[string, Record<string, string>]>, extra = ""): string {
  return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: default
spec:
  host: ${JSON.stringify(host)}
${extra}${subsets.length ? "  subsets:\n" : ""}${subsets
    .map(
      ([name, labels]) =>
        `  - name: ${name}\n` +
        (Object.keys(labels).length ? `    labels:\n${Object.entries(labels).map(([k, v]) => `      ${k}: ${v}\n`).join("")}` : ""),
    )
    .join("")}`;
}

interface Row {
  name: string;
  yaml: string;
  expected: string[];
}

function table(rows: Row[]): void {
  for (const row of rows) it(row.name, () => expect(analyzeLines(row.yaml, "dr.yaml")).toEqual(row.expected));
}

const [REVIEWS_SE, ...REVIEWS_WES] = REVIEWS_YAML.slice(0, 4);

describe("IST0174 UnknownDestinationRuleHost", () => {
  table([
    {
      name: "host no ServiceEntry defines",
      yaml: destinationRule("reviews", []),
      expected: ["Warning [IST0174] (DestinationRule default/reviews dr.yaml:7) The host reviews defined in the DestinationRule does not match any services in the mesh."],
    },
    { name: "short host, ServiceEntry FQDN", yaml: docs(destinationRule("reviews", []), REVIEWS_SE!), expected: [] },
    { name: "FQDN host, ServiceEntry short", yaml: docs(destinationRule("ratings.default.svc.cluster.local", []), serviceEntry("ratings")), expected: [] },
    { name: "wildcard DestinationRule host over a concrete ServiceEntry host", yaml: docs(destinationRule("*.example.com", []), serviceEntry("api", "api.example.com")), expected: [] },
    { name: "concrete host under a wildcard ServiceEntry", yaml: docs(destinationRule("api.example.com", []), serviceEntry("api", "*.example.com")), expected: [] },
    {
      name: "short host resolves in the DestinationRule's namespace",
      yaml: docs(destinationRule("ratings", []), serviceEntry("ratings", "ratings", "other")),
      expected: ["Warning [IST0174] (DestinationRule default/reviews dr.yaml:7) The host ratings defined in the DestinationRule does not match any services in the mesh."],
    },
  ]);
});

describe("IST0173 DestinationRuleSubsetNotSelectPods", () => {
  const notSelected = (subset: string, line: number) =>
    `Error [IST0173] (DestinationRule default/reviews dr.yaml:${line}) The Subset ${subset} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`;
  table([
    {
      name: "subsets selecting WorkloadEntries picked by the ServiceEntry",
      yaml: docs(destinationRule("reviews", [["v1", { version: "v1" }], ["v3", { version: "v3" }]]), REVIEWS_SE!, ...REVIEWS_WES),
      expected: [],
    },
    {
      name: "subset selecting no WorkloadEntry",
      yaml: docs(destinationRule("reviews", [["v1", { version: "v1" }], ["v4", { version: "v4" }]]), REVIEWS_SE!, ...REVIEWS_WES),
      expected: [notSelected("v4", 12)],
    },
    {
      name: "WorkloadEntry not picked by the workloadSelector does not count",
      yaml: docs(destinationRule("reviews", [["v1", { version: "v1" }]]), REVIEWS_SE!, REVIEWS_WES[0]!.replace("app: reviews", "app: ratings")),
      expected: [notSelected("v1", 9)],
    },
    {
      name: "WorkloadEntry in another namespace does not count",
      yaml: docs(destinationRule("reviews", [["v1", { version: "v1" }]]), REVIEWS_SE!, REVIEWS_WES[0]!.replace("namespace: default", "namespace: other")),
      expected: [notSelected("v1", 9)],
    },
    {
      name: "subsets against inline ServiceEntry endpoints",
      yaml: docs(destinationRule("ratings", [["all", {}], ["app", { app: "ratings" }], ["v2", { version: "v2" }]]), serviceEntry("ratings")),
      expected: [notSelected("v2", 13)],
    },
    {
      name: "DNS ServiceEntry without endpoints: only an unlabelled subset selects its host",
      yaml: docs(
        destinationRule("httpbin.org", [["any", {}], ["v1", { version: "v1" }]]),
        `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: httpbin
  namespace: default
spec:
  hosts:
  - httpbin.org
  ports:
  - number: 443
    name: https
    protocol: HTTPS
  resolution: DNS
`,
      ),
      expected: [notSelected("v1", 10)],
    },
  ]);
});

describe("IST0128 / IST0129 no server certificate verification", () => {
  const se = serviceEntry("api", "api.example.com");
  table([
    {
      name: "SIMPLE without caCertificates",
      yaml: docs(destinationRule("api.example.com", [], "  trafficPolicy:\n    tls:\n      mode: SIMPLE\n"), se),
      expected: [
        "Warning [IST0128] (DestinationRule default/reviews dr.yaml:9) DestinationRule default/reviews in namespace default has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: api.example.com",
      ],
    },
    {
      name: "MUTUAL with caCertificates",
      yaml: docs(destinationRule("api.example.com", [], "  trafficPolicy:\n    tls:\n      mode: MUTUAL\n      caCertificates: /etc/ca.pem\n      clientCertificate: /etc/c.pem\n      privateKey: /etc/k.pem\n"), se),
      expected: [],
    },
    { name: "ISTIO_MUTUAL needs no caCertificates", yaml: docs(destinationRule("api.example.com", [], "  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL\n"), se), expected: [] },
    {
      name: "port-level SIMPLE without caCertificates",
      yaml: docs(
        destinationRule("api.example.com", [], "  trafficPolicy:\n    portLevelSettings:\n    - port:\n        number: 443\n      tls:\n        mode: SIMPLE\n"),
        se,
      ),
      expected: [
        "Warning [IST0129] (DestinationRule default/reviews dr.yaml:12) DestinationRule default/reviews in namespace default has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: api.example.com at port number:443",
      ],
    },
  ]);
});
