/**
 * Gateway API status as a controller writes it, computed from the translation: GatewayClass Accepted;
 * Gateway Accepted, Programmed and per-listener conditions with attachedRoutes; a route's
 * status.parents[] with Accepted and ResolvedRefs and the spec's reasons.
 */
import type { Resource } from "../../resource.js";
import type { GatewayClassSpec, KubernetesGatewaySpec, Listener, ParentReference } from "../../schemas/gateway-api.js";
import type { RefProblem } from "./http-route-rules.js";

export interface Condition {
  type: string;
  status: "True" | "False";
  reason: string;
  message: string;
  observedGeneration?: number;
}

export interface GatewayApiStatus {
  conditions?: Condition[];
  parents?: Array<{ parentRef: ParentReference; controllerName: string; conditions: Condition[] }>;
  listeners?: Array<{ name: string; attachedRoutes: number; supportedKinds: Array<{ group: string; kind: string }>; conditions: Condition[] }>;
  addresses?: Array<{ type: string; value: string }>;
}

export const CONTROLLER_NAME = "isthmus.dev/gateway-controller";

const cond = (type: string, ok: boolean, reason: string, message = ""): Condition => ({ type, status: ok ? "True" : "False", reason, message });

interface ListenerView {
  listener: Listener;
  attached: number;
  valid: boolean;
  conditions: Condition[];
}

export const statusOf = {
  gatewayClass(_gc: Resource<GatewayClassSpec>, accepted: boolean): GatewayApiStatus {
    return { conditions: [cond("Accepted", accepted, accepted ? "Accepted" : "InvalidParameters", accepted ? "Handled by Isthmus" : "")] };
  },

  gateway(gw: Resource<KubernetesGatewaySpec>, listeners: readonly ListenerView[]): GatewayApiStatus {
    const invalid = listeners.filter((l) => !l.valid);
    const addressesIgnored = (gw.spec.addresses?.length ?? 0) > 0;
    const accepted = addressesIgnored
      ? cond("Accepted", false, "UnsupportedAddress", "spec.addresses is not supported: the Worker is reached at its routes on Cloudflare's network")
      : cond("Accepted", true, invalid.length ? "ListenersNotValid" : "Accepted", invalid.length ? `${invalid.length} listener(s) cannot be served` : "Resource accepted");
    const programmed = invalid.length === listeners.length
      ? cond("Programmed", false, "Invalid", "no listener can be served")
      : cond("Programmed", true, "Programmed", "Resource programmed");
    return {
      conditions: [accepted, programmed],
      listeners: listeners.map((l) => {
        const extra = l.conditions;
        const has = (t: string) => extra.some((c) => c.type === t);
        const conditions = [
          ...extra,
          ...(has("Accepted") ? [] : [cond("Accepted", true, "Accepted", "")]),
          ...(has("ResolvedRefs") ? [] : [cond("ResolvedRefs", true, "ResolvedRefs", "")]),
          cond("Programmed", l.valid, l.valid ? "Programmed" : "Invalid", ""),
          cond("Conflicted", false, "NoConflicts", ""),
        ];
        return {
          name: l.listener.name,
          attachedRoutes: l.attached,
          supportedKinds: l.valid ? [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }] : [],
          conditions,
        };
      }),
    };
  },

  parent(ref: ParentReference, attach: { accepted: boolean; reason?: string; message?: string }, problems: readonly RefProblem[]): NonNullable<GatewayApiStatus["parents"]>[number] {
    const accepted = attach.accepted
      ? cond("Accepted", true, "Accepted", "Route was valid")
      : cond("Accepted", false, attach.reason ?? "NotAllowedByListeners", attach.message ?? "");
    const first = problems[0];
    const resolved = first
      ? cond("ResolvedRefs", false, first.reason, problems.map((p) => p.message).join("; "))
      : cond("ResolvedRefs", true, "ResolvedRefs", "All references resolved");
    return { parentRef: ref, controllerName: CONTROLLER_NAME, conditions: [accepted, resolved] };
  },

  unsupportedRoute(r: Resource): GatewayApiStatus {
    const refs = ((r.spec as { parentRefs?: ParentReference[] }).parentRefs ?? []);
    return {
      parents: refs.map((parentRef) => ({
        parentRef,
        controllerName: CONTROLLER_NAME,
        conditions: [cond("Accepted", false, "UnsupportedValue", `${r.kind} is not supported: a Worker serves HTTP requests only (no TCP, UDP, TLS passthrough or gRPC routing)`)],
      })),
    };
  },
};
