/**
 * Rate-limit keys: which counter a request uses. A rule's `key` parts (remote address, header, claim,
 * path, method, host, constant) are read from the request and joined into one string, like the
 * descriptor entries Envoy's rate limit actions build. A part that cannot be read (a missing header or
 * claim without `default`) means the rule does not apply to the request, as in Envoy.
 *
 * Keys are bounded: a key longer than MAX_KEY_LENGTH is replaced by a 128-bit hash, so attacker-chosen
 * header values cannot make counters (or Durable Object names) arbitrarily large.
 */
import { parseIpAddress } from "../../config/schemas/ip-block.js";
import type { KeyPart } from "../../config/schemas/rate-limit-policy.js";
import { pathOnly, type RateLimitRequest } from "./request.js";
import { claimAt, dottedClaimPath } from "../../config/claim-path.js";

/** Longest key kept as written. */
export const MAX_KEY_LENGTH = 256;

/** Reads a rule's key from a request (`host` already lower case without port); undefined: the rule does not apply. */
export type KeyExtractor = (req: RateLimitRequest, host: string) => string | undefined;
type PartReader = (req: RateLimitRequest, host: string) => string | undefined;

/** Compiles key parts once per snapshot. */
export function compileKey(parts: readonly KeyPart[]): KeyExtractor {
  if (parts.length === 0) return () => "";
  const readers = parts.map(compilePart);
  if (readers.length === 1) {
    const only = readers[0]!;
    return (req, host) => {
      const v = only(req, host);
      return v === undefined ? undefined : bounded(escapePart(v));
    };
  }
  return (req, host) => {
    let out = "";
    for (let i = 0; i < readers.length; i++) {
      const v = readers[i]!(req, host);
      if (v === undefined) return undefined;
      out += (i === 0 ? "" : "|") + escapePart(v);
    }
    return bounded(out);
  };
}

function compilePart(part: KeyPart): PartReader {
  if (part.remoteAddress) {
    const v4 = part.remoteAddress.ipv4PrefixLength ?? 32;
    const v6 = part.remoteAddress.ipv6PrefixLength ?? 128;
    // A request without a client address (only possible off Cloudflare) shares one counter: no bypass.
    if (v4 === 32 && v6 === 128) return (req) => req.remoteIp ?? "";
    return (req) => maskAddress(req.remoteIp ?? "", v4, v6);
  }
  if (part.header) {
    const { name, default: fallback } = part.header;
    return (req) => req.headers.get(name) ?? fallback;
  }
  if (part.claim) {
    const { name, default: fallback } = part.claim;
    const path = dottedClaimPath(name);
    return (req) => claimValue(req.claims, path) ?? fallback;
  }
  if (part.path) return (req) => pathOnly(req.path);
  if (part.method) return (req) => req.method;
  if (part.host) return (_req, host) => host;
  const constant = part.constant ?? "";
  return () => constant;
}

/** A claim by its dotted name (`org.team` reaches into nested objects, as RequestAuthentication outputs do). */
export function claimValue(claims: Record<string, unknown> | undefined, path: readonly string[]): string | undefined {
  return claimString(claimAt(claims, path));
}

function claimString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(",");
  return JSON.stringify(v);
}

/** The address with the bits past the prefix cleared, as `addr/len`; an unparseable address as sent. */
export function maskAddress(ip: string, v4: number, v6: number): string {
  const bytes = parseIpAddress(ip);
  if (!bytes) return ip;
  const bits = bytes.length === 4 ? v4 : v6;
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  if (bytes.length === 4) return `${bytes.join(".")}/${bits}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `${groups.join(":")}/${bits}`;
}

const NEEDS_ESCAPE = /[%|]/;

/** `|` separates parts; escaping it (and `%`) keeps `a|b` + `c` apart from `a` + `b|c`. */
function escapePart(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replace(/%/g, "%25").replace(/\|/g, "%7C") : v;
}

function bounded(key: string): string {
  return key.length <= MAX_KEY_LENGTH ? key : `#${hashKey(key)}`;
}

/**
 * A 128-bit hash (four 32-bit multiply-xorshift lanes) of a long key. Not cryptographic: a collision
 * only merges two counters, and targeting someone's counter needs their key value, with which an
 * attacker could simply send it.
 */
export function hashKey(s: string): string {
  let h1 = 0x9e3779b9, h2 = 0x85ebca6b, h3 = 0xc2b2ae35, h4 = 0x27d4eb2f;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h3 = Math.imul(h3 ^ c, 0x2c1b3c6d);
    h4 = Math.imul(h4 ^ c, 0x297a2d39);
  }
  const fin = (h: number, m: number) => {
    h = Math.imul(h ^ (h >>> 16), m);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return ((h ^ (h >>> 16)) >>> 0).toString(16).padStart(8, "0");
  };
  return fin(h1 ^ s.length, 0x85ebca6b) + fin(h2, 0xcc9e2d51) + fin(h3, 0x1b873593) + fin(h4, 0xe6546b64);
}
