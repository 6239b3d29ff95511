/**
 * CIDR membership for `ipBlocks`, `remoteIpBlocks` and the `source.ip` / `remote.ip` /
 * `destination.ip` conditions, parsed once per snapshot with the admission parser (Go net/netip rules).
 * As in Envoy's CidrRange, an address only matches blocks of its own family: `::ffff:192.0.2.1` is an
 * IPv6 address and does not match `192.0.2.0/24`.
 */
import { parseIpAddress, parseIpBlock, type IpBlock } from "../../config/schemas/ip-block.js";

export function ipInBlock(address: Uint8Array, block: IpBlock): boolean {
  if (address.length !== block.bytes.length) return false;
  const full = block.prefixLength >> 3;
  for (let i = 0; i < full; i++) if (address[i] !== block.bytes[i]) return false;
  const rest = block.prefixLength & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[full]! ^ block.bytes[full]!) & mask) === 0;
}

/** A single block as a matcher on a parsed address, or undefined when `text` is not an IP or CIDR. */
export function compileIpBlock(text: string): ((address: Uint8Array | undefined) => boolean) | undefined {
  const block = parseIpBlock(text);
  return block && ((address) => address !== undefined && ipInBlock(address, block));
}

/** Parses a request-time address (zone ignored); undefined when absent or not an IP address. */
export function parseAddress(text: string | undefined): Uint8Array | undefined {
  return text === undefined ? undefined : parseIpAddress(text);
}
