/**
 * The analyzer: Istio's `istioctl analyze` checks over a set of validated resources. Findings never
 * block an apply (the admin API returns them as `warnings`); `isthmus analyze` prints them with
 * formatMessage() and fails on Error level, like istioctl.
 *
 * Each check lives in its own module, named after what it looks at; the list below is the order they
 * run in (the output is sorted anyway).
 *
 * @example
 * const { documents } = loadText(yaml, { file: "bookinfo.yaml" });
 * for (const m of analyzeDocuments(documents, { gatewayLabels: { istio: "ingressgateway" }, gatewayNamespace: "istio-system" }))
 *   console.log(formatMessage(m));
 * // Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host not found: "reviews"
 */
import { schemaErrorMessage, type AnalyzerMessage } from "../errors.js";
import type { LoadedDocument } from "../loader.js";
import { DEFAULT_NAMESPACE, kindInfoFor, resourceKey, type Resource } from "../resource.js";
import { validateDocuments } from "../validate.js";
import { analyzeAuthorizationPolicyNamespaces } from "./authorization-policies.js";
import { analyzeConflictingGateways } from "./conflicting-gateways.js";
import { analyzeRateLimitPolicies } from "./rate-limit-policies.js";
import { AnalysisContext, type AnalyzeOptions } from "./context.js";
import { analyzeDestinationRuleCaCertificates, analyzeDestinationRuleHosts } from "./destination-rules.js";
import { analyzeGatewaySelectors } from "./gateway-selector.js";
import { analyzeGatewayApi } from "./gateway-api.js";
import { analyzeJwtClaimRoutes } from "./jwt-claim-routes.js";
import { analyzeMeshGatewayHosts } from "./mesh-gateway-hosts.js";
import { analyzeUnreachableRules } from "./unreachable-rules.js";
import { analyzeVirtualServiceDestinations } from "./virtual-service-destinations.js";
import { analyzeVirtualServiceGateways } from "./virtual-service-gateways.js";

export type { AnalyzeOptions } from "./context.js";

/** One check: reads the context, reports findings on it. */
export type Analyzer = (ctx: AnalysisContext) => void;

export const ANALYZERS: ReadonlyArray<{ name: string; run: Analyzer }> = [
  { name: "virtualservice.DestinationHostAnalyzer", run: analyzeVirtualServiceDestinations },
  { name: "virtualservice.GatewayAnalyzer", run: analyzeVirtualServiceGateways },
  { name: "virtualservice.ConflictingMeshGatewayHostsAnalyzer", run: analyzeMeshGatewayHosts },
  { name: "virtualservice.UnreachableRules", run: analyzeUnreachableRules },
  { name: "virtualservice.JWTClaimRouteAnalyzer", run: analyzeJwtClaimRoutes },
  { name: "gateway.SelectorAnalyzer", run: analyzeGatewaySelectors },
  { name: "gateway.ConflictingGatewayAnalyzer", run: analyzeConflictingGateways },
  { name: "destinationrule.SubsetSelectPodAnalyzer", run: analyzeDestinationRuleHosts },
  { name: "destinationrule.CaCertificateAnalyzer", run: analyzeDestinationRuleCaCertificates },
  { name: "auth.AuthorizationPoliciesAnalyzer", run: analyzeAuthorizationPolicyNamespaces },
  { name: "ratelimit.RateLimitPolicyAnalyzer", run: analyzeRateLimitPolicies },
  { name: "k8sgateway.GatewayAPIAnalyzer", run: analyzeGatewayApi },
];

/** Runs every analyzer over `resources`; messages sorted by kind, namespace, name, code and path. */
export function analyze(resources: Resource[], opts: AnalyzeOptions): AnalyzerMessage[] {
  const ctx = new AnalysisContext(resources, opts);
  for (const a of ANALYZERS) a.run(ctx);
  return sortMessages(ctx.messages);
}

export interface AnalyzeDocumentsOptions extends AnalyzeOptions {
  /** Namespace for documents that name none (the CLI's `-n`); default `default`. */
  defaultNamespace?: string;
}

/**
 * What `isthmus analyze FILE...` and `POST /_mesh/analyze` run: validates the loaded documents
 * (admission errors become IST0106 messages), then analyzes the valid ones together with `stored`
 * resources (a document replaces the stored resource with the same kind, namespace and name).
 */
export function analyzeDocuments(docs: LoadedDocument[], opts: AnalyzeDocumentsOptions, stored: Resource[] = []): AnalyzerMessage[] {
  const defaultNamespace = opts.defaultNamespace ?? DEFAULT_NAMESPACE;
  const { resources, errors } = validateDocuments(docs, { defaultNamespace });
  const sources = new Map<string, LoadedDocument>();
  for (const doc of docs) {
    const key = documentKey(doc.raw, defaultNamespace);
    if (key && !sources.has(key)) sources.set(key, doc);
  }
  for (const [key, doc] of opts.sources ?? []) if (!sources.has(key)) sources.set(key, doc);

  const merged = new Map<string, Resource>();
  for (const r of stored) merged.set(resourceKey(r), r);
  for (const r of resources) merged.set(resourceKey(r), r);

  const { defaultNamespace: _ns, ...analyzeOpts } = opts;
  return sortMessages([...errors.map(schemaErrorMessage), ...analyze([...merged.values()], { ...analyzeOpts, sources })]);
}

/** The resourceKey a loaded document will have once validated, if it names a kind and a name. */
function documentKey(raw: unknown, defaultNamespace: string): string | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const { kind, metadata } = raw as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  if (typeof kind !== "string" || typeof metadata?.name !== "string") return undefined;
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : defaultNamespace;
  const internal = kindInfoFor((raw as { apiVersion?: unknown }).apiVersion, kind)?.kind ?? kind;
  return resourceKey({ kind: internal, metadata: { namespace, name: metadata.name } });
}

/** Is there a message at Error level (what makes `isthmus analyze` exit non-zero)? */
export function hasErrors(messages: readonly AnalyzerMessage[]): boolean {
  return messages.some((m) => m.level === "Error");
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Deterministic order: kind, namespace, name, code, path, then message text and line. */
export function sortMessages(messages: AnalyzerMessage[]): AnalyzerMessage[] {
  return [...messages].sort(
    (a, b) =>
      cmp(a.kind, b.kind) ||
      cmp(a.namespace, b.namespace) ||
      cmp(a.name, b.name) ||
      cmp(a.code, b.code) ||
      cmp(a.path ?? "", b.path ?? "") ||
      cmp(a.message, b.message) ||
      (a.line ?? 0) - (b.line ?? 0),
  );
}
