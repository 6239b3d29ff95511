/**
 * The analyzer as `isthmus analyze` and `POST /_mesh/analyze` run it: admission errors as IST0106,
 * stored resources overridden by documents, deterministic order, and a clean Bookinfo mesh.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { analyze, analyzeDocuments, hasErrors } from "../../../src/config/analyzer/index.js";
import { formatMessage } from "../../../src/config/errors.js";
import { loadText } from "../../../src/config/loader.js";
import { validateDocuments } from "../../../src/config/validate.js";
import { BOOKINFO_YAML, serviceEntry } from "./fixtures.js";
import { analyzeYaml, docs, GATEWAY } from "./harness.js";

const ROUTE_TO_REVIEWS = `apiVersion: networking.istio.io/v1
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
        host: reviews
`;

function load(text: string, file = "bookinfo.yaml") {
  const { documents, errors } = loadText(text, { file });
  expect(errors).toEqual([]);
  return documents;
}

function resourcesOf(text: string) {
  const { resources, errors } = validateDocuments(load(text));
  expect(errors).toEqual([]);
  return resources;
}

describe("clean Bookinfo", () => {
  it("yields no messages", () => {
    expect(analyzeYaml(docs(...BOOKINFO_YAML), "bookinfo.yaml")).toEqual([]);
  });
  it("yields no messages through analyzeDocuments either", () => {
    expect(analyzeDocuments(load(docs(...BOOKINFO_YAML)), GATEWAY)).toEqual([]);
  });
});

describe("analyzeDocuments", () => {
  it("reports file and line of the field", () => {
    const lines = analyzeDocuments(load(ROUTE_TO_REVIEWS), GATEWAY).map(formatMessage);
    expect(lines).toEqual(['Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host not found: "reviews"']);
  });

  it("turns admission errors into IST0106 and still analyzes the valid documents", () => {
    const bad = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: Bad_Name\nspec: {}\n";
    const messages = analyzeDocuments(load(docs(ROUTE_TO_REVIEWS, bad)), GATEWAY);
    // Sorted by name: "Bad_Name" < "reviews".
    expect(messages.map((m) => [m.code, m.type, m.level, m.kind, m.name, m.file, m.line])).toEqual([
      ["IST0106", "SchemaValidationError", "Error", "VirtualService", "Bad_Name", "bookinfo.yaml", 17],
      ["IST0101", "ReferencedResourceNotFound", "Error", "VirtualService", "reviews", "bookinfo.yaml", 12],
    ]);
    expect(messages[0]!.message).toMatch(/^Schema validation error: metadata\.name: /);
    expect(formatMessage(messages[0]!)).toMatch(/^Error \[IST0106\] \(VirtualService default\/Bad_Name bookinfo\.yaml:17\) Schema validation error: /);
  });

  it("analyzes documents together with stored resources", () => {
    const stored = resourcesOf(serviceEntry("reviews").replace(/^\n/, ""));
    expect(analyzeDocuments(load(ROUTE_TO_REVIEWS), GATEWAY, stored)).toEqual([]);
  });

  it("lets a document replace the stored resource of the same kind, namespace and name", () => {
    const stored = resourcesOf(docs(serviceEntry("reviews"), ROUTE_TO_REVIEWS.replace("host: reviews\n", "host: ratings\n")));
    // The stored VirtualService routes to ratings (unknown); the document routes to reviews (known).
    expect(analyzeDocuments(load(ROUTE_TO_REVIEWS), GATEWAY, stored)).toEqual([]);
    // Messages about stored resources have no file.
    const [m] = analyzeDocuments([], GATEWAY, stored);
    expect(formatMessage(m!)).toBe('Error [IST0101] (VirtualService default/reviews) Referenced host not found: "ratings"');
  });

  it("places documents without a namespace in defaultNamespace", () => {
    const text = ROUTE_TO_REVIEWS.replace("  namespace: default\n", "");
    const [m] = analyzeDocuments(load(text), { ...GATEWAY, defaultNamespace: "shop" });
    expect(formatMessage(m!)).toBe('Error [IST0101] (VirtualService shop/reviews bookinfo.yaml:11) Referenced host not found: "reviews"');
  });
});

describe("hasErrors", () => {
  it("is true only with an Error-level message", () => {
    const warnings = analyzeDocuments(load(docs(serviceEntry("x"), "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: y\n  namespace: default\nspec:\n  host: y\n")), GATEWAY);
    expect(warnings.map((m) => m.code)).toEqual(["IST0174"]);
    expect(hasErrors(warnings)).toBe(false);
    expect(hasErrors(analyzeDocuments(load(ROUTE_TO_REVIEWS), GATEWAY))).toBe(true);
  });
});

describe("order", () => {
  /** A config with findings on several kinds, namespaces and codes. */
  const MESSY = docs(
    ROUTE_TO_REVIEWS,
    ROUTE_TO_REVIEWS.replace("name: reviews", "name: reviews-b").replace("  - route:\n", "  - route:\n    - destination:\n        host: gone\n      weight: 50\n") + "      weight: 50\n",
    ROUTE_TO_REVIEWS.replace("namespace: default", "namespace: aaa"),
    "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: y\n  namespace: default\nspec:\n  host: y\n",
    "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: g\n  namespace: default\nspec:\n  selector:\n    istio: nope\n  servers:\n  - port:\n      number: 80\n      name: http\n      protocol: HTTP\n    hosts:\n    - a.local\n",
  );

  it("sorts by kind, namespace, name, code and path", () => {
    const keys = analyze(resourcesOf(MESSY), GATEWAY).map((m) => `${m.kind} ${m.namespace}/${m.name} ${m.code} ${m.path}`);
    expect(keys).toEqual([
      "DestinationRule default/y IST0174 spec.host",
      "Gateway default/g IST0101 spec.selector.istio",
      "VirtualService aaa/reviews IST0101 spec.http[0].route[0].destination.host",
      "VirtualService default/reviews IST0101 spec.http[0].route[0].destination.host",
      "VirtualService default/reviews IST0109 metadata.name",
      "VirtualService default/reviews-b IST0101 spec.http[0].route[0].destination.host",
      "VirtualService default/reviews-b IST0101 spec.http[0].route[1].destination.host",
      "VirtualService default/reviews-b IST0109 metadata.name",
    ]);
  });

  it("does not depend on the order resources arrive in", () => {
    const resources = resourcesOf(MESSY);
    const expected = analyze(resources, GATEWAY);
    fc.assert(
      fc.property(fc.shuffledSubarray(resources, { minLength: resources.length, maxLength: resources.length }), (shuffled) => {
        expect(analyze(shuffled, GATEWAY)).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });
});
