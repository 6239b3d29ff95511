/**
 * PeerAuthentication: which mTLS mode a workload's inbound side runs in, composed as pilot's
 * ComposePeerAuthentication does (pilot/pkg/security/authn/policy_applier.go):
 *
 * - candidates: policies in the workload's namespace and the root namespace (`istio-system`) whose
 *   `selector` is absent, empty, or a subset of the workload's labels;
 * - scopes: no/empty selector in the root namespace = mesh; no/empty selector elsewhere = namespace;
 *   a selector outside the root namespace = workload (selector policies in the root namespace are
 *   ignored); within a scope the oldest policy wins (creation time, then name);
 * - mode: PERMISSIVE, overridden by mesh, then namespace, then workload, each only when its mode is
 *   set and not UNSET; `portLevelMtls` of the workload policy then sets per-port modes (UNSET there
 *   inherits the workload's result).
 *
 * The table is plain JSON (`Snapshot.policies.peerAuthn`): the gateway's result precomputed, and the
 * policies compacted so a member workload's mode can be composed the same way (east-west).
 *
 * @example
 *   snapshot.policies[PEER_AUTHN_TABLE] = compilePeerAuthn(resources, mesh);
 *   peerAuthnMode(table, 443)  // "STRICT" | "PERMISSIVE" | "DISABLE"
 */
import { compareByCreation } from "../../config/compile/creation-order.js";
import { selectorMatches } from "../../config/hosts.js";
import type { MeshOptions } from "../../config/mesh-options.js";
import { ROOT_NAMESPACE, type Resource } from "../../config/resource.js";
import type { MtlsMode, PeerAuthenticationSpec } from "../../config/schemas/peer-authentication.js";
import type { PolicyWorkload } from "../authz/policy-attachment.js";

export const PEER_AUTHN_TABLE = "peerAuthn";

/** An mTLS mode after inheritance (UNSET resolved). */
export type PeerAuthnMode = Exclude<MtlsMode, "UNSET">;

export interface PeerAuthnEntry {
  namespace: string;
  name: string;
  /** `selector.matchLabels`; absent or empty = namespace/mesh scope. */
  selector?: Record<string, string>;
  /** `mtls.mode` as written (absent = UNSET). */
  mode?: MtlsMode;
  /** `portLevelMtls` as written: port → mode (absent mode = UNSET). */
  portLevelMtls?: Record<string, MtlsMode | undefined>;
}

export interface MergedPeerAuthn {
  mode: PeerAuthnMode;
  /** Per workload port. */
  perPort?: Record<string, PeerAuthnMode>;
  /** The policies that decided, `namespace/name` per scope. */
  from: { mesh?: string; namespace?: string; workload?: string };
}

export interface PeerAuthnTable {
  /** Effective settings for the gateway workload. */
  gateway: MergedPeerAuthn;
  /** Every PeerAuthentication, oldest first. */
  policies: PeerAuthnEntry[];
}

export function compilePeerAuthn(resources: readonly Resource[], mesh: MeshOptions): PeerAuthnTable {
  const policies = (resources.filter((r) => r.kind === "PeerAuthentication") as unknown as Resource<PeerAuthenticationSpec>[])
    .sort(compareByCreation)
    .map((r): PeerAuthnEntry => {
      const spec = r.spec ?? {};
      const entry: PeerAuthnEntry = { namespace: r.metadata.namespace, name: r.metadata.name };
      const labels = spec.selector?.matchLabels;
      if (labels && Object.keys(labels).length) entry.selector = { ...labels };
      if (spec.mtls?.mode) entry.mode = spec.mtls.mode;
      if (spec.portLevelMtls) {
        entry.portLevelMtls = {};
        for (const [port, m] of Object.entries(spec.portLevelMtls)) entry.portLevelMtls[port] = m?.mode;
      }
      return entry;
    });
  return { gateway: composePeerAuthn(policies, { namespace: mesh.gatewayNamespace, labels: mesh.gatewayLabels }), policies };
}

/** The effective settings for `workload` from the table's policies (already oldest first). */
export function composePeerAuthn(policies: readonly PeerAuthnEntry[], workload: PolicyWorkload): MergedPeerAuthn {
  let meshPolicy: PeerAuthnEntry | undefined;
  let nsPolicy: PeerAuthnEntry | undefined;
  let workloadPolicy: PeerAuthnEntry | undefined;
  for (const p of policies) {
    if (p.namespace !== workload.namespace && p.namespace !== ROOT_NAMESPACE) continue;
    if (!selectorMatches(p.selector, workload.labels)) continue;
    if (!p.selector) {
      if (p.namespace === ROOT_NAMESPACE) meshPolicy ??= p;
      else nsPolicy ??= p;
    } else if (p.namespace !== ROOT_NAMESPACE) workloadPolicy ??= p;
  }
  const out: MergedPeerAuthn = { mode: "PERMISSIVE", from: {} };
  for (const [scope, p] of [["mesh", meshPolicy], ["namespace", nsPolicy], ["workload", workloadPolicy]] as const) {
    if (!p) continue;
    out.from[scope] = `${p.namespace}/${p.name}`;
    if (p.mode && p.mode !== "UNSET") out.mode = p.mode;
  }
  if (workloadPolicy?.portLevelMtls) {
    out.perPort = {};
    for (const [port, m] of Object.entries(workloadPolicy.portLevelMtls)) out.perPort[port] = m && m !== "UNSET" ? m : out.mode;
  }
  return out;
}

/**
 * The mode for a request arriving on `port` (the gateway listener port, or the member's workload
 * port east-west). `workload` defaults to the gateway. No table (no PeerAuthentication stage yet) ⇒ PERMISSIVE.
 */
export function peerAuthnMode(table: PeerAuthnTable | undefined, port: number, workload?: PolicyWorkload): PeerAuthnMode {
  if (!table) return "PERMISSIVE";
  const merged = workload ? composedFor(table, workload) : table.gateway;
  return merged.perPort?.[String(port)] ?? merged.mode;
}

/** Per-table memo of composed workloads, so east-west requests do not recompose per request. */
const composedByTable = new WeakMap<PeerAuthnTable, Map<string, MergedPeerAuthn>>();

function composedFor(table: PeerAuthnTable, workload: PolicyWorkload): MergedPeerAuthn {
  let memo = composedByTable.get(table);
  if (!memo) composedByTable.set(table, (memo = new Map()));
  const key = JSON.stringify([workload.namespace, Object.entries(workload.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  let merged = memo.get(key);
  if (!merged) {
    if (memo.size >= 1024) memo.clear();
    memo.set(key, (merged = composePeerAuthn(table.policies, workload)));
  }
  return merged;
}
