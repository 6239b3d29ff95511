/**
 * Field types shared by the networking.istio.io kinds (Gateway, VirtualService, DestinationRule,
 * ServiceEntry, WorkloadEntry), and the checks their webhook rules have in common: host names,
 * addresses, labels, exportTo, header names and values, durations, protocols.
 *
 * Check functions return why a value is invalid (a message naming the value) or undefined, so each
 * kind's rules decide the path the error is reported at.
 */
import { commandEnd } from "../header-value-syntax.js";
import { z } from "zod";
import { parseDuration } from "../duration.js";
import { joinPath } from "../loader.js";
import { HEADER_NAME } from "./common.js";
import type { RuleContext } from "./registry.js";

// ---- schema scalars ----

/** An integer in [min, max]; the message names the bad value. */
export function integer(min: number, max: number) {
  return z.number().superRefine((v, ctx) => {
    if (!Number.isInteger(v)) ctx.addIssue({ code: "custom", message: `expected an integer, got ${v}` });
    else if (v < min || v > max) ctx.addIssue({ code: "custom", message: `must be between ${min} and ${max}, got ${v}` });
  });
}

/** A number in [min, max]; the message names the bad value. */
export function numberIn(min: number, max: number) {
  return z.number().superRefine((v, ctx) => {
    if (!Number.isFinite(v) || v < min || v > max) ctx.addIssue({ code: "custom", message: `must be between ${min} and ${max}, got ${v}` });
  });
}

/** protobuf `uint32` (and `UInt32Value`, written bare in YAML). */
export const u32 = integer(0, 4294967295);
/** protobuf `int32`. */
export const i32 = integer(-2147483648, 2147483647);
/** protobuf `uint64` (ring sizes, table sizes): any non-negative safe integer. */
export const u64 = integer(0, Number.MAX_SAFE_INTEGER);
/** A TCP port number as the CRDs check it (`0 < port <= 65535`). */
export const portNumber = integer(1, 65535);

/** String→string map (labels, selectors, header ops). */
export const stringMap = z.record(z.string(), z.string());

/**
 * `Percent { value: double }`, 0–100. An empty `{}` is 0 % (the proto3 default), as in Istio, so
 * readers use `value ?? 0` — while an absent `Percent` field has its own default (100 % for mirrors).
 */
export const percent = z.strictObject({ value: numberIn(0, 100).optional() });
export type Percent = z.infer<typeof percent>;

/** `PortSelector { number }`. */
export const portSelector = z.strictObject({ number: u32.optional() });
export type PortSelector = z.infer<typeof portSelector>;

// ---- reporting ----

/** Appends a field or index to a path the way error paths print (`a.b`, `a[0]`, `a["x.y"]`); the loader's joinPath. */
export const sub = joinPath;

/** Which of `keys` are set (not undefined) on `obj`. */
export function setKeys<T extends object>(obj: T, keys: readonly (keyof T & string)[]): (keyof T & string)[] {
  return keys.filter((k) => obj[k] !== undefined);
}

/** Reports when more than one of `keys` is set (a protobuf oneof or a CRD `oneOf`). */
export function oneOf<T extends object>(obj: T, keys: readonly (keyof T & string)[], path: string, ctx: RuleContext): void {
  const set = setKeys(obj, keys);
  if (set.length > 1) ctx.error(sub(path, set[1]!), `only one of ${keys.join(", ")} may be set, got ${set.join(" and ")}`, "FieldMutuallyExclusive");
}

// ---- durations ----

/** Duration in milliseconds of a string already accepted by the schema (0 when unparseable). */
export function durationMs(d: string | undefined): number {
  return d === undefined ? 0 : (parseDuration(d) ?? 0);
}

/**
 * Istio's ValidateDuration: at least 1ms and a whole number of milliseconds (Envoy's timers are
 * millisecond-precise). The ≥1ms half is in the schema (`positiveDuration`); this is the other half.
 */
export function checkMsPrecision(d: string | undefined, path: string, ctx: RuleContext): void {
  if (d === undefined) return;
  const ms = parseDuration(d);
  if (ms === undefined) return;
  if (Math.abs(ms - Math.round(ms)) > 1e-6) ctx.error(path, `duration ${JSON.stringify(d)} is not a whole number of milliseconds: only durations to ms precision are supported`);
}

// ---- host names ----

const LABEL = "[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?";
const DNS_LABEL = new RegExp(`^${LABEL}$`);
/** `*`, or a label with a leading `*` / `*-`, or a plain label (Istio's IsWildcardDNS1123Label). */
const WILDCARD_LABEL = new RegExp(`^(\\*|(\\*|\\*-)?${LABEL})$`);

function dnsPreconditions(name: string): string | undefined {
  if (name.length === 0) return "empty domain name not allowed";
  if (name.length > 255) return `domain name ${JSON.stringify(name)} too long (max 255)`;
  return undefined;
}

/** Istio's ValidateDNS1123Labels: each label valid, trailing dot allowed, TLD not all-numeric. */
function dnsLabelsError(domain: string, whole: string): string | undefined {
  const parts = domain.split(".");
  const tld = parts[parts.length - 1] ?? "";
  if (/^[0-9]+$/.test(tld)) return `domain name ${JSON.stringify(whole)} invalid (top level domain ${JSON.stringify(tld)} cannot be all-numeric)`;
  for (const [i, label] of parts.entries()) {
    if (i === parts.length - 1 && label === "") return undefined;
    if (label.length > 63 || !DNS_LABEL.test(label)) return `domain name ${JSON.stringify(whole)} invalid (label ${JSON.stringify(label)} invalid)`;
  }
  return undefined;
}

/** Istio's ValidateFQDN (short names allowed, no wildcards). */
export function fqdnError(name: string): string | undefined {
  return dnsPreconditions(name) ?? dnsLabelsError(name, name);
}

/** Istio's ValidateWildcardDomain: a DNS name whose first label may be a wildcard (`*`, `*.example.com`). */
export function wildcardDomainError(domain: string): string | undefined {
  const pre = dnsPreconditions(domain);
  if (pre) return pre;
  const dot = domain.indexOf(".");
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (first.length > 63 || !WILDCARD_LABEL.test(first)) return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(first)} invalid)`;
  return dot < 0 ? undefined : dnsLabelsError(domain.slice(dot + 1), domain);
}


/** Istio's ValidatePartialWildCard: `*` alone or `*.` prefix only. */
export function partialWildcardError(host: string): string | undefined {
  if (host.includes("*") && host.length !== 1 && !host.startsWith("*.")) return `partial wildcard ${JSON.stringify(host)} not allowed`;
  return undefined;
}

/**
 * Istio host.Name.Matches: do two hosts overlap? Wildcards match by suffix (`*.com` overlaps
 * `*.foo.com` and `a.com`, `*` overlaps everything); otherwise equal strings.
 */
export function hostNamesOverlap(a: string, b: string): boolean {
  const aw = a.startsWith("*");
  const bw = b.startsWith("*");
  if (aw && bw) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/** Istio host.Name.SubsetOf: is every name `a` matches also matched by `b`? */
export function hostSubsetOf(a: string, b: string): boolean {
  const aw = a.startsWith("*");
  const bw = b.startsWith("*");
  if (aw) {
    if (!bw) return false;
    return a.slice(1).endsWith(b.slice(1));
  }
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

// ---- addresses ----

export function isIPv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

export function isIPv6(s: string): boolean {
  if (!s.includes(":")) return false;
  let head = s;
  const zone = s.indexOf("%");
  if (zone >= 0) {
    if (zone === s.length - 1) return false;
    head = s.slice(0, zone);
  }
  if (!/^[0-9A-Fa-f:.]+$/.test(head)) return false;
  const lastColon = head.lastIndexOf(":");
  const tail = head.slice(lastColon + 1);
  if (tail.includes(".")) {
    if (!isIPv4(tail)) return false;
    head = head.slice(0, lastColon + 1) + "0:0"; // an embedded IPv4 counts as two groups
  }
  const halves = head.split("::");
  if (halves.length > 2) return false;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const all = halves.flatMap(groups);
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? all.length <= 7 : all.length === 8;
}

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** `a.b.c.d/n` or `ipv6/n`. */
export function isCIDR(s: string): boolean {
  const i = s.indexOf("/");
  if (i < 0) return false;
  const ip = s.slice(0, i);
  const bits = s.slice(i + 1);
  if (!/^[0-9]{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  if (isIPv4(ip)) return n <= 32;
  if (isIPv6(ip) && !ip.includes("%")) return n <= 128;
  return false;
}

/** Istio's ValidateIPSubnet: a CIDR block or a single IP address. */
export function ipSubnetError(s: string): string | undefined {
  if (s.split("/").length === 2) return isCIDR(s) ? undefined : `${JSON.stringify(s)} is not a valid CIDR block`;
  return isIP(s) ? undefined : `${JSON.stringify(s)} is not a valid IP address or CIDR block`;
}

/**
 * Isthmus extension (DESIGN §3): `binding:NAME` names a service binding of the gateway Worker, i.e. a
 * mesh member, where Istio would take an IP address.
 */
export const BINDING_ADDRESS = /^binding:[A-Za-z_][A-Za-z0-9_]*$/;
export const BINDING_PREFIX = "binding:";
export const UNIX_PREFIX = "unix://";

export function isBindingAddress(address: string): boolean {
  return BINDING_ADDRESS.test(address);
}

/** Why a `unix://` address is invalid (the WorkloadEntry CRD and ValidateUnixAddress), or undefined. */
export function unixAddressError(address: string): string | undefined {
  const path = address.slice(UNIX_PREFIX.length);
  if (path === "") return `invalid unix address ${JSON.stringify(address)}: unix address must not be empty`;
  if (path[0] !== "/" && path[0] !== "@") return `invalid unix address ${JSON.stringify(address)}: UDS must be an absolute path or abstract socket`;
  if (path.endsWith("/")) return `invalid unix address ${JSON.stringify(address)}: UDS may not be a dir`;
  return undefined;
}

// ---- labels, names ----

const QUALIFIED_NAME = "(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY = new RegExp(`^(${LABEL}(?:\\.${LABEL})*/)?(${QUALIFIED_NAME})$`);
const LABEL_VALUE = new RegExp(`^(${QUALIFIED_NAME})?$`);

/** Kubernetes label key/value rules (Istio labels.Instance.Validate). Returns one message per bad entry. */
export function labelErrors(labels: Record<string, string> | undefined): Array<{ key: string; message: string }> {
  const out: Array<{ key: string; message: string }> = [];
  if (!labels) return out;
  for (const [k, v] of Object.entries(labels)) {
    const m = LABEL_KEY.exec(k);
    if (!m) out.push({ key: k, message: `invalid label key ${JSON.stringify(k)}` });
    else if (m[1] && m[1].length - 1 > 253) out.push({ key: k, message: `invalid label key ${JSON.stringify(k)} (DNS prefix is too long)` });
    else if ((m[2] ?? "").length > 63) out.push({ key: k, message: `invalid label key ${JSON.stringify(k)} (name is too long)` });
    if (v.length > 63 || !LABEL_VALUE.test(v)) out.push({ key: k, message: `invalid label value ${JSON.stringify(v)} for key ${JSON.stringify(k)}` });
  }
  return out;
}

/** Reports bad labels under `path` (`path["app"]`). */
export function checkLabels(labels: Record<string, string> | undefined, path: string, ctx: RuleContext): void {
  for (const e of labelErrors(labels)) ctx.error(sub(path, e.key), e.message);
}

/** Istio's labels.IsDNS1123Label (it allows upper case, unlike Kubernetes object names). */
export function isDNS1123Label(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
}

// ---- exportTo ----

/**
 * Istio's validateExportTo: entries are `.` (own namespace), `*` (everyone), `~` (no one; ServiceEntry
 * only) or a namespace; no duplicates (`.` counts as the own namespace); `*` and `~` stand alone.
 */
export function checkExportTo(
  exportTo: readonly string[] | undefined,
  path: string,
  ctx: RuleContext,
  opts: { serviceEntry?: boolean; destinationRuleWithSelector?: boolean } = {},
): void {
  if (!exportTo || exportTo.length === 0) return;
  const ns = ctx.metadata.namespace;
  const seen = new Set<string>();
  exportTo.forEach((e, i) => {
    const key = e === "." ? ns : e;
    if (seen.has(key)) {
      ctx.error(sub(path, i), key !== e ? `duplicate entries in exportTo: "." and current namespace ${JSON.stringify(ns)}` : `duplicate entry ${JSON.stringify(e)} in exportTo`, "Duplicate");
      return;
    }
    if (e === "~" && !opts.serviceEntry) {
      ctx.error(sub(path, i), `exportTo "~" (none) is not allowed for this kind`);
      return;
    }
    if (e !== "~" && e !== "*" && e !== "." && !isDNS1123Label(e)) {
      ctx.error(sub(path, i), `invalid exportTo entry ${JSON.stringify(e)}: only ".", "*", or a valid DNS 1123 label (a namespace) is allowed`);
      return;
    }
    seen.add(key);
  });
  if (opts.destinationRuleWithSelector && seen.size > 0) {
    if (!seen.has(ns)) ctx.error(path, `destination rule with workload selector cannot have exportTo beyond current namespace`);
    else if (seen.size > 1) ctx.error(path, `destination rule with workload selector cannot have multiple entries in exportTo`);
  }
  if (seen.has("*") && exportTo.length > 1) ctx.error(path, `cannot have both public (*) and non-public exportTo values for a resource`);
  if (seen.has("~") && exportTo.length > 1) ctx.error(path, `cannot export service entry to no one (~) and someone`);
}

// ---- gateways ----

/** Istio's validateGatewayNames: `namespace/name` (DNS-1123 labels) or a bare (or legacy dotted) name; `mesh` is reserved. */
export function gatewayNameError(name: string): string | undefined {
  const slash = name.indexOf("/");
  if (slash < 0) {
    const err = fqdnError(name);
    return err ? `invalid gateway ${JSON.stringify(name)}: ${err}` : undefined;
  }
  const ns = name.slice(0, slash);
  const gw = name.slice(slash + 1);
  if (ns === "" || gw === "") return `invalid gateway ${JSON.stringify(name)}: namespace and gateway name cannot be empty`;
  if (!isDNS1123Label(ns)) return `invalid gateway ${JSON.stringify(name)}: invalid value for namespace: ${JSON.stringify(ns)}`;
  if (!isDNS1123Label(gw)) return `invalid gateway ${JSON.stringify(name)}: invalid value for gateway name: ${JSON.stringify(gw)}`;
  return undefined;
}

// ---- headers ----

/**
 * A header value Envoy accepts: no control characters other than tab, and `%` either doubled (`%%`)
 * or opening a terminated `%VARIABLE%` / `%VARIABLE(args)%` expression.
 */
export function headerValueError(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000A-\u001F\u007F]/.test(value)) return `header value ${JSON.stringify(value)} contains control characters`;
  let i = 0;
  while (i < value.length) {
    if (value[i] !== "%") {
      i++;
      continue;
    }
    if (value[i + 1] === "%") {
      i += 2;
      continue;
    }
    if (i + 1 >= value.length) return `header value ${JSON.stringify(value)} has an un-escaped %: write %% for a literal %`;
    // A variable: `%NAME%` or `%NAME(args)%`; args may contain quoted strings with `)`.
    const j = commandEnd(value, i + 1);
    if (j < 0) return `header value ${JSON.stringify(value)} has an un-terminated variable expression: write %% for a literal %`;
    i = j + 1;
  }
  return undefined;
}


// ---- protocols ----

/** Istio protocol.Parse: the port protocols it recognises (case-insensitive). */
const KNOWN_PROTOCOLS = new Map<string, string>([
  ["tcp", "TCP"], ["udp", "UDP"], ["grpc", "GRPC"], ["grpc-web", "GRPC-Web"], ["http", "HTTP"], ["http_proxy", "HTTP_PROXY"],
  ["http2", "HTTP2"], ["https", "HTTPS"], ["tls", "TLS"], ["mongo", "Mongo"], ["redis", "Redis"], ["mysql", "MySQL"],
]);

/** The canonical protocol, or undefined when Istio does not know it. */
export function parseProtocol(p: string): string | undefined {
  return KNOWN_PROTOCOLS.get(p.toLowerCase());
}

export function isHTTPProtocol(p: string): boolean {
  const c = parseProtocol(p);
  return c === "HTTP" || c === "HTTP2" || c === "HTTP_PROXY" || c === "GRPC" || c === "GRPC-Web";
}

export function isTLSProtocol(p: string): boolean {
  const c = parseProtocol(p);
  return c === "HTTPS" || c === "TLS";
}

export const SUPPORTED_PROTOCOLS = "HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TCP, TLS, MONGO, REDIS, MYSQL, UDP";
