/**
 * AuthorizationPolicy `action: CUSTOM` with an `envoyExtAuthzHttp` provider: the check Envoy's raw
 * HTTP ext_authz client makes, and what it does with the answer.
 *
 * The check request: the original method, `<service><pathPrefix><path>?<query>` (the normalized path),
 * no body, and these headers: `authorization`, the request headers matching
 * `includeRequestHeadersInCheck` (exact, `prefix*`, `*suffix`, case-insensitive), then
 * `includeAdditionalHeadersInCheck` (which override). The original `:authority` is the URL host for a
 * `binding:` service; for a URL service (whose host names the service) it is sent as
 * `x-forwarded-host`. Redirects are not followed: a 302 from the service goes to the client.
 *
 * The answer:
 * - 200 ⇒ allow; response headers matching `headersToUpstreamOnAllow` are set on the upstream request,
 *   headers named in `x-envoy-auth-headers-to-remove` are removed from it, and headers matching
 *   `headersToDownstreamOnAllow` are added to the client response.
 * - 5xx, a network error or the `timeout` (default 600 s) ⇒ error: `statusOnError` (403) with an
 *   empty body, or allow when `failOpen`.
 * - any other status ⇒ deny with that status and body, and the response headers matching
 *   `headersToDownstreamOnDeny` (plus `www-authenticate` and `location`), or all but `host` when the
 *   list is empty. Flag `UAEX` for denials and errors.
 *
 * @example
 *   const check = authz.custom(view);
 *   if (check.kind === "check") {
 *     const r = await checkExternalAuthz(view, { url: request.url, headers }, check.provider, { fetch, bindings: env });
 *     if (!r.allowed) return deniedResponse(r);
 *     applyUpstreamHeaders(headers, r);
 *   }
 */
import type { ExtAuthzHttpProvider } from "../../config/mesh-config.js";
import { withDeadline } from "../deadline.js";
import { localReply, toResponse, type LocalReply } from "../local-reply.js";
import type { AuthzRequestView } from "./request-view.js";

/** Something with `fetch`, as a Workers service binding is. */
export interface FetcherLike {
  fetch(request: Request): Promise<Response>;
}

export interface ExtAuthzDeps {
  /** Global fetch (URL services). */
  fetch(request: Request): Promise<Response>;
  /** Service bindings by name (`binding:<NAME>` services); usually the Worker's `env`. */
  bindings?: Record<string, unknown>;
}

export interface ExtAuthzAllow {
  allowed: true;
  /** `ext_authz_ok`, or `ext_authz_error` when allowed by `failOpen`. */
  details: "ext_authz_ok" | "ext_authz_error";
  failedOpen?: boolean;
  /** Set (overwrite) on the upstream request. */
  upstreamHeaders: [string, string][];
  /** Remove from the upstream request. */
  removeUpstreamHeaders: string[];
  /** Add to the response sent to the client. */
  downstreamHeaders: [string, string][];
}

export interface ExtAuthzDeny {
  allowed: false;
  details: "ext_authz_denied" | "ext_authz_error";
  /** Status, body and flag `UAEX`; `reply.headers` holds single-valued headers only. */
  reply: LocalReply;
  /** Every header for the client, repeated names (`set-cookie`) kept; prefer this over `reply.headers`. */
  headers: [string, string][];
}

export type ExtAuthzResult = ExtAuthzAllow | ExtAuthzDeny;

interface CompiledProvider {
  include: (name: string) => boolean;
  toUpstream: (name: string) => boolean;
  toDownstreamOnAllow: (name: string) => boolean;
  toDownstreamOnDeny: (name: string) => boolean;
}

/** A provider with its header lists compiled into matchers (once per snapshot, by the authorizer). */
export interface CompiledExtAuthzProvider extends ExtAuthzHttpProvider {
  readonly headerRules: CompiledProvider;
}

export function compileExtAuthzProvider(provider: ExtAuthzHttpProvider): CompiledExtAuthzProvider {
  const deny = provider.headersToDownstreamOnDeny;
  return {
    ...provider,
    headerRules: {
      include: headerNameMatcher([...provider.includeRequestHeadersInCheck, "authorization"]),
      toUpstream: headerNameMatcher(provider.headersToUpstreamOnAllow),
      toDownstreamOnAllow: headerNameMatcher(provider.headersToDownstreamOnAllow),
      toDownstreamOnDeny: deny.length ? headerNameMatcher([...deny, "www-authenticate", "location"]) : (n) => n !== "host",
    },
  };
}

/** Exact / `prefix*` / `*suffix`, case-insensitive (Istio sets ignore_case on these lists). */
export function headerNameMatcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  for (const raw of patterns) {
    const p = raw.toLowerCase();
    if (p.startsWith("*")) suffixes.push(p.slice(1));
    else if (p.endsWith("*")) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return (name) => {
    const n = name.toLowerCase();
    return exact.has(n) || prefixes.some((p) => n.startsWith(p)) || suffixes.some((s) => n.endsWith(s));
  };
}

/** Response headers that describe the check response's own body or connection, never copied. */
const FRAMING = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"]);
const REMOVE_HEADER = "x-envoy-auth-headers-to-remove";

/**
 * @param request the request being authorized: its URL gives the query string, its headers (as the
 *   gateway will forward them) the headers to include.
 */
export async function checkExternalAuthz(
  view: AuthzRequestView,
  request: { url: string; headers: Headers },
  provider: ExtAuthzHttpProvider | CompiledExtAuthzProvider,
  deps: ExtAuthzDeps,
): Promise<ExtAuthzResult> {
  const c = ("headerRules" in provider ? provider : compileExtAuthzProvider(provider)).headerRules;
  let check: Request;
  try {
    check = checkRequest(view, request, provider, c);
  } catch {
    // A request the check cannot even be built for (a method fetch refuses, an unusable Host) is
    // the client's doing, not the service's: refused even with failOpen, so it is no way around the check.
    return { allowed: false, details: "ext_authz_error", reply: localReply(provider.statusOnError, "", "UAEX", "ext_authz_error"), headers: [] };
  }
  let response: Response;
  try {
    const target = provider.service.kind === "binding" ? bindingOf(deps, provider.service.binding) : deps;
    response = await withDeadline(provider.timeoutMs, (signal) => target.fetch(new Request(check, { signal })));
  } catch {
    return failure(provider);
  }
  if (response.status >= 500) {
    response.body?.cancel().catch(() => {});
    return failure(provider);
  }

  if (response.status === 200) {
    response.body?.cancel().catch(() => {});
    const remove = (response.headers.get(REMOVE_HEADER) ?? "").split(",").map((h) => h.trim().toLowerCase()).filter((h) => h !== "" && h !== "host" && !h.startsWith(":"));
    const upstreamHeaders: [string, string][] = [];
    const downstreamHeaders: [string, string][] = [];
    for (const [name, value] of entries(response.headers)) {
      if (name === REMOVE_HEADER) continue;
      if (c.toUpstream(name)) upstreamHeaders.push([name, value]);
      if (c.toDownstreamOnAllow(name) && !FRAMING.has(name)) downstreamHeaders.push([name, value]);
    }
    return { allowed: true, details: "ext_authz_ok", upstreamHeaders, removeUpstreamHeaders: remove, downstreamHeaders };
  }

  const body = await response.text().catch(() => "");
  const headers: [string, string][] = [];
  for (const [name, value] of entries(response.headers)) {
    if (name === REMOVE_HEADER || FRAMING.has(name)) continue;
    if (c.toDownstreamOnDeny(name)) headers.push([name, value]);
  }
  const single: Record<string, string> = {};
  for (const [name, value] of headers) if (name !== "set-cookie") single[name] = single[name] === undefined ? value : `${single[name]}, ${value}`;
  return { allowed: false, details: "ext_authz_denied", reply: localReply(response.status, body, "UAEX", "ext_authz_denied", single), headers };
}

function failure(provider: ExtAuthzHttpProvider): ExtAuthzResult {
  if (provider.failOpen) return { allowed: true, details: "ext_authz_error", failedOpen: true, upstreamHeaders: [], removeUpstreamHeaders: [], downstreamHeaders: [] };
  return { allowed: false, details: "ext_authz_error", reply: localReply(provider.statusOnError, "", "UAEX", "ext_authz_error"), headers: [] };
}

function checkRequest(view: AuthzRequestView, request: { url: string; headers: Headers }, provider: ExtAuthzHttpProvider, c: CompiledProvider): Request {
  const search = new URL(request.url).search;
  const pathAndQuery = `${provider.pathPrefix}${view.path}${search}`;
  const headers = new Headers();
  for (const [name, value] of entries(request.headers)) {
    if (name === "content-length" || name === "host") continue;
    if (c.include(name)) headers.append(name, value);
  }
  let url: string;
  if (provider.service.kind === "binding") {
    url = `http://${view.host}${pathAndQuery}`;
  } else {
    url = `${provider.service.url}${pathAndQuery}`;
    headers.set("x-forwarded-host", view.host);
  }
  for (const [name, value] of Object.entries(provider.includeAdditionalHeadersInCheck)) headers.set(name, value);
  return new Request(url, { method: view.method, headers, redirect: "manual" });
}

function bindingOf(deps: ExtAuthzDeps, name: string): FetcherLike {
  const b = deps.bindings?.[name] as FetcherLike | undefined;
  if (!b || typeof b.fetch !== "function") throw new Error(`no service binding ${name}`);
  return b;
}

/** Header pairs with repeated `set-cookie` kept apart (Headers iteration joins other repeats). */
function entries(headers: Headers): [string, string][] {
  const out: [string, string][] = [];
  const cookies = typeof headers.getSetCookie === "function" ? headers.getSetCookie() : [];
  headers.forEach((value, name) => {
    if (name === "set-cookie" && cookies.length) return;
    out.push([name, value]);
  });
  for (const c of cookies) out.push(["set-cookie", c]);
  return out;
}

/** Sets/removes the upstream request headers an allowing check asked for. */
export function applyUpstreamHeaders(headers: Headers, result: ExtAuthzAllow): void {
  for (const name of result.removeUpstreamHeaders) headers.delete(name);
  for (const [name, value] of result.upstreamHeaders) headers.set(name, value);
}

/** The client response for a denying check, with repeated headers (`set-cookie`) intact. */
export function deniedReply(result: ExtAuthzDeny): LocalReply {
  const headerList = result.headers.some(([n]) => n.toLowerCase() === "content-type") ? result.headers : [...result.headers, ["content-type", "text/plain"] as [string, string]];
  return { status: result.reply.status, body: result.reply.body, flag: result.reply.flag, details: result.reply.details, headerList };
}

/** The denial as a Response (every header, repeated names kept). */
export function deniedResponse(result: ExtAuthzDeny): Response {
  return toResponse(deniedReply(result));
}
