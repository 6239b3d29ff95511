/**
 * Header operations (`headers.request|response.set|add|remove`), as Istio translates them
 * (TranslateHeadersOperations) and Envoy's HeaderParser applies them:
 *
 * - one stage = one Envoy header parser: first every `remove`, then every value is computed (from the
 *   headers as they are after the removals), then every `set` overwrites (`Headers.set`), then every
 *   `add` appends another value (`Headers.append`; read back joined with `, `);
 * - within a stage, `set` entries come first and then `add` entries, each list sorted by header name
 *   as Istio sorts it; a value that comes out empty is skipped (Istio never sets `keep_empty_value`),
 *   so `set: {x: ""}` does nothing;
 * - pseudo-headers (`:path`, ...) and `host` are never touched here: Istio drops them, and a request
 *   `set`/`add` of `host`/`:authority` is a host rewrite already resolved by the compiler into
 *   `route.rewrite.authority` / `destination.authority` (see src/policy/rewrite.ts);
 * - route and destination level combine in Istio's order (combineHeaderOps): with a single destination
 *   both are one stage, route ops then destination ops (a destination `set` wins); with weighted
 *   destinations the destination's ops are a stage that runs before the route's (a route `set` wins,
 *   and a route `remove` deletes what the destination set);
 * - values may use Envoy's `%COMMAND%` substitutions; see src/policy/header-value.ts for the subset.
 *
 * Compiled data is plain (arrays of names and parsed values), built once per snapshot route object and
 * cached; applying it per request does no parsing.
 */
import type { Route, WeightedDestination } from "../config/snapshot.js";
import type { HeaderOperations, Headers as HeadersSpec } from "../config/schemas/virtual-service.js";
import { formatHeaderValue, parseHeaderValue, type HeaderValueContext, type ValueTemplate } from "./header-value.js";

export type { HeaderValueContext } from "./header-value.js";

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
export function isWeightedRoute(route: Pick<Route, "action">): boolean {
  return route.action.kind === "forward" && route.action.totalWeight > 0;
}

const cache = new WeakMap<object, Map<object | null, HeaderOps>>();

/**
 * The combined ops for a snapshot route and the destination picked for this request (none for
 * redirect / direct-response routes), compiled on first use and cached per route object.
 */
export function headerOpsFor(route: Route, destination?: WeightedDestination): HeaderOps {
  let perRoute = cache.get(route);
  if (!perRoute) {
    perRoute = new Map();
    cache.set(route, perRoute);
  }
  const key = destination ?? null;
  let ops = perRoute.get(key);
  if (!ops) {
    const routeOps = compileHeaderOps(route.headers);
    ops = destination?.headers ? combineHeaderOps(routeOps, compileHeaderOps(destination.headers), isWeightedRoute(route)) : routeOps;
    perRoute.set(key, ops);
  }
  return ops;
}

/** Applies the request stages to the (mutable) headers about to go upstream. */
export function applyRequestHeaderOps(ops: HeaderOps, headers: Headers, ctx: HeaderValueContext = {}): void {
  for (const stage of ops.request) applyStage(stage, "request", headers, ctx);
}

/**
 * Applies the response stages to (mutable) response headers. `ctx.requestHeaders` feeds
 * `%REQ()%`.
 */
export function applyResponseHeaderOps(ops: HeaderOps, headers: Headers, ctx: HeaderValueContext = {}): void {
  for (const stage of ops.response) applyStage(stage, "response", headers, ctx);
}

function applyStage(stage: HeaderOpsStage, side: "request" | "response", headers: Headers, ctx: HeaderValueContext): void {
  for (const name of stage.remove) headers.delete(name);
  // Values first, from the headers as they are now; edits after.
  const sets = stage.set.length ? stage.set.map((e) => value(e, side, headers, ctx)) : [];
  const adds = stage.add.length ? stage.add.map((e) => value(e, side, headers, ctx)) : [];
  stage.set.forEach((e, i) => {
    const v = sets[i]!;
    if (v !== "") headers.set(e.name, v);
  });
  stage.add.forEach((e, i) => {
    const v = adds[i]!;
    if (v !== "") headers.append(e.name, v);
  });
}

function value(e: HeaderOpEntry, side: "request" | "response", headers: Headers, ctx: HeaderValueContext): string {
  if (e.value.literal !== undefined) return e.value.literal;
  const v = formatHeaderValue(e.value, side, headers, ctx);
  return FORBIDDEN_VALUE.test(v) ? v.replace(/[\u0000\r\n]/g, "") : v;
}
