/**
 * RateLimitPolicy resources → the rate-limit table (plain JSON), once per config version.
 * Attachments are resolved here (Gateways to their servers, hosts to FQDNs), limits to milliseconds,
 * header names to lower case, so the per-request half only compares strings.
 *
 * @example
 *   snapshot.rateLimits = compileRateLimits(resources, { gatewayLabels, gatewayNamespace });
 */
import { parseDuration } from "../duration.js";
import { resolveHost, selectorMatches, splitServerHost } from "../hosts.js";
import type { MeshOptions } from "../mesh-options.js";
import { ROOT_NAMESPACE, type Resource } from "../resource.js";
import type { GatewaySpec } from "../schemas/gateway.js";
import {
  WINDOW_MS, type KeyPart, type RateLimitMatch, type RateLimitMode, type RateLimitPolicySpec, type RateLimitRule,
  type RateLimitTargetRef, type WindowUnit,
} from "../schemas/rate-limit-policy.js";
import type { Limit } from "./rate-limit-table.js";
import { GENERATED_SUFFIX } from "./gateway-api/index.js";
import { GATEWAY_API_GROUP } from "../resource.js";
import type { Attachment, GatewayAttachment, RateLimitPolicyEntry, RateLimitRuleEntry, RateLimitTable } from "./rate-limit-table.js";

/** What compiling needs to know about the gateway workload (MeshOptions and CompileOptions both fit). */
export type RateLimitMesh = Pick<MeshOptions, "gatewayLabels" | "gatewayNamespace">;

export function compileRateLimits(resources: readonly Resource[], mesh: RateLimitMesh): RateLimitTable {
  const gateways = new Map<string, Resource<GatewaySpec>>();
  for (const r of resources) if (r.kind === "Gateway") gateways.set(`${r.metadata.namespace}/${r.metadata.name}`, r as unknown as Resource<GatewaySpec>);
  const policies = resources
    .filter((r) => r.kind === "RateLimitPolicy")
    .map((r) => compilePolicy(r as unknown as Resource<RateLimitPolicySpec>, gateways, mesh))
    .sort((a, b) => (a.namespace === b.namespace ? cmp(a.name, b.name) : cmp(a.namespace, b.namespace)));
  return { policies };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function compilePolicy(r: Resource<RateLimitPolicySpec>, gateways: Map<string, Resource<GatewaySpec>>, mesh: RateLimitMesh): RateLimitPolicyEntry {
  const { namespace, name } = r.metadata;
  const spec = r.spec;
  const entry: RateLimitPolicyEntry = {
    namespace,
    name,
    mode: (spec.mode ?? "local").toLowerCase() as RateLimitMode,
    shadow: spec.shadow === true,
    failureModeDeny: spec.failureModeDeny === true,
    attach: translateAttachment(spec, namespace, gateways, mesh),
    rules: translateRules(spec.rules, `${namespace}/${name}`),
  };
  const timeout = spec.timeout === undefined ? undefined : parseDuration(spec.timeout);
  if (timeout !== undefined) entry.timeoutMs = Math.round(timeout);
  return entry;
}

/** `targetRefs` and `hosts` → who the policy sees; neither → the workload, in its or the root namespace. */
export function translateAttachment(
  spec: Pick<RateLimitPolicySpec, "targetRefs" | "hosts">,
  namespace: string,
  gateways: Map<string, Resource<GatewaySpec>>,
  mesh: RateLimitMesh,
): Attachment {
  const refs = spec.targetRefs ?? [];
  const hosts = spec.hosts ?? [];
  const attach: Attachment = {
    workload: refs.length === 0 && hosts.length === 0 && (namespace === mesh.gatewayNamespace || namespace === ROOT_NAMESPACE),
    gateways: [],
    virtualServices: [],
    hosts: hosts.map((h) => resolveHost(h, namespace)),
  };
  for (const ref of refs) {
    if (ref.group === GATEWAY_API_GROUP) {
      if (ref.kind === "HTTPRoute") attach.virtualServices.push({ virtualService: `HTTPRoute:${namespace}/${ref.name}` });
      else attach.gateways.push(...gatewayApiGatewayRefs(ref, namespace, gateways, mesh));
    } else if (ref.kind === "VirtualService") {
      attach.virtualServices.push(ref.sectionName ? { virtualService: `${namespace}/${ref.name}`, route: ref.sectionName } : { virtualService: `${namespace}/${ref.name}` });
    } else if (ref.kind === "Gateway") {
      const gw = translateGatewayRef(ref, namespace, gateways, mesh);
      if (gw) attach.gateways.push(gw);
    }
  }
  return attach;
}

/**
 * A Gateway API Gateway → the Istio Gateways its served listeners became (compile/gateway-api), or the
 * one listener `sectionName` names.
 */
function gatewayApiGatewayRefs(ref: RateLimitTargetRef, namespace: string, gateways: Map<string, Resource<GatewaySpec>>, mesh: RateLimitMesh): GatewayAttachment[] {
  const prefix = `${namespace}/${ref.name}${GENERATED_SUFFIX}-`;
  const out: GatewayAttachment[] = [];
  for (const key of gateways.keys()) {
    if (!key.startsWith(prefix) || (ref.sectionName !== undefined && key !== prefix + ref.sectionName)) continue;
    const gw = translateGatewayRef({ ...ref, name: key.slice(namespace.length + 1), sectionName: undefined }, namespace, gateways, mesh);
    if (gw) out.push(gw);
  }
  return out;
}

/** A Gateway that exists and selects this gateway workload → its servers (or the named one). */
function translateGatewayRef(
  ref: RateLimitTargetRef,
  namespace: string,
  gateways: Map<string, Resource<GatewaySpec>>,
  mesh: RateLimitMesh,
): GatewayAttachment | undefined {
  const key = `${namespace}/${ref.name}`;
  const gw = gateways.get(key);
  if (!gw || !selectorMatches(gw.spec.selector, mesh.gatewayLabels)) return undefined;
  const servers = (gw.spec.servers ?? [])
    .filter((s) => ref.sectionName === undefined || s.name === ref.sectionName)
    .map((s) => ({ port: s.port.number, hosts: s.hosts.map((h) => splitServerHost(h).host) }));
  return servers.length ? { gateway: key, servers } : undefined;
}

function translateRules(rules: readonly RateLimitRule[], policy: string): RateLimitRuleEntry[] {
  const shards = new Map<string, string>();
  return rules.map((rule) => {
    const key = (rule.key ?? []).map(translateKeyPart);
    const keyId = JSON.stringify(key);
    if (!shards.has(keyId)) shards.set(keyId, rule.name);
    const out: RateLimitRuleEntry = { name: rule.name, id: `${policy}/${rule.name}`, key, limit: translateLimit(rule), shard: shards.get(keyId)! };
    if (rule.match) out.match = rule.match.map(translateMatch);
    return out;
  });
}

export function translateLimit(rule: Pick<RateLimitRule, "tokenBucket" | "fixedWindow">): Limit {
  if (rule.tokenBucket) {
    const b = rule.tokenBucket;
    return {
      type: "tokenBucket",
      maxTokens: b.maxTokens,
      tokensPerFill: b.tokensPerFill ?? 1,
      fillIntervalMs: Math.max(1, Math.round(parseDuration(b.fillInterval) ?? 1000)),
    };
  }
  const w = rule.fixedWindow!;
  const unit = w.unit.toLowerCase() as WindowUnit;
  return { type: "fixedWindow", requests: w.requests, unit, windowMs: WINDOW_MS[unit] };
}

/** Header names lower-cased (Envoy compares them case-insensitively); the rest as written. */
export function translateKeyPart(part: KeyPart): KeyPart {
  if (part.header) return { header: { ...part.header, name: part.header.name.toLowerCase() } };
  return part;
}

function translateMatch(m: RateLimitMatch): RateLimitMatch {
  const out: RateLimitMatch = { ...m };
  for (const field of ["headers", "withoutHeaders"] as const) {
    const h = m[field];
    if (h) out[field] = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  }
  return out;
}
