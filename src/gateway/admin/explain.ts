/**
 * `POST /_mesh/explain`: the request chain run as a dry run (chain.ts) — the same filters, in the same
 * order, with the same request context as serving, each recording what it decided. Nothing leaves the
 * gateway: no upstream call, no mirror, no rate-limit debit (global limits are not asked), no external
 * authorization call unless `callExtAuthz` is set, no metrics or access log. The outcome is what
 * serving the request would answer: a local reply (status, flags, the stage that answered) or a
 * forward (the destination, endpoint and the destination stage's decision).
 */
import { meshOptions } from "../../config/mesh-options.js";
import { runChain } from "../chain/chain.js";
import { createRequestContext, type Caller, type DryRun } from "../chain/request-context.js";
import { parseRequestUrl } from "../chain/request-target.js";
import { storeAccess } from "../runtime/config-store-stub.js";
import { liveConfig } from "../runtime/live-config.js";

export interface ExplainInput {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Explain as an east-west call from a member with this identity (the mesh listener). */
  source?: { namespace: string; serviceAccount?: string };
  /** Ask the CUSTOM authorization provider for real (default: assumed to allow). */
  callExtAuthz?: boolean;
  /** `request.cf` as Cloudflare would set it (e.g. `tlsClientAuth` for a client certificate). */
  cf?: Record<string, unknown>;
}

export interface ExplainResult {
  version: number;
  request: { method: string; url: string; listener: "gateway" | "mesh" };
  /** `forward`: the request would reach an upstream; `reply`: the gateway (or a destination's policies) would answer. */
  outcome: "forward" | "reply";
  /** The status of the reply (forwards: the upstream decides). */
  status?: number;
  /** Envoy response flags, as the access log would show them (`-` for none). */
  flags: string;
  /** Envoy's `%RESPONSE_CODE_DETAILS%` as the access log would show it (`via_upstream` for forwards). */
  details: string;
  /** The stage that answered (`router` for forwards, redirects and direct responses). */
  stage: string;
  /** What each stage decided, in chain order. */
  stages: Record<string, unknown>;
  body?: string;
}

/** Chooses the explain random source: certain outcomes only (a fault below 100 % does not fire; weights show shares). */
const DRY_RUN_DRAW = () => 0.999999;

export async function explainRequest(env: Env, ctx: { waitUntil(p: Promise<unknown>): void }, input: ExplainInput): Promise<ExplainResult> {
  const waitUntil = (p: Promise<unknown>) => ctx.waitUntil(p);
  const live = await liveConfig(storeAccess(env, waitUntil));
  const method = input.method.toUpperCase();
  const init: RequestInit & { cf?: Record<string, unknown> } = { method, headers: input.headers };
  if (input.cf) init.cf = input.cf;
  const request = new Request(input.url, init);
  let caller: Caller = { kind: "edge" };
  if (input.source) {
    const { trustDomain } = meshOptions(env);
    caller = input.source.serviceAccount
      ? { kind: "mesh", namespace: input.source.namespace, serviceAccount: input.source.serviceAccount, principal: `${trustDomain}/ns/${input.source.namespace}/sa/${input.source.serviceAccount}` }
      : { kind: "mesh", namespace: input.source.namespace };
  }
  const dryRun: DryRun = { callExtAuthz: input.callExtAuthz === true, stages: {} };
  // The URL as the client sent it: its path is normalized by the chain, never by `new URL`.
  const rc = createRequestContext({ request, env, waitUntil, live, caller, target: parseRequestUrl(input.url), dryRun, random: DRY_RUN_DRAW });
  const { response, stage } = await runChain(rc);
  const flags = rc.flags.length ? rc.flags.join(",") : "-";
  const out: ExplainResult = {
    version: live.version,
    request: { method, url: input.url, listener: rc.listener },
    outcome: dryRun.forward ? "forward" : "reply",
    flags,
    details: rc.details ?? "-",
    stage,
    stages: dryRun.stages,
  };
  if (!dryRun.forward) {
    out.status = response.status;
    const body = await response.text();
    if (body) out.body = body;
  } else {
    await response.body?.cancel();
  }
  return out;
}
