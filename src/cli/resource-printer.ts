/**
 * How resources read on a terminal, as kubectl prints Istio's CRDs: the names kubectl uses
 * (`virtualservice.networking.istio.io/reviews`), the table columns of each CRD's
 * additionalPrinterColumns (VirtualService: GATEWAYS HOSTS AGE, ...), and `-o yaml|json|name`.
 */
import { stringify } from "yaml";
import type { Kind, KindInfo, Resource } from "../config/resource.js";
import { age } from "./human-duration.js";
import { renderTable } from "./table.js";

/** `virtualservice.networking.istio.io/reviews`: kubectl's `-o name` and apply output. */
export function resourceName(info: KindInfo, name: string): string {
  return `${(info.wireKind ?? info.kind).toLowerCase()}.${info.group}/${name}`;
}

/** `virtualservice.networking.istio.io "reviews"`: kubectl's delete output. */
export function quotedName(info: KindInfo, name: string): string {
  return `${(info.wireKind ?? info.kind).toLowerCase()}.${info.group} ${JSON.stringify(name)}`;
}

/** `virtualservices.networking.istio.io "reviews" not found`: kubectl's NotFound message. */
export function notFoundMessage(info: KindInfo, name: string): string {
  return `${info.plural}.${info.group} ${JSON.stringify(name)} not found`;
}

type Column =
  | { header: string; path: readonly string[] }
  | { header: "AGE"; age: true }
  /** The status of one condition in `status.conditions` (kubectl's `[?(@.type=="Accepted")].status`). */
  | { header: string; condition: string };

const AGE: Column = { header: "AGE", age: true };
const spec = (header: string, ...path: string[]): Column => ({ header, path: ["spec", ...path] });

/**
 * Istio's additionalPrinterColumns (manifests/charts/base/files/crd-all.gen.yaml), in their order.
 * A kind without an entry shows NAME and AGE, as kubectl does for a CRD without printer columns.
 */
const COLUMNS: Partial<Record<Kind, readonly Column[]>> = {
  Gateway: [AGE],
  VirtualService: [spec("GATEWAYS", "gateways"), spec("HOSTS", "hosts"), AGE],
  DestinationRule: [spec("HOST", "host"), AGE],
  ServiceEntry: [spec("HOSTS", "hosts"), spec("LOCATION", "location"), spec("RESOLUTION", "resolution"), AGE],
  WorkloadEntry: [AGE, spec("ADDRESS", "address")],
  PeerAuthentication: [spec("MODE", "mtls", "mode"), AGE],
  RequestAuthentication: [AGE],
  AuthorizationPolicy: [spec("ACTION", "action"), AGE],
  Telemetry: [AGE],
  // The Gateway API CRDs' additionalPrinterColumns.
  GatewayClass: [spec("CONTROLLER", "controllerName"), { header: "ACCEPTED", condition: "Accepted" }, AGE],
  KubernetesGateway: [spec("CLASS", "gatewayClassName"), { header: "ADDRESS", path: ["status", "addresses", "0", "value"] }, { header: "PROGRAMMED", condition: "Programmed" }, AGE],
  HTTPRoute: [spec("HOSTNAMES", "hostnames"), AGE],
};

function conditionStatus(r: Resource, type: string): string {
  const conds = at(r, ["status", "conditions"]);
  if (!Array.isArray(conds)) return "";
  const c = conds.find((x) => (x as { type?: unknown })?.type === type) as { status?: unknown } | undefined;
  return typeof c?.status === "string" ? c.status : "";
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value); // kubectl prints list columns as JSON: ["bookinfo-gateway"]
}

function at(obj: unknown, path: readonly string[]): unknown {
  let v = obj;
  for (const key of path) {
    if (!v || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

export interface TableOptions {
  /** Adds the NAMESPACE column (`-A`). */
  allNamespaces: boolean;
  now: number;
}

/** `kubectl get vs` table: NAME [NAMESPACE first with -A] and the kind's columns. */
export function resourceTable(info: KindInfo, items: readonly Resource[], opts: TableOptions): string {
  const columns = COLUMNS[info.kind] ?? [AGE];
  const headers = [...(opts.allNamespaces ? ["NAMESPACE"] : []), "NAME", ...columns.map((c) => c.header)];
  const rows = items.map((r) => [
    ...(opts.allNamespaces ? [r.metadata.namespace] : []),
    r.metadata.name,
    ...columns.map((c) => ("age" in c ? age(r.metadata.creationTimestamp, opts.now) : "condition" in c ? conditionStatus(r, c.condition) : cell(at(r, c.path)))),
  ]);
  return renderTable(headers, rows);
}

export type OutputFormat = "table" | "wide" | "yaml" | "json" | "name";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["table", "wide", "yaml", "json", "name"];

/** kubectl prints several objects as a `v1 List`. */
function asList(items: readonly Resource[]): unknown {
  return { apiVersion: "v1", items, kind: "List", metadata: { resourceVersion: "" } };
}

export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Renders one resource (`single`) or a list in the chosen format. */
export function printResources(info: KindInfo, items: readonly Resource[], single: boolean, format: OutputFormat, opts: TableOptions): string {
  switch (format) {
    case "yaml":
      return toYaml(single ? items[0] : asList(items));
    case "json":
      return toJson(single ? items[0] : asList(items));
    case "name":
      return items.map((r) => `${resourceName(info, r.metadata.name)}\n`).join("");
    default:
      return resourceTable(info, items, opts);
  }
}
