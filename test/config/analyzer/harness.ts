/**
 * Test harness for the analyzer tables: YAML text → loadText → validateDocuments → analyze, with
 * every resource's source document passed along so messages carry file and line.
 */
import { expect } from "vitest";
import { analyze, type AnalyzeOptions } from "../../../src/config/analyzer/index.js";
import { formatMessage, type AnalyzerMessage } from "../../../src/config/errors.js";
import { loadText, type LoadedDocument } from "../../../src/config/loader.js";
import { resourceKey } from "../../../src/config/resource.js";
import { validateDocuments } from "../../../src/config/validate.js";

export const GATEWAY: AnalyzeOptions = { gatewayLabels: { istio: "ingressgateway" }, gatewayNamespace: "istio-system" };

/** Analyzes YAML that must load and validate cleanly (a leading newline is dropped, so line 1 is the first line written). */
export function analyzeYaml(yaml: string, file = "test.yaml", opts: AnalyzeOptions = GATEWAY): AnalyzerMessage[] {
  const loaded = loadText(yaml.replace(/^\n/, ""), { file });
  expect(loaded.errors).toEqual([]);
  const { resources, errors } = validateDocuments(loaded.documents);
  expect(errors).toEqual([]);
  // With no errors and no duplicates, resources come out in document order.
  const sources = new Map<string, LoadedDocument>();
  resources.forEach((r, i) => sources.set(resourceKey(r), loaded.documents[i]!));
  return analyze(resources, { ...opts, sources });
}

/** The istioctl lines for YAML, e.g. `Error [IST0101] (VirtualService default/reviews test.yaml:12) ...`. */
export function analyzeLines(yaml: string, file = "test.yaml", opts: AnalyzeOptions = GATEWAY): string[] {
  return analyzeYaml(yaml, file, opts).map(formatMessage);
}

/** Joins YAML documents with `---`. */
export function docs(...parts: string[]): string {
  return parts.map((p) => p.replace(/^\n/, "")).join("---\n");
}
