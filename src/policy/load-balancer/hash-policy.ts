/**
 * The hash key of a `consistentHash` load balancer (Istio translates it to an Envoy route hash policy):
 * `httpHeaderName`, `httpCookie` (generated when `ttl` is set and the cookie is absent),
 * `useSourceIp` or `httpQueryParameterName`. A request without the key gets no hash, and the balancer
 * then picks at random, as Envoy does.
 */
import type { HashPolicy } from "../../config/compile/load-balancer.js";
import { hash32 } from "./hash.js";

export { compileHashPolicy, type HashPolicy } from "../../config/compile/load-balancer.js";

/** The request parts a hash key may come from. */
export interface HashKeyContext {
  headers?: Headers;
  /** Parsed cookies; when absent they are read from the `cookie` header on demand. */
  cookies?: Readonly<Record<string, string>>;
  /** The downstream client address (trusted, e.g. `CF-Connecting-IP`). */
  sourceIp?: string;
  query?: URLSearchParams;
  /** Uniform in [0, 1): generated cookie values. */
  random: () => number;
}

export interface HashKey {
  /** 32-bit hash of the key; undefined when the request has no key. */
  hash?: number;
  /** A `Set-Cookie` value to add to the response (cookie generated because `ttl` is set). */
  setCookie?: string;
}

/**
 * @example hashKey({ kind: "header", name: "x-user" }, { headers, random }) // { hash: 2736482… } or {}
 */
export function hashKey(policy: HashPolicy, ctx: HashKeyContext): HashKey {
  switch (policy.kind) {
    case "header": {
      const v = ctx.headers?.get(policy.name);
      return v !== null && v !== undefined ? { hash: hash32(v) } : {};
    }
    case "sourceIp":
      return ctx.sourceIp ? { hash: hash32(ctx.sourceIp) } : {};
    case "query": {
      const v = ctx.query?.get(policy.name);
      return v !== null && v !== undefined ? { hash: hash32(v) } : {};
    }
    case "cookie": {
      const v = ctx.cookies ? ctx.cookies[policy.name] : cookieValue(ctx.headers, policy.name);
      if (v !== undefined && v !== "") return { hash: hash32(v) };
      if (policy.ttlSeconds === undefined) return {};
      const generated = hex32(ctx.random()) + hex32(ctx.random());
      return { hash: hash32(generated), setCookie: setCookieValue(policy, generated) };
    }
  }
}

/** Envoy's makeSetCookieValue: `name="value"; Max-Age=<ttl>; Path=<path>; <attributes>; HttpOnly`. */
export function setCookieValue(policy: Extract<HashPolicy, { kind: "cookie" }>, value: string): string {
  let out = `${policy.name}="${value}"`;
  if (policy.ttlSeconds !== undefined && policy.ttlSeconds > 0) out += `; Max-Age=${policy.ttlSeconds}`;
  if (policy.path) out += `; Path=${policy.path}`;
  for (const a of policy.attributes) out += a.value !== undefined && a.value !== "" ? `; ${a.name}=${a.value}` : `; ${a.name}`;
  return `${out}; HttpOnly`;
}

/** Envoy's parseCookieValue: the first `name=value` across Cookie headers, surrounding quotes removed. */
export function cookieValue(headers: Headers | undefined, name: string): string | undefined {
  const header = headers?.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const v = part.slice(eq + 1).trim();
    return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
  }
  return undefined;
}

function hex32(r: number): string {
  return (Math.floor(r * 0x1_0000_0000) >>> 0).toString(16).padStart(8, "0");
}
