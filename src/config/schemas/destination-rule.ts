/**
 * DestinationRule (networking.istio.io): what happens to traffic after routing — load balancing,
 * connection pools, outlier detection, upstream TLS — per host, subset and port. Schema follows
 * istio/api networking/v1alpha3/destination_rule.proto as served by Istio's CRD (JSON names, strict
 * objects); the rules follow the validation webhook (validateDestinationRule & co).
 */
import { z } from "zod";
import { duration, isHeaderName, positiveDuration, workloadSelector } from "./common.js";
import type { RuleContext } from "./registry.js";
import {
  checkExportTo, checkLabels, checkMsPrecision, durationMs, fqdnError, i32, integer, isDNS1123Label, isIP, numberIn, oneOf,
  portSelector, stringMap, sub, u32, u64, wildcardDomainError,
} from "./networking-fields.js";

export const simpleLB = z.enum(["UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"]);
export type SimpleLB = z.infer<typeof simpleLB>;

export const cookieAttribute = z.strictObject({ name: z.string(), value: z.string().optional() });
export type CookieAttribute = z.infer<typeof cookieAttribute>;

export const httpCookie = z.strictObject({
  name: z.string(),
  path: z.string().optional(),
  /** `0s` is allowed: a session cookie. */
  ttl: duration.optional(),
  attributes: z.array(cookieAttribute).optional(),
});
export type HTTPCookie = z.infer<typeof httpCookie>;

export const ringHash = z.strictObject({ minimumRingSize: u64.optional() });
export type RingHash = z.infer<typeof ringHash>;

export const magLev = z.strictObject({ tableSize: u64.optional() });
export type MagLev = z.infer<typeof magLev>;

/** `ConsistentHashLB`: one hash key (`httpHeaderName` | `httpCookie` | `useSourceIp` | `httpQueryParameterName`), one algorithm. */
export const consistentHashLB = z.strictObject({
  httpHeaderName: z.string().optional(),
  httpCookie: httpCookie.optional(),
  useSourceIp: z.boolean().optional(),
  httpQueryParameterName: z.string().optional(),
  ringHash: ringHash.optional(),
  maglev: magLev.optional(),
  /** Deprecated; use `ringHash.minimumRingSize`. */
  minimumRingSize: u64.optional(),
});
export type ConsistentHashLB = z.infer<typeof consistentHashLB>;

export const localityFailover = z.strictObject({ from: z.string().optional(), to: z.string().optional() });
export type LocalityFailover = z.infer<typeof localityFailover>;

export const localityDistribute = z.strictObject({
  from: z.string().optional(),
  to: z.record(z.string(), u32).optional(),
});
export type LocalityDistribute = z.infer<typeof localityDistribute>;

export const localityLoadBalancerSetting = z.strictObject({
  distribute: z.array(localityDistribute).optional(),
  failover: z.array(localityFailover).optional(),
  failoverPriority: z.array(z.string()).optional(),
  enabled: z.boolean().optional(),
});
export type LocalityLoadBalancerSetting = z.infer<typeof localityLoadBalancerSetting>;

export const zoneAwareLoadBalancerSetting = z.strictObject({
  enabled: z.boolean().optional(),
  failover: z.array(localityFailover).optional(),
  failoverPriority: z.array(z.string()).optional(),
  minClusterSize: integer(1, 4294967295).optional(),
});
export type ZoneAwareLoadBalancerSetting = z.infer<typeof zoneAwareLoadBalancerSetting>;

export const warmupConfiguration = z.strictObject({
  duration: positiveDuration,
  minimumPercent: numberIn(0, 100).optional(),
  aggression: numberIn(0, Number.MAX_VALUE).optional(),
});
export type WarmupConfiguration = z.infer<typeof warmupConfiguration>;

/** Utilization-based load balancing from backend-reported ORCA metrics (newer Istio CRDs). */
export const backendUtilization = z.strictObject({
  errorUtilizationPenaltyPercent: u32.optional(),
  metricNamesForComputingUtilization: z.array(z.string()).optional(),
  weightExpirationPeriod: duration.optional(),
  weightStabilizationPeriod: duration.optional(),
  weightUpdatePeriod: duration.optional(),
});
export type BackendUtilization = z.infer<typeof backendUtilization>;

export const loadBalancerSettings = z.strictObject({
  simple: simpleLB.optional(),
  consistentHash: consistentHashLB.optional(),
  backendUtilization: backendUtilization.optional(),
  localityLbSetting: localityLoadBalancerSetting.optional(),
  zoneAwareLbSetting: zoneAwareLoadBalancerSetting.optional(),
  /** Deprecated; use `warmup.duration`. */
  warmupDurationSecs: positiveDuration.optional(),
  warmup: warmupConfiguration.optional(),
});
export type LoadBalancerSettings = z.infer<typeof loadBalancerSettings>;

export const tcpKeepalive = z.strictObject({
  probes: u32.optional(),
  time: positiveDuration.optional(),
  interval: positiveDuration.optional(),
});
export type TcpKeepalive = z.infer<typeof tcpKeepalive>;

export const tcpSettings = z.strictObject({
  maxConnections: i32.optional(),
  connectTimeout: positiveDuration.optional(),
  tcpKeepalive: tcpKeepalive.optional(),
  maxConnectionDuration: positiveDuration.optional(),
  /** `0s` disables the idle timeout. */
  idleTimeout: duration.optional(),
});
export type TCPSettings = z.infer<typeof tcpSettings>;

export const h2UpgradePolicy = z.enum(["DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"]);
export type H2UpgradePolicy = z.infer<typeof h2UpgradePolicy>;

export const connectionKeepalive = z.strictObject({
  interval: positiveDuration.optional(),
  timeout: positiveDuration.optional(),
});
export type ConnectionKeepalive = z.infer<typeof connectionKeepalive>;

export const httpSettings = z.strictObject({
  http1MaxPendingRequests: i32.optional(),
  http2MaxRequests: i32.optional(),
  maxRequestsPerConnection: i32.optional(),
  maxRetries: i32.optional(),
  idleTimeout: positiveDuration.optional(),
  h2UpgradePolicy: h2UpgradePolicy.optional(),
  useClientProtocol: z.boolean().optional(),
  maxConcurrentStreams: i32.optional(),
  http2KeepAlive: connectionKeepalive.optional(),
});
export type HTTPSettings = z.infer<typeof httpSettings>;

export const connectionPoolSettings = z.strictObject({
  tcp: tcpSettings.optional(),
  http: httpSettings.optional(),
});
export type ConnectionPoolSettings = z.infer<typeof connectionPoolSettings>;

export const outlierDetection = z.strictObject({
  /** Deprecated; counts gateway errors (502/503/504). */
  consecutiveErrors: i32.optional(),
  splitExternalLocalOriginErrors: z.boolean().optional(),
  consecutiveLocalOriginFailures: u32.optional(),
  consecutiveGatewayErrors: u32.optional(),
  consecutive5xxErrors: u32.optional(),
  interval: positiveDuration.optional(),
  baseEjectionTime: positiveDuration.optional(),
  maxEjectionPercent: i32.optional(),
  minHealthPercent: i32.optional(),
  outlierDetectionHttpErrorCodes: z.array(integer(100, 599)).optional(),
});
export type OutlierDetection = z.infer<typeof outlierDetection>;

export const clientTLSMode = z.enum(["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"]);
export type ClientTLSMode = z.infer<typeof clientTLSMode>;

export const clientTLSSettings = z.strictObject({
  mode: clientTLSMode.optional(),
  clientCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
  credentialName: z.string().optional(),
  subjectAltNames: z.array(z.string()).optional(),
  sni: z.string().optional(),
  insecureSkipVerify: z.boolean().optional(),
  caCrl: z.string().optional(),
});
export type ClientTLSSettings = z.infer<typeof clientTLSSettings>;

export const portTrafficPolicy = z.strictObject({
  port: portSelector.optional(),
  loadBalancer: loadBalancerSettings.optional(),
  connectionPool: connectionPoolSettings.optional(),
  outlierDetection: outlierDetection.optional(),
  tls: clientTLSSettings.optional(),
});
export type PortTrafficPolicy = z.infer<typeof portTrafficPolicy>;

export const tunnelSettings = z.strictObject({
  protocol: z.string().optional(),
  targetHost: z.string(),
  targetPort: u32,
});
export type TunnelSettings = z.infer<typeof tunnelSettings>;

export const proxyProtocol = z.strictObject({ version: z.enum(["V1", "V2"]).optional() });
export type ProxyProtocol = z.infer<typeof proxyProtocol>;

export const retryBudget = z.strictObject({
  percent: numberIn(0, 100).optional(),
  minRetryConcurrency: u32.optional(),
  /** `0s` allowed (the default). */
  budgetInterval: duration.optional(),
});
export type RetryBudget = z.infer<typeof retryBudget>;

export const trafficPolicy = z.strictObject({
  loadBalancer: loadBalancerSettings.optional(),
  connectionPool: connectionPoolSettings.optional(),
  outlierDetection: outlierDetection.optional(),
  tls: clientTLSSettings.optional(),
  portLevelSettings: z.array(portTrafficPolicy).max(4096).optional(),
  tunnel: tunnelSettings.optional(),
  proxyProtocol: proxyProtocol.optional(),
  retryBudget: retryBudget.optional(),
});
export type TrafficPolicy = z.infer<typeof trafficPolicy>;

export const subset = z.strictObject({
  name: z.string(),
  labels: stringMap.optional(),
  trafficPolicy: trafficPolicy.optional(),
});
export type Subset = z.infer<typeof subset>;

export const destinationRuleSpec = z.strictObject({
  host: z.string(),
  trafficPolicy: trafficPolicy.optional(),
  subsets: z.array(subset).optional(),
  exportTo: z.array(z.string()).optional(),
  workloadSelector: workloadSelector.optional(),
});
export type DestinationRuleSpec = z.infer<typeof destinationRuleSpec>;

// ---- webhook rules ----

/**
 * Webhook rules for a DestinationRule (Istio ValidateDestinationRule): a host, unique DNS-label
 * subset names, traffic policies with at least one setting each, and the per-setting rules below.
 */
export function destinationRuleRules(spec: DestinationRuleSpec, ctx: RuleContext): void {
  const hostErr = spec.host === "" ? "host is required" : wildcardDomainError(spec.host);
  if (hostErr) ctx.error("spec.host", spec.host === "" ? hostErr : `invalid host ${JSON.stringify(spec.host)}: ${hostErr}`, spec.host === "" ? "FieldValueRequired" : "FieldValueInvalid");
  if (spec.trafficPolicy) trafficPolicyRules(spec.trafficPolicy, "spec.trafficPolicy", ctx);
  const names = new Map<string, number>();
  spec.subsets?.forEach((s, i) => {
    const p = `spec.subsets[${i}]`;
    const prev = names.get(s.name);
    if (prev !== undefined) ctx.error(`${p}.name`, `duplicate subset name ${JSON.stringify(s.name)} (also spec.subsets[${prev}])`, "Duplicate");
    else names.set(s.name, i);
    if (s.name === "") ctx.error(`${p}.name`, "subset name cannot be empty", "FieldValueRequired");
    else if (!isDNS1123Label(s.name)) ctx.error(`${p}.name`, `subset name ${JSON.stringify(s.name)} is invalid: must be a DNS-1123 label`);
    checkLabels(s.labels, `${p}.labels`, ctx);
    if (s.trafficPolicy) trafficPolicyRules(s.trafficPolicy, `${p}.trafficPolicy`, ctx);
  });
  checkExportTo(spec.exportTo, "spec.exportTo", ctx, { destinationRuleWithSelector: spec.workloadSelector !== undefined });
  for (const [k, v] of Object.entries(spec.workloadSelector?.matchLabels ?? {})) {
    const p = sub("spec.workloadSelector.matchLabels", k);
    if (k === "") ctx.error(p, "empty key is not supported in selector");
    if (k.includes("*") || v.includes("*")) ctx.error(p, `wildcard is not supported in selector: ${JSON.stringify(`${k}=${v}`)}`);
  }
}

/** Is any field of `o` set? */
function anySet(o: object): boolean {
  return Object.values(o).some((v) => v !== undefined);
}

export function trafficPolicyRules(tp: TrafficPolicy, path: string, ctx: RuleContext): void {
  if (!anySet(tp)) {
    ctx.error(path, "traffic policy must have at least one field", "FieldValueRequired");
    return;
  }
  if (tp.tunnel && tp.proxyProtocol) {
    ctx.error(`${path}.proxyProtocol`, "tunnel and proxyProtocol must not be set together", "FieldMutuallyExclusive");
    return;
  }
  if (tp.outlierDetection) outlierRules(tp.outlierDetection, `${path}.outlierDetection`, ctx);
  if (tp.connectionPool) connectionPoolRules(tp.connectionPool, `${path}.connectionPool`, ctx);
  if (tp.loadBalancer) loadBalancerRules(tp.loadBalancer, `${path}.loadBalancer`, ctx);
  if (tp.tls) clientTLSRules(tp.tls, `${path}.tls`, ctx);
  tp.portLevelSettings?.forEach((pl, i) => {
    const p = `${path}.portLevelSettings[${i}]`;
    if (!pl.port) ctx.error(`${p}.port`, "portLevelSettings entries must name a port (port.number)", "FieldValueRequired");
    if (!pl.outlierDetection && !pl.connectionPool && !pl.loadBalancer && !pl.tls) {
      ctx.error(p, "port traffic policy must have at least one of loadBalancer, connectionPool, outlierDetection or tls", "FieldValueRequired");
      return;
    }
    if (pl.outlierDetection) outlierRules(pl.outlierDetection, `${p}.outlierDetection`, ctx);
    if (pl.connectionPool) connectionPoolRules(pl.connectionPool, `${p}.connectionPool`, ctx);
    if (pl.loadBalancer) loadBalancerRules(pl.loadBalancer, `${p}.loadBalancer`, ctx);
    if (pl.tls) clientTLSRules(pl.tls, `${p}.tls`, ctx);
  });
  if (tp.tunnel) {
    const t = tp.tunnel;
    const p = `${path}.tunnel`;
    if (t.protocol !== undefined && t.protocol !== "" && t.protocol !== "CONNECT" && t.protocol !== "POST")
      ctx.error(`${p}.protocol`, `tunnel protocol must be "CONNECT" or "POST", got ${JSON.stringify(t.protocol)}`);
    if (fqdnError(t.targetHost) && !isIP(t.targetHost)) ctx.error(`${p}.targetHost`, `tunnel target host ${JSON.stringify(t.targetHost)} must be a valid FQDN or IP address`);
    if (t.targetPort < 1 || t.targetPort > 65535) ctx.error(`${p}.targetPort`, `tunnel target port ${t.targetPort} must be in the range 1..65535`);
  }
}

function outlierRules(o: OutlierDetection, path: string, ctx: RuleContext): void {
  checkMsPrecision(o.baseEjectionTime, `${path}.baseEjectionTime`, ctx);
  checkMsPrecision(o.interval, `${path}.interval`, ctx);
  if (!o.splitExternalLocalOriginErrors && (o.consecutiveLocalOriginFailures ?? 0) > 0)
    ctx.error(`${path}.consecutiveLocalOriginFailures`, "consecutiveLocalOriginFailures is set, but splitExternalLocalOriginErrors is false; set it to true");
  for (const field of ["maxEjectionPercent", "minHealthPercent"] as const) {
    const v = o[field];
    if (v !== undefined && (v < 0 || v > 100)) ctx.error(`${path}.${field}`, `${field} ${v} is not in range 0..100`);
  }
}

function connectionPoolRules(c: ConnectionPoolSettings, path: string, ctx: RuleContext): void {
  if (!c.http && !c.tcp) {
    ctx.error(path, "connection pool must have at least one of tcp or http", "FieldValueRequired");
    return;
  }
  if (c.http) {
    const h = c.http;
    const p = `${path}.http`;
    for (const field of ["http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries", "maxConcurrentStreams"] as const) {
      const v = h[field];
      if (v !== undefined && v < 0) ctx.error(`${p}.${field}`, `${field} must be non-negative, got ${v}`);
    }
    checkMsPrecision(h.idleTimeout, `${p}.idleTimeout`, ctx);
    if (h.h2UpgradePolicy === "UPGRADE" && h.useClientProtocol)
      ctx.error(`${p}.useClientProtocol`, "useClientProtocol must not be true when h2UpgradePolicy is UPGRADE", "FieldMutuallyExclusive");
    if (h.http2KeepAlive) {
      const k = h.http2KeepAlive;
      if (k.interval === undefined) ctx.error(`${p}.http2KeepAlive.interval`, "http2 keepalive interval is required", "FieldValueRequired");
      if (k.timeout === undefined) ctx.error(`${p}.http2KeepAlive.timeout`, "http2 keepalive timeout is required", "FieldValueRequired");
      checkMsPrecision(k.interval, `${p}.http2KeepAlive.interval`, ctx);
      checkMsPrecision(k.timeout, `${p}.http2KeepAlive.timeout`, ctx);
    }
  }
  if (c.tcp) {
    const t = c.tcp;
    const p = `${path}.tcp`;
    if (t.maxConnections !== undefined && t.maxConnections < 0) ctx.error(`${p}.maxConnections`, `maxConnections must be non-negative, got ${t.maxConnections}`);
    checkMsPrecision(t.connectTimeout, `${p}.connectTimeout`, ctx);
    checkMsPrecision(t.maxConnectionDuration, `${p}.maxConnectionDuration`, ctx);
    // `0s` disables the idle timeout; anything else is a real duration.
    if (t.idleTimeout !== undefined && durationMs(t.idleTimeout) !== 0) {
      if (durationMs(t.idleTimeout) < 1) ctx.error(`${p}.idleTimeout`, `duration must be at least 1ms (or 0s to disable), got ${JSON.stringify(t.idleTimeout)}`);
      else checkMsPrecision(t.idleTimeout, `${p}.idleTimeout`, ctx);
    }
    checkMsPrecision(t.tcpKeepalive?.time, `${p}.tcpKeepalive.time`, ctx);
    checkMsPrecision(t.tcpKeepalive?.interval, `${p}.tcpKeepalive.interval`, ctx);
  }
}

/** Envoy's isPrime (trial division), used for Maglev table sizes. */
export function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  const limit = Math.floor(Math.sqrt(x));
  for (let f = 3; f <= limit; f += 2) if (x % f === 0) return false;
  return true;
}

/** Istio also warns when failover is set without outlierDetection; warnings are the analyzer's business, not admission's. */
function loadBalancerRules(lb: LoadBalancerSettings, path: string, ctx: RuleContext): void {
  oneOf(lb, ["simple", "consistentHash", "backendUtilization"], path, ctx);
  oneOf(lb, ["warmupDurationSecs", "warmup"], path, ctx);
  const ch = lb.consistentHash;
  if (ch) {
    const p = `${path}.consistentHash`;
    oneOf(ch, ["httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"], p, ctx);
    oneOf(ch, ["ringHash", "maglev"], p, ctx);
    if (ch.httpHeaderName !== undefined && !isHeaderName(ch.httpHeaderName))
      ctx.error(`${p}.httpHeaderName`, `header name ${JSON.stringify(ch.httpHeaderName)} is not a valid header name`);
    if (ch.httpQueryParameterName === "") ctx.error(`${p}.httpQueryParameterName`, "query parameter name cannot be empty");
    const cookie = ch.httpCookie;
    if (cookie) {
      if (cookie.name === "") ctx.error(`${p}.httpCookie.name`, "name required for httpCookie", "FieldValueRequired");
      const seen = new Set<string>();
      cookie.attributes?.forEach((a, i) => {
        const ap = `${p}.httpCookie.attributes[${i}].name`;
        if (a.name === "") ctx.error(ap, "cookie attribute name cannot be empty", "FieldValueRequired");
        else if (seen.has(a.name)) ctx.error(ap, `duplicate cookie attribute name: ${a.name}`, "Duplicate");
        else seen.add(a.name);
      });
    }
    if (ch.minimumRingSize !== undefined && ch.minimumRingSize !== 0 && (ch.ringHash || ch.maglev))
      ctx.error(`${p}.minimumRingSize`, "only one of minimumRingSize (deprecated) or maglev/ringHash can be specified", "FieldMutuallyExclusive");
    if (ch.maglev) {
      const size = ch.maglev.tableSize ?? 0;
      const mp = `${p}.maglev.tableSize`;
      if (size === 0) ctx.error(mp, "tableSize must be set for maglev", "FieldValueRequired");
      else if (size >= 5000011) ctx.error(mp, `tableSize must be less than 5000011 for maglev, got ${size}`);
      else if (!isPrime(size)) ctx.error(mp, `tableSize must be a prime number for maglev, got ${size} (e.g. 65537)`);
    }
  }
  if (lb.localityLbSetting && lb.zoneAwareLbSetting)
    ctx.error(`${path}.zoneAwareLbSetting`, "only one of localityLbSetting and zoneAwareLbSetting can be set", "FieldMutuallyExclusive");
  if (lb.localityLbSetting) localityLbRules(lb.localityLbSetting, `${path}.localityLbSetting`, ctx);
  if (lb.zoneAwareLbSetting) zoneAwareRules(lb.zoneAwareLbSetting, `${path}.zoneAwareLbSetting`, ctx);
  checkMsPrecision(lb.warmupDurationSecs, `${path}.warmupDurationSecs`, ctx);
  if (lb.warmup) {
    checkMsPrecision(lb.warmup.duration, `${path}.warmup.duration`, ctx);
    if (lb.warmup.aggression !== undefined && lb.warmup.aggression <= 0)
      ctx.error(`${path}.warmup.aggression`, `aggression should be greater than 0, got ${lb.warmup.aggression}`);
  }
}

const TOPOLOGY_LABELS = new Set(["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"]);

function localityLbRules(l: LocalityLoadBalancerSetting, path: string, ctx: RuleContext): void {
  if (l.distribute?.length && l.failover?.length) {
    ctx.error(path, "can not simultaneously specify 'distribute' and 'failover'", "FieldMutuallyExclusive");
    return;
  }
  if (l.failover?.length) {
    const bad = l.failoverPriority?.findIndex((p) => TOPOLOGY_LABELS.has(p)) ?? -1;
    if (bad >= 0) {
      ctx.error(`${path}.failoverPriority[${bad}]`, `can not simultaneously set 'failover' and topology label ${JSON.stringify(l.failoverPriority![bad])} in 'failoverPriority'`);
      return;
    }
  }
  const sources: string[] = [];
  for (const [i, d] of (l.distribute ?? []).entries()) {
    const p = `${path}.distribute[${i}]`;
    sources.push(d.from ?? "");
    let total = 0;
    for (const [loc, w] of Object.entries(d.to ?? {})) {
      if (w <= 0 || w > 100) {
        ctx.error(sub(`${p}.to`, loc), `locality weight must be in range [1, 100], got ${w}`);
        return;
      }
      total += w;
    }
    if (total !== 100) {
      ctx.error(`${p}.to`, `total locality weight ${total} != 100`);
      return;
    }
    const err = localitiesError(Object.keys(d.to ?? {}));
    if (err) ctx.error(`${p}.to`, err);
  }
  const err = localitiesError(sources);
  if (err) ctx.error(`${path}.distribute`, err);
  l.failover?.forEach((f, i) => failoverRules(f, `${path}.failover[${i}]`, "locality lb failover", ctx));
}

function zoneAwareRules(z: ZoneAwareLoadBalancerSetting, path: string, ctx: RuleContext): void {
  z.failoverPriority?.forEach((p, i) => {
    if (TOPOLOGY_LABELS.has(p))
      ctx.error(`${path}.failoverPriority[${i}]`, `'failoverPriority' for zone aware lb must not use topology label ${JSON.stringify(p)}; region- and zone-level routing are handled automatically`);
  });
  z.failover?.forEach((f, i) => failoverRules(f, `${path}.failover[${i}]`, "zone aware lb failover", ctx));
}

function failoverRules(f: { from?: string | undefined; to?: string | undefined }, path: string, what: string, ctx: RuleContext): void {
  const from = f.from ?? "";
  const to = f.to ?? "";
  if (from === to) ctx.error(path, `${what} settings must specify different regions, got from ${JSON.stringify(from)} and to ${JSON.stringify(to)}`);
  if (from.includes("/") || to.includes("/")) ctx.error(path, `${what} only specifies regions (no "/")`);
  if (from.includes("*") || to.includes("*")) ctx.error(path, `${what} region should not contain '*' wildcard`);
}

/** Istio's validateLocalities: `region[/zone[/subzone]]`, a single trailing `*`, no overlaps. */
function localitiesError(localities: readonly string[]): string | undefined {
  const tree = new Map<string, Map<string, Set<string>>>();
  for (const locality of localities) {
    const stars = locality.split("*").length - 1;
    if (stars > 0 && (stars > 1 || !locality.endsWith("*")))
      return `locality ${JSON.stringify(locality)}: wildcard '*' number can not exceed 1 and must be in the end`;
    if (tree.has("*")) return `locality ${JSON.stringify(locality)} overlaps with previously specified ones`;
    const items = splitN(locality, "/", 3);
    if (items.some((x) => x === "")) return `locality ${JSON.stringify(locality)} must not contain empty region/zone/subzone info`;
    const [region = "", zone = "", subzone = ""] = items;
    const overlap = `locality ${JSON.stringify(locality)} overlaps with previously specified ones`;
    if (items.length === 1) {
      if (tree.has(region)) return overlap;
      tree.set(region, new Map([["*", new Set(["*"])]]));
    } else if (items.length === 2) {
      const zones = tree.get(region);
      if (zones) {
        if (zones.has("*") || zones.has(zone)) return overlap;
        zones.set(zone, new Set(["*"]));
      } else tree.set(region, new Map([[zone, new Set(["*"])]]));
    } else {
      const zones = tree.get(region);
      if (zones) {
        if (zones.has("*")) return overlap;
        const subs = zones.get(zone);
        if (subs) {
          if (subs.has("*") || subs.has(subzone)) return overlap;
          subs.add(subzone);
        } else zones.set(zone, new Set([subzone]));
      } else tree.set(region, new Map([[zone, new Set([subzone])]]));
    }
  }
  return undefined;
}

/** Go's strings.SplitN. */
function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  if (parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

/** Istio's ValidateTLS for upstream (client) TLS settings. */
function clientTLSRules(t: ClientTLSSettings, path: string, ctx: RuleContext): void {
  const mode = t.mode ?? "DISABLE";
  if (t.credentialName?.startsWith("configmap://")) {
    const rest = t.credentialName.slice("configmap://".length);
    const slash = rest.indexOf("/");
    const ns = slash < 0 ? ctx.metadata.namespace : rest.slice(0, slash);
    if (rest === "" || (slash >= 0 && rest.slice(slash + 1) === ""))
      ctx.error(`${path}.credentialName`, `invalid configmap:// credentialName ${JSON.stringify(t.credentialName)}`);
    else if (ns !== ctx.metadata.namespace)
      ctx.error(`${path}.credentialName`, `invalid configmap:// credentialName ${JSON.stringify(t.credentialName)}: namespace must match the configuration namespace ${JSON.stringify(ctx.metadata.namespace)}`);
  }
  if (t.insecureSkipVerify) {
    if (mode === "SIMPLE" && (t.caCertificates || t.credentialName || t.subjectAltNames !== undefined))
      ctx.error(`${path}.insecureSkipVerify`, "cannot specify caCertificates, credentialName or subjectAltNames when insecureSkipVerify is true", "FieldMutuallyExclusive");
    if (mode === "MUTUAL" && (t.caCertificates || t.subjectAltNames !== undefined))
      ctx.error(`${path}.insecureSkipVerify`, "cannot specify caCertificates or subjectAltNames when insecureSkipVerify is true", "FieldMutuallyExclusive");
  }
  if ((mode === "SIMPLE" || mode === "MUTUAL") && t.credentialName) {
    if (t.clientCertificate || t.caCertificates || t.privateKey || t.caCrl)
      ctx.error(`${path}.credentialName`, "cannot specify clientCertificate, privateKey, caCertificates or caCrl when credentialName is set", "FieldMutuallyExclusive");
    return;
  }
  if (mode === "MUTUAL") {
    if (!t.clientCertificate) ctx.error(`${path}.clientCertificate`, "client certificate required for mutual tls (or set credentialName)", "FieldValueRequired");
    if (!t.privateKey) ctx.error(`${path}.privateKey`, "private key required for mutual tls (or set credentialName)", "FieldValueRequired");
  }
}
