/**
 * The compiled rate-limit table: what `compileRateLimits` puts in `Snapshot.policies.rateLimits` and
 * `buildRateLimiter` hydrates. Plain JSON (config_dump prints it); names are the RateLimitPolicy's.
 */
import type { KeyPart, RateLimitMatch, RateLimitMode } from "../schemas/rate-limit-policy.js";


export interface RateLimitTable {
  /** Policies sorted by namespace and name. */
  policies: RateLimitPolicyEntry[];
}

export interface RateLimitPolicyEntry {
  namespace: string;
  name: string;
  mode: RateLimitMode;
  /** Evaluate, count and emit headers, never limit. */
  shadow: boolean;
  /** Global mode: a RateLimiter error denies (500 `RLSE`) instead of letting the request through. */
  failureModeDeny: boolean;
  /** Global mode: wait at most this long for the RateLimiter (absent: no limit). */
  timeoutMs?: number;
  attach: Attachment;
  rules: RateLimitRuleEntry[];
}

/**
 * Which requests a policy sees. Any one entry is enough; with `workload` false and every list empty
 * the policy attaches to nothing (the analyzer says why).
 */
export interface Attachment {
  /** No targetRefs or hosts, and the policy lives in the gateway's or the root namespace: every request. */
  workload: boolean;
  /** `targetRefs` Gateways that select this gateway workload: north-south requests their servers accept. */
  gateways: GatewayAttachment[];
  /** `targetRefs` VirtualServices: requests routed by them (one http route when `route` is set). */
  virtualServices: VirtualServiceAttachment[];
  /** `hosts`, resolved like VirtualService hosts (lower case, `*.` wildcards). */
  hosts: string[];
}

export interface GatewayAttachment {
  /** `namespace/name` */
  gateway: string;
  /** Servers (all, or the one `sectionName` names): port and host names (namespace part dropped). */
  servers: { port: number; hosts: string[] }[];
}

export interface VirtualServiceAttachment {
  /** `namespace/name` */
  virtualService: string;
  /** `sectionName`: an http route's `name`; its match blocks are named `<route>.<match name>` by Envoy. */
  route?: string;
}

export interface RateLimitRuleEntry {
  name: string;
  /** Counter identity: `namespace/policy/rule`. */
  id: string;
  /** Match blocks (ORed); absent: every request the policy sees. Header names lower case. */
  match?: RateLimitMatch[];
  /** Key parts, in order; empty: one counter for every request. Header names lower case. */
  key: KeyPart[];
  limit: Limit;
  /**
   * Global mode: the rule whose name the shard carries. Rules of one policy with the same key share a
   * shard (`rl:<ns>/<policy>:<shard>:<key>`), so a request reaches their counters in one call.
   */
  shard: string;
}

/** One rule's limit, whichever algorithm it uses (the per-isolate counters and the RateLimiter take from it). */
export type Limit = TokenBucketLimit | FixedWindowLimit;

export interface TokenBucketLimit {
  type: "tokenBucket";
  maxTokens: number;
  tokensPerFill: number;
  fillIntervalMs: number;
}

export interface FixedWindowLimit {
  type: "fixedWindow";
  requests: number;
  /** As written (`minute`), for config_dump and docs. */
  unit: string;
  windowMs: number;
}
