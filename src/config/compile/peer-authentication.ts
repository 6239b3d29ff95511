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
 * Composed once per workload at compile time (security.ts puts the result in each policy set);
 * src/policy/peer-authn/peer-mode.ts reads the mode for a port per request.
 *
 * @example
 *   const merged = composePeerAuthn(peerAuthnEntries(resources), { namespace: "default", labels: { app: "reviews" } });
 *   peerAuthnMode(merged, 9080)  // "STRICT" | "PERMISSIVE" | "DISABLE"
 */
import { compareByCreation } from "./creation-order.js";
import { selectorMatches } from "../hosts.js";
import type { MeshOptions } from "../mesh-options.js";
import { ROOT_NAMESPACE, type Resource } from "../resource.js";
import type { MtlsMode, PeerAuthenticationSpec } from "../schemas/peer-authentication.js";
import type { PolicyWorkload } from "./policy-attachment.js";

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

export function compilePeerAuthn(resources: readonly Resource[], mesh: Pick<MeshOptions, "gatewayLabels" | "gatewayNamespace">): PeerAuthnTable {
  const policies = peerAuthnEntries(resources);
  return { gateway: composePeerAuthn(policies, { namespace: mesh.gatewayNamespace, labels: mesh.gatewayLabels }), policies };
}

/** Every PeerAuthentication, compacted, oldest first. */
export function peerAuthnEntries(resources: readonly Resource[]): PeerAuthnEntry[] {
  return (resources.filter((r) => r.kind === "PeerAuthentication") as unknown as Resource<PeerAuthenticationSpec>[])
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
