/**
 * The rate-limit stage (DESIGN §2 step 6): the compiled table hydrated once per snapshot, and `check`
 * per request, which finds the rules that apply, takes from their counters and answers allowed (with
 * `X-RateLimit-*` values) or limited (429 `local_rate_limited`, `x-envoy-ratelimited: true`, flag `RL`).
 *
 * - local rules: per-isolate counters, synchronous, no I/O; the enforced ones are taken all or none;
 * - global rules: one RateLimiter Durable Object call per shard, all shards of a request in parallel
 *   behind one await (rules of one policy with the same key share a shard, so the usual request makes
 *   exactly one call); skipped when a local rule already limited the request;
 * - a failed or timed-out global call lets the request through (`failedOpen`), or answers 500 `RLSE`
 *   when the policy sets `failureModeDeny`;
 * - shadow policies count and report (`shadowLimited`, headers) but never limit.
 *
 * @example
 *   const limiter = buildRateLimiter(snapshot.policies.rateLimits as RateLimitTable,
 *     { local: isolateCounters, global: rateLimiterStore(env.RATE_LIMITER) });
 *   const outcome = await limiter.check({ host, path, method, headers, remoteIp, claims, routeName, virtualService });
 *   if (outcome.limited) return toResponse(outcome.reply);
 *   // ...forward, then add outcome.headers to the response
 */
import { stripPort } from "../../config/hosts.js";
import { withDeadline } from "../deadline.js";
import { localReply, type LocalReply } from "../local-reply.js";
import { compileAttachment, type AttachmentTest } from "./attachment.js";
import { shardName, type Background, type GlobalRateLimitStore, type GlobalTake, type GlobalTakeResult } from "./global-store.js";
import { compileKey, type KeyExtractor } from "./key.js";
import { takeAll, type AtomicTake } from "./limit.js";
import { LocalCounters } from "./local-counters.js";
import type { RateLimitRequest } from "./request.js";
import { compileMatches, type RequestPredicate } from "./request-match.js";
import { RegexCache } from "../../router/route-matcher.js";
import type { RateLimitPolicyEntry, RateLimitRuleEntry, RateLimitTable } from "../../config/compile/rate-limit-table.js";

export interface RateLimiterDeps {
  /** Per-isolate counters; share one instance across snapshot versions (default: a new one). */
  local?: LocalCounters;
  /** Global-mode counters (the RateLimiter Durable Object). Without it every global call fails. */
  global?: GlobalRateLimitStore;
}

/** What one applicable rule decided. */
export interface CheckOptions {
  /** Decide as if taking (local counters only), but take nothing and ask no RateLimiter (explain). */
  dryRun?: boolean;
  /** The request's `waitUntil`: lease renewals ahead run there, never awaited (lease-book.ts). */
  waitUntil?: Background;
}

export interface RuleDecision {
  /** `namespace/policy/rule` */
  rule: string;
  mode: "local" | "global";
  shadow: boolean;
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
}

interface OutcomeCommon {
  /** `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset` (seconds) of the tightest rule; absent when no rule applied. */
  headers?: Record<string, string>;
  /** Every rule that applied, in policy order. */
  decisions: RuleDecision[];
  /** Shadow rules that would have limited the request (`namespace/policy/rule`). */
  shadowLimited: string[];
  /** Global policies whose RateLimiter call failed and let the request through (`namespace/policy`). */
  failedOpen: string[];
  /** RateLimiter Durable Object calls made (all awaited together). */
  globalCalls: number;
}

export interface RateLimitAllowed extends OutcomeCommon {
  limited: false;
}

export interface RateLimitLimited extends OutcomeCommon {
  limited: true;
  /** 429 `local_rate_limited` (`RL`), or 500 (`RLSE`) when a failureModeDeny policy's call failed. */
  reply: LocalReply;
  /** The rule (`namespace/policy/rule`) or, for `RLSE`, the policy that decided. */
  by: string;
}

export type RateLimitOutcome = RateLimitAllowed | RateLimitLimited;

export interface RateLimiter {
  /** No policy attaches to anything: the stage can be skipped. */
  readonly empty: boolean;
  /** Some policy is global (a request may await the RateLimiter). */
  readonly hasGlobal: boolean;
  /** Synchronous when no global rule applies (local limits do no I/O and need no await). */
  check(req: RateLimitRequest, now?: number, opts?: CheckOptions): RateLimitOutcome | Promise<RateLimitOutcome>;
}

export const RATE_LIMITED_BODY = "local_rate_limited";
export const RATE_LIMITED_HEADER = "x-envoy-ratelimited";

interface HydratedRule {
  entry: RateLimitRuleEntry;
  match: RequestPredicate | undefined;
  key: KeyExtractor;
  /** `shardName(...)` up to the key: the shard is this + the request's key. */
  shardPrefix: string;
}

interface HydratedPolicy {
  entry: RateLimitPolicyEntry;
  id: string;
  attach: AttachmentTest;
  rules: HydratedRule[];
}

interface Applied {
  policy: HydratedPolicy;
  rule: HydratedRule;
  key: string;
}

/** Hydrates the table: matchers, key extractors and attachment tests compiled. Once per snapshot. */
export function buildRateLimiter(table: RateLimitTable | undefined, deps: RateLimiterDeps = {}): RateLimiter {
  const counters = deps.local ?? new LocalCounters();
  const policies: HydratedPolicy[] = [];
  const regexes = new RegexCache();
  for (const entry of table?.policies ?? []) {
    const attach = compileAttachment(entry.attach);
    if (!attach || entry.rules.length === 0) continue;
    policies.push({
      entry,
      id: `${entry.namespace}/${entry.name}`,
      attach,
      rules: entry.rules.map((r) => ({ entry: r, match: compileMatches(r.match, regexes), key: compileKey(r.key), shardPrefix: shardName(entry.namespace, entry.name, r.shard, "") })),
    });
  }
  const hasGlobal = policies.some((p) => p.entry.mode === "global");

  function check(req: RateLimitRequest, now = Date.now(), opts?: CheckOptions): RateLimitOutcome | Promise<RateLimitOutcome> {
    if (policies.length === 0) return nothingApplied();
    const host = stripPort(req.host);
    let local: Applied[] | undefined;
    let global: Applied[] | undefined;
    for (const policy of policies) {
      if (!policy.attach(req, host)) continue;
      for (const rule of policy.rules) {
        if (rule.match && !rule.match(req)) continue;
        const key = rule.key(req, host);
        if (key === undefined) continue;
        const applied = { policy, rule, key };
        if (policy.entry.mode === "global") (global ??= []).push(applied);
        else (local ??= []).push(applied);
      }
    }
    if (!local && !global) return nothingApplied();

    const decisions: RuleDecision[] = [];
    const dryRun = opts?.dryRun === true;
    const limitedLocally = local ? takeLocal(local, counters, now, decisions, dryRun) : false;
    if (!global || limitedLocally || dryRun) return decide(decisions, [], undefined, 0);
    return checkGlobal(global, decisions, opts?.waitUntil);
  }

  /** Synchronous when every shard answered from this isolate's lease (no I/O); else one await for all. */
  function checkGlobal(global: Applied[], decisions: RuleDecision[], background: Background | undefined): RateLimitOutcome | Promise<RateLimitOutcome> {
    const shards = groupByShard(global);
    const answers = shards.map((s) => callShard(deps.global, s, background));
    if (answers.some((a) => a instanceof Promise)) return Promise.all(answers).then((results) => settleGlobal(shards, results, decisions));
    return settleGlobal(shards, answers as (GlobalTakeResult[] | undefined)[], decisions);
  }

  function settleGlobal(shards: Shard[], results: (GlobalTakeResult[] | undefined)[], decisions: RuleDecision[]): RateLimitOutcome {
    const failedOpen: string[] = [];
    let failDeny: string | undefined;
    let globalCalls = 0;
    {
      // Answers from this isolate's lease (lease-book.ts) made no call.
      globalCalls = deps.global ? results.filter((r) => !r?.every((t) => t.local)).length : 0;
      shards.forEach((s, i) => {
        const r = results[i];
        const policy = s.policy.entry;
        if (r === undefined) {
          if (policy.failureModeDeny && !policy.shadow) failDeny ??= s.policy.id;
          else if (!failedOpen.includes(s.policy.id)) failedOpen.push(s.policy.id);
          return;
        }
        s.applied.forEach((a, j) => {
          const t = r[j]!;
          decisions.push({ rule: a.rule.entry.id, mode: "global", shadow: policy.shadow, allowed: t.allowed, limit: t.limit, remaining: t.remaining, resetMs: t.resetMs });
        });
      });
    }
    return decide(decisions, failedOpen, failDeny, globalCalls);
  }

  return { empty: policies.length === 0, hasGlobal, check };
}

/**
 * Local rules: enforced ones all or none (one isolate runs one request at a time between awaits, so
 * check-and-take here is atomic); each shadow rule on its own. True when an enforced rule limited.
 */
function takeLocal(applied: Applied[], counters: LocalCounters, now: number, out: RuleDecision[], dryRun: boolean): boolean {
  const item = (a: Applied) => ({ limit: a.rule.entry.limit, state: counters.get(a.rule.entry.id, a.key), cost: 1 });
  const enforced = applied.filter((a) => !a.policy.entry.shadow);
  const takes = new Map<Applied, AtomicTake>();
  takeAll(enforced.map(item), now).forEach((t, i) => takes.set(enforced[i]!, t));
  for (const a of applied) {
    const t = takes.get(a) ?? takeAll([item(a)], now)[0]!;
    if (t.commit && !dryRun) counters.set(a.rule.entry.id, a.key, t.state);
    out.push(localDecision(a, t));
  }
  return enforced.length > 0 && !takes.get(enforced[0]!)!.commit;
}

function localDecision(a: Applied, t: { allowed: boolean; limit: number; remaining: number; resetMs: number }): RuleDecision {
  return { rule: a.rule.entry.id, mode: "local", shadow: a.policy.entry.shadow, allowed: t.allowed, limit: t.limit, remaining: t.remaining, resetMs: t.resetMs };
}

interface Shard {
  name: string;
  key: string;
  policy: HydratedPolicy;
  applied: Applied[];
}

function groupByShard(applied: Applied[]): Shard[] {
  // The usual request: every global rule that applies shares one shard (one policy's rules, one key).
  const first = applied[0]!;
  if (applied.every((a) => a.rule.shardPrefix === first.rule.shardPrefix && a.key === first.key)) {
    return [{ name: first.rule.shardPrefix + first.key, key: first.key, policy: first.policy, applied }];
  }
  const shards = new Map<string, Shard>();
  for (const a of applied) {
    const name = a.rule.shardPrefix + a.key;
    let s = shards.get(name);
    if (!s) shards.set(name, (s = { name, key: a.key, policy: a.policy, applied: [] }));
    s.applied.push(a);
  }
  return [...shards.values()];
}

/** One shard's call; undefined when it failed, timed out or answered nonsense. */
function callShard(store: GlobalRateLimitStore | undefined, s: Shard, background: Background | undefined): GlobalTakeResult[] | undefined | Promise<GlobalTakeResult[] | undefined> {
  if (!store) return undefined;
  const takes: GlobalTake[] = s.applied.map((a) => ({ rule: a.rule.entry.id, limit: a.rule.entry.limit, cost: 1 }));
  const valid = (results: unknown) => (Array.isArray(results) && results.length === takes.length ? (results as GlobalTakeResult[]) : undefined);
  let answer: GlobalTakeResult[] | Promise<GlobalTakeResult[]>;
  try {
    answer = store.takeNow ? store.takeNow(s.name, s.key, takes, background) : store.take(s.name, s.key, takes, background);
  } catch {
    return undefined;
  }
  if (!(answer instanceof Promise)) return valid(answer);
  const call = answer;
  const timeout = s.policy.entry.timeoutMs;
  return (timeout === undefined ? call : withDeadline(timeout, () => call)).then(valid, () => undefined);
}

function nothingApplied(): RateLimitAllowed {
  return { limited: false, decisions: [], shadowLimited: [], failedOpen: [], globalCalls: 0 };
}

const NONE: RuleDecision[] = [];

function decide(decisions: RuleDecision[], failedOpen: string[], failDeny: string | undefined, globalCalls: number): RateLimitOutcome {
  // One pass over the decisions (a request has a few); arrays only for what is there.
  let enforced: RuleDecision[] = decisions;
  let denied: RuleDecision[] = NONE;
  let shadowLimited: string[] = [];
  if (decisions.some((d) => d.shadow || !d.allowed)) {
    enforced = decisions.filter((d) => !d.shadow);
    denied = enforced.filter((d) => !d.allowed);
    shadowLimited = decisions.filter((d) => d.shadow && !d.allowed).map((d) => d.rule);
  }
  const shown = tightest(denied.length ? denied : enforced.length ? enforced : decisions, denied.length > 0);
  const common: OutcomeCommon = { decisions, shadowLimited, failedOpen, globalCalls };
  if (shown) common.headers = rateLimitHeaders(shown);
  if (denied.length && shown) {
    return { ...common, limited: true, by: shown.rule, reply: localReply(429, RATE_LIMITED_BODY, "RL", "request_rate_limited", { ...common.headers, [RATE_LIMITED_HEADER]: "true" }) };
  }
  if (failDeny !== undefined) return { ...common, limited: true, by: failDeny, reply: localReply(500, "", "RLSE", "rate_limiter_error") };
  return { ...common, limited: false };
}

/**
 * The decision the headers describe: when limited, the rule that frees up last (the longest wait);
 * otherwise the one closest to its limit, as the RateLimit header draft asks.
 */
function tightest(ds: RuleDecision[], limited: boolean): RuleDecision | undefined {
  let best: RuleDecision | undefined;
  for (const d of ds) {
    if (!best) best = d;
    else if (limited ? d.resetMs > best.resetMs : d.remaining < best.remaining || (d.remaining === best.remaining && d.resetMs > best.resetMs)) best = d;
  }
  return best;
}

/** Envoy's `enable_x_ratelimit_headers: DRAFT_VERSION_03` values; reset in whole seconds, rounded up. */
export function rateLimitHeaders(d: Pick<RuleDecision, "limit" | "remaining" | "resetMs">): Record<string, string> {
  return {
    "x-ratelimit-limit": String(d.limit),
    "x-ratelimit-remaining": String(Math.max(0, d.remaining)),
    "x-ratelimit-reset": String(Math.ceil(d.resetMs / 1000)),
  };
}
