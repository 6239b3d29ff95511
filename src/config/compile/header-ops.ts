/**
 * Header operations (`headers.request|response.set|add|remove`) translated as Istio's
 * TranslateHeadersOperations does; src/policy/header-ops.ts applies them as Envoy's HeaderParser does
 * (the ordering rules are described there). Plain data, compiled once per config version.
 */
import type { HeaderOperations, Headers as HeadersSpec } from "../schemas/virtual-service.js";
import { parseHeaderValue, type ValueTemplate } from "../header-value-syntax.js";

export interface HeaderOpEntry {
  /** Lower-case header name. */
  name: string;
  value: ValueTemplate;
}

/** One Envoy header parser: removals, then overwrites, then appends. */
export interface HeaderOpsStage {
  remove: string[];
  set: HeaderOpEntry[];
  add: HeaderOpEntry[];
}

/** Request and response stages, applied in order. */
export interface HeaderOps {
  request: HeaderOpsStage[];
  response: HeaderOpsStage[];
  /** `%COMMAND%`s this implementation evaluates to "" (for explain and warnings). */
  unsupported?: string[];
}

export const NO_HEADER_OPS: HeaderOps = Object.freeze({ request: [], response: [] }) as HeaderOps;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex
const FORBIDDEN_VALUE = /[\u0000\r\n]/;

/** Istio isInternalHeader: pseudo-headers and `host` are never edited by header ops. */
export function isInternalHeader(name: string): boolean {
  return name.startsWith(":") || name.toLowerCase() === "host";
}

/**
 * `headers` of a route or destination → compiled ops (one stage per side, or none).
 *
 * @example compileHeaderOps({ request: { set: { "x-a": "1" }, remove: ["x-b"] } })
 *          // { request: [{ remove: ["x-b"], set: [{ name: "x-a", value: { literal: "1" } }], add: [] }], response: [] }
 */
export function compileHeaderOps(spec: HeadersSpec | undefined): HeaderOps {
  if (!spec) return NO_HEADER_OPS;
  const unsupported: string[] = [];
  const request = compileStage(spec.request, unsupported);
  const response = compileStage(spec.response, unsupported);
  const out: HeaderOps = { request: request ? [request] : [], response: response ? [response] : [] };
  if (unsupported.length) out.unsupported = [...new Set(unsupported)];
  return out;
}

function compileStage(ops: HeaderOperations | undefined, unsupported: string[]): HeaderOpsStage | undefined {
  if (!ops) return undefined;
  const stage: HeaderOpsStage = {
    remove: (ops.remove ?? []).filter((n) => !isInternalHeader(n) && TOKEN.test(n)).map((n) => n.toLowerCase()),
    set: compileEntries(ops.set, unsupported),
    add: compileEntries(ops.add, unsupported),
  };
  return stage.remove.length || stage.set.length || stage.add.length ? stage : undefined;
}

/** Does `ops` do anything? */
export function hasHeaderOps(ops: HeaderOps): boolean {
  return ops.request.length > 0 || ops.response.length > 0 || (ops.unsupported?.length ?? 0) > 0;
}

/** Istio sorts each list by key (Go string order, i.e. code units for header names). */
function compileEntries(map: Record<string, string> | undefined, unsupported: string[]): HeaderOpEntry[] {
  if (!map) return [];
  const keys = Object.keys(map).filter((k) => !isInternalHeader(k) && TOKEN.test(k));
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: HeaderOpEntry[] = [];
  for (const k of keys) {
    const value = parseHeaderValue(map[k]!, unsupported);
    // A literal Web Headers would refuse (admission already refuses control characters).
    if (value.literal !== undefined && FORBIDDEN_VALUE.test(value.literal)) continue;
    out.push({ name: k.toLowerCase(), value });
  }
  return out;
}

/**
 * Route-level and destination-level ops in Istio's order.
 *
 * @param weighted the route has weighted destinations (Envoy weighted_clusters: Istio emits them
 *   whenever the rule lists more than one destination, even if only one has weight > 0)
 */
export function combineHeaderOps(routeOps: HeaderOps, destOps: HeaderOps, weighted: boolean): HeaderOps {
  if (destOps.request.length === 0 && destOps.response.length === 0 && !destOps.unsupported) return routeOps;
  if (routeOps.request.length === 0 && routeOps.response.length === 0 && !routeOps.unsupported) return destOps;
  const out: HeaderOps = weighted
    ? { request: [...destOps.request, ...routeOps.request], response: [...destOps.response, ...routeOps.response] }
    : { request: mergeStages([...routeOps.request, ...destOps.request]), response: mergeStages([...routeOps.response, ...destOps.response]) };
  const unsupported = [...(routeOps.unsupported ?? []), ...(destOps.unsupported ?? [])];
  if (unsupported.length) out.unsupported = [...new Set(unsupported)];
  return out;
}

/** Single destination: Istio appends the destination's lists to the route's, in one parser. */
function mergeStages(stages: HeaderOpsStage[]): HeaderOpsStage[] {
  if (stages.length <= 1) return stages;
  return [{
    remove: stages.flatMap((s) => s.remove),
    set: stages.flatMap((s) => s.set),
    add: stages.flatMap((s) => s.add),
  }];
}

/** Does this forward route use weighted clusters (destination ops before route ops)? */
export function isWeightedRoute(route: { action: { kind: string; totalWeight?: number } }): boolean {
  return route.action.kind === "forward" && (route.action.totalWeight ?? 0) > 0;
}

