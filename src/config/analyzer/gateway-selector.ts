/**
 * IST0101 `selector` (Istio's gateway.IngressGatewayPortAnalyzer): a Gateway whose `selector`
 * selects no workload configures nothing. In Isthmus the one workload is the gateway itself, so the
 * selector must match the gateway's labels (an empty selector selects every workload, as in Kubernetes).
 */
import { selectorMatches } from "../hosts.js";
import { joinPath } from "../loader.js";
import { selectorString, type AnalysisContext } from "./context.js";
import { referencedResourceNotFound } from "./messages.js";
import type { GatewaySpec } from "./specs.js";

export function analyzeGatewaySelectors(ctx: AnalysisContext): void {
  for (const gw of ctx.of<GatewaySpec>("Gateway")) {
    const selector = gw.spec.selector ?? {};
    if (selectorMatches(selector, ctx.gateway.labels)) continue;
    // Istio points at the first label of the printed selector.
    const first = Object.keys(selector).sort()[0];
    const path = first === undefined ? "spec.selector" : joinPath("spec.selector", first);
    ctx.report(gw, referencedResourceNotFound("selector", selectorString(selector)), path);
  }
}
