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
 * The compiled data (src/config/compile/header-ops.ts) is plain (arrays of names and parsed values),
 * built once per config version; applying it per request does no parsing.
 */
import { NO_HEADER_OPS, type HeaderOpEntry, type HeaderOps, type HeaderOpsStage } from "../config/compile/header-ops.js";
import type { Route, WeightedDestination } from "../config/snapshot.js";
import { formatHeaderValue, type HeaderValueContext } from "./header-value.js";

export {
  combineHeaderOps, compileHeaderOps, isInternalHeader, isWeightedRoute, NO_HEADER_OPS,
  type HeaderOpEntry, type HeaderOps, type HeaderOpsStage,
} from "../config/compile/header-ops.js";

export type { HeaderValueContext } from "./header-value.js";

/** The ops of a route toward a destination: the destination's combined ops, else the route's. */
export function routeHeaderOps(route: Pick<Route, "headerOps">, destination?: Pick<WeightedDestination, "headerOps">): HeaderOps {
  return destination?.headerOps ?? route.headerOps ?? NO_HEADER_OPS;
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

// eslint-disable-next-line no-control-regex
const FORBIDDEN_VALUE = /[\u0000\r\n]/;

function value(e: HeaderOpEntry, side: "request" | "response", headers: Headers, ctx: HeaderValueContext): string {
  if (e.value.literal !== undefined) return e.value.literal;
  const v = formatHeaderValue(e.value, side, headers, ctx);
  return FORBIDDEN_VALUE.test(v) ? v.replace(/[\u0000\r\n]/g, "") : v;
}
