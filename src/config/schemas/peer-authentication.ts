/**
 * PeerAuthentication (`security.istio.io/v1`, `v1beta1`): which mTLS mode a workload's inbound side
 * accepts. Schema from istio/api `security/v1beta1/peer_authentication.proto` and its CRD; rules from
 * Istio's `ValidatePeerAuthentication` webhook.
 *
 * A selector policy in the root namespace is accepted (Istio's webhook does not refuse it; pilot ignores
 * it), so that is left to the analyzer.
 */
import { z } from "zod";
import { workloadSelector } from "./common.js";
import { checkDryRunAnnotation, checkWorkloadSelector } from "./policy-target.js";
import type { KindValidator } from "./registry.js";

export const MTLS_MODES = ["UNSET", "DISABLE", "PERMISSIVE", "STRICT"] as const;
export type MtlsMode = (typeof MTLS_MODES)[number];

export const mutualTls = z.strictObject({ mode: z.enum(MTLS_MODES).optional() });
export type MutualTLS = z.infer<typeof mutualTls>;

/** Keys of `portLevelMtls` are workload port numbers written as map keys (`"8080"`). */
const PORT_KEY = /^[0-9]+$/;

export const peerAuthenticationSpec = z.strictObject({
  selector: workloadSelector.optional(),
  mtls: mutualTls.optional(),
  portLevelMtls: z
    .record(z.string(), mutualTls)
    .superRefine((ports, ctx) => {
      const keys = Object.keys(ports);
      if (keys.length === 0) ctx.addIssue({ code: "custom", message: "port level mTLS, if defined, must have at least one element" });
      for (const key of keys) {
        const n = PORT_KEY.test(key) ? Number(key) : NaN;
        if (!(n >= 1 && n <= 65535)) ctx.addIssue({ code: "custom", path: [key], message: `port must be between 1-65535, got ${JSON.stringify(key)}` });
      }
    })
    .optional(),
});
export type PeerAuthenticationSpec = z.infer<typeof peerAuthenticationSpec>;

export const peerAuthenticationValidator: KindValidator<PeerAuthenticationSpec> = {
  spec: peerAuthenticationSpec,
  rules(spec, ctx) {
    checkDryRunAnnotation(ctx, "PeerAuthentication");
    if (spec.selector) checkWorkloadSelector(spec.selector, "spec.selector", ctx);
    const workloadScoped = Object.keys(spec.selector?.matchLabels ?? {}).length > 0;
    if (spec.portLevelMtls && !workloadScoped)
      ctx.error(
        "spec.portLevelMtls",
        `mesh/namespace peer authentication cannot have port level mTLS (ports ${Object.keys(spec.portLevelMtls).join(", ")}): portLevelMtls requires a selector with matchLabels`,
      );
  },
};
