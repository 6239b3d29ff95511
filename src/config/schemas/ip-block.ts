/**
 * IP addresses and CIDR blocks as AuthorizationPolicy writes them (`ipBlocks`, `remoteIpBlocks`,
 * `source.ip`/`remote.ip`/`destination.ip` conditions). Parsing follows Go's net/netip, which is what
 * Istio validates with: IPv4 octets without leading zeros, IPv6 with `::` and an optional embedded
 * IPv4 tail, a zone (`%eth0`) only on a bare address, prefix lengths without leading zeros.
 */

export interface IpBlock {
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
  /** Prefix length; 32 or 128 for a single address. */
  prefixLength: number;
}

const HEXTET = /^[0-9A-Fa-f]{1,4}$/;
const BITS = /^(0|[1-9][0-9]{0,2})$/;

/** Four decimal octets, 0–255, no leading zeros (one pass: it runs per request for client addresses). */
function parseIPv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let octet = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final "." closes the last octet
    if (c === 46) {
      if (digits === 0 || octet > 3) return undefined;
      out[octet++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return undefined; // leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return undefined;
    } else return undefined;
  }
  return octet === 4 ? out : undefined;
}

function parseIPv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (HEXTET.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && halves[0]!.includes(".")) return undefined;
  const n = head.length + tail.length;
  if (halves.length === 1 ? n !== 8 : n > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - n).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** A single address (IPv6 may carry a zone, which is ignored for matching). */
export function parseIpAddress(text: string): Uint8Array | undefined {
  if (text.includes(":")) {
    const pct = text.indexOf("%");
    if (pct === 0) return undefined;
    if (pct > 0 && pct === text.length - 1) return undefined; // empty zone
    return parseIPv6(pct > 0 ? text.slice(0, pct) : text);
  }
  return parseIPv4(text);
}

/** `203.0.113.4`, `203.0.113.0/24`, `2001:db8::/32`, ... or undefined when it is neither. */
export function parseIpBlock(text: string): IpBlock | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) {
    const bytes = parseIpAddress(text);
    return bytes && { bytes, prefixLength: bytes.length * 8 };
  }
  const addr = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  if (addr.includes("%")) return undefined;
  const bytes = parseIpAddress(addr);
  if (!bytes || !BITS.test(bits) || Number(bits) > bytes.length * 8) return undefined;
  return { bytes, prefixLength: Number(bits) };
}

/** Istio's wording for a bad entry: `bad CIDR range (...)` or `bad IP address (...)`. */
export function ipBlockError(text: string): string | undefined {
  if (parseIpBlock(text)) return undefined;
  return text.includes("/") ? `bad CIDR range ${JSON.stringify(text)}: expected an IP address with a prefix length, e.g. "203.0.113.0/24"` : `bad IP address ${JSON.stringify(text)}`;
}
