/**
 * The service graph, like Kiali's: nodes are the gateway, the members and the origins (by workload
 * and version when the metrics say, else by service); edges carry cumulative request counts, 5xx
 * counts, duration buckets, routes and response flags from Istio's standard metrics. The browser turns
 * two successive graphs into rates, error rates and p99. Laid out with dagre (left to right).
 *
 * The edge's ends come from Istio's labels (`source_app`/`destination_app` and `_version`, else the
 * canonical service or workload): Kiali's versioned-app graph. Series without them (an older gateway's
 * per-isolate `listener` and `destination_service` only) fall back to the gateway (north-south) or
 * "mesh members" (east-west) as source and the service as destination.
 */
import dagre from "@dagrejs/dagre";
import type { Sample } from "./prometheus-text.js";

export type NodeKind = "gateway" | "member" | "origin" | "unknown";

export interface GraphNode {
  id: string;
  label: string;
  kind: NodeKind;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  points: { x: number; y: number }[];
  /** Where the edge's label goes (dagre reserves room for it). */
  label: { x: number; y: number };
  requests: number;
  errors: number;
  /** Cumulative bucket counts for `le` (ms). */
  buckets: number[];
  le: number[];
  routes: string[];
  flags: Record<string, number>;
  codes: Record<string, number>;
}

export interface MeshGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

/** What the config says about a service host: is it a member (binding) or a network origin. */
export interface ServiceKinds {
  [host: string]: "member" | "origin";
}

const GATEWAY = "istio-ingressgateway";
const present = (v: string | undefined) => (v && v !== "unknown" ? v : undefined);

type End = { id: string; label: string; kind: NodeKind };

/** Kiali's versioned-app node: `<app> <version>` (else the workload) when Istio's labels name one. */
function workloadEnd(side: "source" | "destination", l: Record<string, string>, kind: NodeKind): End | undefined {
  const app = present(l[`${side}_app`]) ?? present(l[`${side}_canonical_service`]) ?? present(l[`${side}_workload`]);
  if (!app) return undefined;
  if (app.includes("ingressgateway") || present(l[`${side}_workload`])?.includes("ingressgateway")) return { id: GATEWAY, label: GATEWAY, kind: "gateway" };
  const version = present(l[`${side}_version`]);
  const ns = present(l[`${side}_workload_namespace`]);
  return { id: `a:${ns ?? ""}/${app}:${version ?? ""}`, label: `${app}${version ? ` ${version}` : ""}`, kind };
}

function sourceOf(l: Record<string, string>): End {
  const w = workloadEnd("source", l, "member");
  if (w) return w;
  if (l.listener === "mesh") return { id: "mesh-members", label: "mesh members", kind: "member" };
  return { id: GATEWAY, label: GATEWAY, kind: "gateway" };
}

function destinationOf(l: Record<string, string>, kinds: ServiceKinds): End {
  const service = l.destination_service ?? "unknown";
  const kind: NodeKind = kinds[service] ?? (service === "unknown" ? "unknown" : "origin");
  const w = workloadEnd("destination", l, kind);
  if (w) return w;
  const name = present(l.destination_service_name) ?? service.split(".")[0] ?? service;
  return { id: `s:${service}`, label: kind === "origin" ? service : name, kind };
}

export function buildMeshGraph(samples: readonly Sample[], kinds: ServiceKinds): MeshGraph {
  // One reporter per request: the gateway reports as source; destination-side reports would count it twice.
  const requests = samples.filter((s) => s.name === "istio_requests_total");
  const reporters = new Set(requests.map((s) => s.labels.reporter));
  const keep = (s: Sample) => !reporters.has("source") || s.labels.reporter === undefined || s.labels.reporter === "source";

  const nodes = new Map<string, { label: string; kind: NodeKind }>([[GATEWAY, { label: GATEWAY, kind: "gateway" }]]);
  for (const [host, kind] of Object.entries(kinds)) nodes.set(`s:${host}`, { label: kind === "origin" ? host : host.split(".")[0]!, kind });
  const edges = new Map<string, Omit<GraphEdge, "points" | "id" | "label">>();
  const edgeOf = (l: Record<string, string>) => {
    const src = sourceOf(l);
    const dst = destinationOf(l, kinds);
    nodes.set(src.id, { label: src.label, kind: src.kind });
    if (!dst.id.startsWith("s:")) nodes.delete(`s:${l.destination_service}`);
    nodes.set(dst.id, { label: dst.label, kind: dst.kind });
    const key = `${src.id}→${dst.id}`;
    let e = edges.get(key);
    if (!e) edges.set(key, (e = { source: src.id, target: dst.id, requests: 0, errors: 0, buckets: [], le: [], routes: [], flags: {}, codes: {} }));
    return e;
  };

  for (const s of requests.filter(keep)) {
    const e = edgeOf(s.labels);
    e.requests += s.value;
    const code = s.labels.response_code ?? "0";
    if (code.startsWith("5") || code === "0") e.errors += s.value;
    e.codes[code] = (e.codes[code] ?? 0) + s.value;
    const flags = s.labels.response_flags ?? "-";
    if (flags !== "-") e.flags[flags] = (e.flags[flags] ?? 0) + s.value;
    const route = s.labels.route_name;
    if (route && !e.routes.includes(route)) e.routes.push(route);
  }
  for (const s of samples.filter((x) => x.name === "istio_request_duration_milliseconds_bucket" && keep(x))) {
    const e = edgeOf(s.labels);
    const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
    let i = e.le.indexOf(le);
    if (i < 0) {
      e.le.push(le);
      e.buckets.push(0);
      i = e.le.length - 1;
    }
    e.buckets[i]! += s.value;
  }
  for (const e of edges.values()) {
    const order = e.le.map((_, i) => i).sort((a, b) => e.le[a]! - e.le[b]!);
    e.le = order.map((i) => e.le[i]!);
    e.buckets = order.map((i) => e.buckets[i]!);
  }
  return layout(nodes, [...edges.values()]);
}

function layout(nodes: Map<string, { label: string; kind: NodeKind }>, edges: Omit<GraphEdge, "points" | "id" | "label">[]): MeshGraph {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 24, edgesep: 18, ranksep: 60, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const [id, n] of nodes) g.setNode(id, { label: n.label, width: Math.max(110, n.label.length * 7.5 + 30), height: 40 });
  // Room for "12.34 rps · 0.0% err · p99 123ms" on every edge.
  for (const e of edges) g.setEdge(e.source, e.target, { width: 210, height: 18, labelpos: "c" });
  dagre.layout(g);
  const outNodes: GraphNode[] = [...nodes].map(([id, n]) => {
    const p = g.node(id) as { x: number; y: number; width: number; height: number };
    return { id, label: n.label, kind: n.kind, x: p.x, y: p.y, width: p.width, height: p.height };
  });
  const outEdges: GraphEdge[] = edges.map((e) => {
    const p = g.edge(e.source, e.target) as { points?: { x: number; y: number }[]; x?: number; y?: number } | undefined;
    const points = p?.points ?? [];
    const mid = points[Math.floor(points.length / 2)] ?? { x: 0, y: 0 };
    return { ...e, id: `${e.source}→${e.target}`, points, label: { x: p?.x ?? mid.x, y: p?.y ?? mid.y } };
  });
  const size = g.graph() as { width?: number; height?: number };
  return { nodes: outNodes, edges: outEdges, width: size.width ?? 400, height: size.height ?? 200 };
}
