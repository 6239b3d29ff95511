/**
 * What every analyzer sees: the resources by kind, the one workload of an Isthmus mesh that selectors
 * can pick (the gateway itself), the namespaces that exist, and `report`, which attaches a finding to
 * a resource and points it at the file and line of the field it is about.
 */
import type { AnalyzerMessage } from "../errors.js";
import { lineOfPath, type LoadedDocument } from "../loader.js";
import { resourceKey, type Kind, type Resource } from "../resource.js";
import type { Finding } from "./messages.js";
import { ServiceRegistry } from "./service-registry.js";

export interface AnalyzeOptions {
  /** Labels of the gateway workload; Gateway selectors and RequestAuthentication selectors are checked against them. */
  gatewayLabels: Record<string, string>;
  /** Namespace of the gateway workload. */
  gatewayNamespace: string;
  /** resourceKey(resource) → the document it was loaded from, so messages carry file and line. */
  sources?: Map<string, LoadedDocument>;
  /** The gateway workload's name where Istio names a pod (IST0149). Default `isthmus-gateway`. */
  gatewayName?: string;
}

export const DEFAULT_GATEWAY_NAME = "isthmus-gateway";

/** A workload selectors can select: in Isthmus only the gateway. */
export interface Workload {
  name: string;
  namespace: string;
  labels: Record<string, string>;
}

export class AnalysisContext {
  readonly messages: AnalyzerMessage[] = [];
  readonly gateway: Workload;
  readonly services: ServiceRegistry;
  /** Namespaces that exist: the gateway's and every namespace some resource lives in. */
  readonly namespaces: ReadonlySet<string>;
  private readonly byKind = new Map<Kind, Resource[]>();
  private readonly byKey = new Map<string, Resource>();

  constructor(resources: readonly Resource[], private readonly opts: AnalyzeOptions) {
    for (const r of resources) {
      const list = this.byKind.get(r.kind) ?? [];
      list.push(r);
      this.byKind.set(r.kind, list);
      this.byKey.set(resourceKey(r), r);
    }
    this.gateway = { name: opts.gatewayName ?? DEFAULT_GATEWAY_NAME, namespace: opts.gatewayNamespace, labels: opts.gatewayLabels };
    this.namespaces = new Set([opts.gatewayNamespace, ...resources.map((r) => r.metadata.namespace)]);
    this.services = new ServiceRegistry(this.of("ServiceEntry"), this.of("WorkloadEntry"));
  }

  /** All resources of a kind, typed by the caller (they passed validation, so the spec has that shape). */
  of<Spec>(kind: Kind): Resource<Spec>[] {
    return (this.byKind.get(kind) ?? []) as unknown as Resource<Spec>[];
  }

  find<Spec>(kind: Kind, namespace: string, name: string): Resource<Spec> | undefined {
    return this.byKey.get(resourceKey({ kind, metadata: { namespace, name } })) as Resource<Spec> | undefined;
  }

  /** Attaches a finding to `resource`; `path` is the field it is about (`spec.http[0].route[0].destination.host`). */
  report(resource: Resource<unknown>, finding: Finding, path?: string): void {
    const doc = this.opts.sources?.get(resourceKey(resource));
    const m: AnalyzerMessage = {
      ...finding,
      kind: resource.kind,
      namespace: resource.metadata.namespace,
      name: resource.metadata.name,
    };
    if (path !== undefined) m.path = path;
    if (doc) {
      if (doc.file !== undefined) m.file = doc.file;
      const line = lineOfPath(doc, path ?? "");
      if (line !== undefined) m.line = line;
    }
    this.messages.push(m);
  }
}

/** `namespace/name`, how Istio prints a resource's full name in message text. */
export function fullName(r: Resource<unknown>): string {
  return `${r.metadata.namespace}/${r.metadata.name}`;
}

/**
 * A label selector as Kubernetes prints it (`labels.SelectorFromSet(...).String()`): `k=v` pairs
 * sorted by key, joined by commas; empty for an empty selector.
 */
export function selectorString(labels: Record<string, string> | undefined): string {
  return Object.keys(labels ?? {})
    .sort()
    .map((k) => `${k}=${labels![k]}`)
    .join(",");
}
