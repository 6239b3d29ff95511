/**
 * AuthorizationPolicy analyzer table: IST0101 `namespace` for `source.namespaces` /
 * `source.notNamespaces` entries that name no namespace of the mesh.
 */
import { describe, expect, it } from "vitest";
import { serviceEntry } from "./fixtures.js";
import { analyzeLines, docs } from "./harness.js";

/** An ALLOW policy in `default` whose one source lists `field: [values]` (the first value on line 12). */
function policy(field: "namespaces" | "notNamespaces", values: string[]): string {
  return `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-frontend
  namespace: default
spec:
  action: ALLOW
  rules:
  - from:
    - source:
        ${field}:
${values.map((v) => `        - ${JSON.stringify(v)}\n`).join("")}`;
}

const rows: Array<{ name: string; yaml: string; expected: string[] }> = [
  { name: "the policy's own namespace", yaml: policy("namespaces", ["default"]), expected: [] },
  { name: "the gateway's namespace", yaml: policy("namespaces", ["istio-system"]), expected: [] },
  { name: "a namespace some resource lives in", yaml: docs(policy("namespaces", ["frontend"]), serviceEntry("web", "web", "frontend")), expected: [] },
  {
    name: "a namespace nothing lives in",
    yaml: policy("namespaces", ["default", "frontnd"]),
    expected: ['Error [IST0101] (AuthorizationPolicy default/allow-frontend ap.yaml:13) Referenced namespace not found: "frontnd"'],
  },
  {
    name: "notNamespaces are checked too",
    yaml: policy("notNamespaces", ["legacy"]),
    expected: ['Error [IST0101] (AuthorizationPolicy default/allow-frontend ap.yaml:12) Referenced namespace not found: "legacy"'],
  },
  { name: "prefix and suffix wildcards", yaml: policy("namespaces", ["istio-*", "*-system", "*"]), expected: [] },
  {
    name: "a wildcard matching nothing",
    yaml: policy("namespaces", ["team-*"]),
    expected: ['Error [IST0101] (AuthorizationPolicy default/allow-frontend ap.yaml:12) Referenced namespace not found: "team-*"'],
  },
];

describe("IST0101 ReferencedResourceNotFound: AuthorizationPolicy namespaces", () => {
  for (const row of rows) it(row.name, () => expect(analyzeLines(row.yaml, "ap.yaml")).toEqual(row.expected));
});
