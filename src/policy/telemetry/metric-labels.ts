/**
 * The values of Istio's standard metric labels, as Istio's stats plugin fills them, from the peers a
 * request went between: the source (the gateway for north-south, the calling member for east-west) and
 * the destination (the cluster and the workload of the endpoint that served). `unknown` wherever Istio
 * writes it (no workload, no label, no route). Peer label groups are built and escaped once per peer
 * and cached for the snapshot's lifetime; a request only joins a few cached strings.
 */
import type { Cluster, GatewayWorkload, Workload } from "../../config/snapshot.js";
import { renderLabels, type StandardLabel } from "./istio-metrics.js";

export const UNKNOWN = "unknown";
/** Istio's cluster ID (`source_cluster`, `destination_cluster`) for a single-cluster mesh. */
export const CLUSTER_ID = "Kubernetes";

type Pairs = [StandardLabel | string, string][];

/** A peer's label group: rendered once, and as pairs for tag overrides. */
export interface LabelGroup {
  /** Short id, unique per isolate: series keys on the hot path join ids, not label text. */
  readonly id: number;
  readonly text: string;
  readonly pairs: Pairs;
}

export interface PeerInfo {
  workload: string;
  namespace: string;
  principal: string;
  labels: Record<string, string>;
  cluster: string;
}

let nextId = 0;
const group = (pairs: Pairs): LabelGroup => ({ id: nextId++, text: renderLabels(pairs), pairs });

function peerPairs(side: "source" | "destination", p: PeerInfo | undefined): Pairs {
  const app = p?.labels["app"] ?? UNKNOWN;
  const version = p?.labels["version"] ?? UNKNOWN;
  const canonical = p ? (p.labels["service.istio.io/canonical-name"] ?? p.labels["app.kubernetes.io/name"] ?? p.labels["app"] ?? p.workload) : UNKNOWN;
  const revision = p ? (p.labels["service.istio.io/canonical-revision"] ?? p.labels["app.kubernetes.io/version"] ?? p.labels["version"] ?? "latest") : UNKNOWN;
  const base: Pairs = side === "source"
    ? [
      ["source_workload", p?.workload ?? UNKNOWN], ["source_canonical_service", canonical], ["source_canonical_revision", revision],
      ["source_workload_namespace", p?.namespace ?? UNKNOWN], ["source_principal", p ? `spiffe://${p.principal}` : UNKNOWN],
      ["source_app", app], ["source_version", version], ["source_cluster", p?.cluster ?? UNKNOWN],
    ]
    : [
      ["destination_workload", p?.workload ?? UNKNOWN], ["destination_workload_namespace", p?.namespace ?? UNKNOWN],
      ["destination_principal", p ? `spiffe://${p.principal}` : UNKNOWN], ["destination_app", app], ["destination_version", version],
    ];
  return base;
}

/** `reviews` for `reviews.default.svc.cluster.local` (a Kubernetes service); the host itself otherwise (a ServiceEntry host). */
export function serviceName(host: string): string {
  const i = host.indexOf(".svc.");
  return i > 0 && host.indexOf(".") < i && host.split(".").length >= 3 ? host.slice(0, host.indexOf(".")) : host;
}

/** The gateway as a peer: `istio-ingressgateway` in `istio-system` unless its labels say otherwise. */
export function gatewayPeer(gw: GatewayWorkload): PeerInfo {
  return { workload: gw.labels["app"] ?? "istio-ingressgateway", namespace: gw.namespace, principal: gw.principal, labels: gw.labels, cluster: CLUSTER_ID };
}

export function workloadPeer(w: Workload): PeerInfo {
  return { workload: w.name, namespace: w.namespace, principal: w.principal, labels: w.labels, cluster: CLUSTER_ID };
}

/** Builds and caches the label groups of one snapshot's peers. */
export class MetricLabeler {
  readonly gatewaySource: LabelGroup;
  private readonly unknownSource: LabelGroup;
  private readonly sources = new Map<string, LabelGroup>();
  private readonly destinations = new Map<string, LabelGroup>();
  /** Workloads by principal (an east-west caller is known by its identity). */
  private readonly byPrincipal = new Map<string, Workload>();

  constructor(gateway: GatewayWorkload, private readonly workloads: readonly Workload[]) {
    this.gatewaySource = group(peerPairs("source", gatewayPeer(gateway)));
    this.unknownSource = group(peerPairs("source", undefined));
    for (const w of workloads) if (!this.byPrincipal.has(w.principal)) this.byPrincipal.set(w.principal, w);
  }

  /** The source group of an east-west caller (by principal; namespace only when it has no identity). */
  meshSource(principal: string | undefined, namespace: string | undefined): LabelGroup {
    if (!principal) {
      if (!namespace) return this.unknownSource;
      const key = "ns:" + namespace;
      let g = this.sources.get(key);
      if (!g) {
        const pairs = peerPairs("source", undefined);
        pairs[3] = ["source_workload_namespace", namespace];
        this.sources.set(key, (g = group(pairs)));
      }
      return g;
    }
    let g = this.sources.get(principal);
    if (!g) {
      const w = this.byPrincipal.get(principal);
      const [, , ns = UNKNOWN, , sa = UNKNOWN] = principal.split("/");
      const peer: PeerInfo = w ? workloadPeer(w) : { workload: sa, namespace: ns, principal, labels: {}, cluster: CLUSTER_ID };
      this.sources.set(principal, (g = group(peerPairs("source", peer))));
    }
    return g;
  }

  /**
   * The destination group: the endpoint's workload (when it is a mesh workload), then the service.
   * `host` without a cluster: a destination whose cluster does not exist (`NC`); neither: no route.
   */
  destination(cluster: Cluster | undefined, workload: number | undefined, host: string | undefined, clusterName: string | undefined): LabelGroup {
    const key = (cluster?.name ?? clusterName ?? "") + "\u0000" + (workload ?? "") + "\u0000" + (host ?? "");
    let g = this.destinations.get(key);
    if (!g) {
      const w = workload !== undefined ? this.workloads[workload] : undefined;
      const svcHost = cluster?.host ?? host;
      const pairs: Pairs = [
        ...peerPairs("destination", w ? workloadPeer(w) : undefined),
        ["destination_service", svcHost ?? UNKNOWN],
        ["destination_canonical_service", w ? (w.labels["service.istio.io/canonical-name"] ?? w.labels["app"] ?? w.name) : UNKNOWN],
        ["destination_canonical_revision", w ? (w.labels["service.istio.io/canonical-revision"] ?? w.labels["version"] ?? "latest") : UNKNOWN],
        ["destination_service_name", svcHost ? serviceName(svcHost) : UNKNOWN],
        ["destination_service_namespace", cluster?.serviceEntry.namespace ?? UNKNOWN],
        ["destination_cluster", w ? CLUSTER_ID : UNKNOWN],
      ];
      this.destinations.set(key, (g = group(pairs)));
    }
    return g;
  }
}
