/**
 * Who is calling: the direct peer (`source.ip`, `ipBlocks`) and the original client (`remote.ip`,
 * `remoteIpBlocks`), as Envoy's HTTP connection manager decides them for an Istio gateway
 * (`use_remote_address: true`, `xff_num_trusted_hops` = meshConfig `gatewayTopology.numTrustedProxies`).
 *
 * - The direct peer is `CF-Connecting-IP`: Cloudflare sets it from the TCP connection and a client
 *   cannot forge it (locally, tests set it).
 * - Envoy appends the direct peer to `X-Forwarded-For`, then takes the client as the
 *   (trustedHops + 1)-th address from the right. Cloudflare already appends `CF-Connecting-IP` to
 *   X-Forwarded-For, so the peer is appended here only when the last entry is not already it.
 * - Entries left of the chosen one are whatever the client or untrusted proxies wrote; they are
 *   ignored. When X-Forwarded-For is too short, or the chosen entry is not an IP address, Envoy
 *   falls back to the direct peer, and so does this.
 *
 * @example
 *   // client 198.51.100.7 behind one trusted proxy 203.0.113.9, which connects to Cloudflare
 *   clientAddresses(new Headers({ "cf-connecting-ip": "203.0.113.9", "x-forwarded-for": "6.6.6.6, 198.51.100.7, 203.0.113.9" }), 1)
 *   // → { sourceIp: "203.0.113.9", remoteIp: "198.51.100.7" }
 */
import { parseIpAddress } from "../config/schemas/ip-block.js";

export interface ClientAddresses {
  /** The direct peer (`CF-Connecting-IP`), when it is a valid IP address. */
  sourceIp?: string;
  /** The original client by X-Forwarded-For and the trusted hops; the direct peer when 0 hops. */
  remoteIp?: string;
}

/** Header Cloudflare sets to the address of the connection it received. */
export const CONNECTING_IP_HEADER = "cf-connecting-ip";

/**
 * @param trustedHops proxies in front of the gateway that append to X-Forwarded-For (Istio
 *   `numTrustedProxies`, default 0: the client is the direct peer).
 */
export function clientAddresses(headers: { get(name: string): string | null }, trustedHops = 0): ClientAddresses {
  const sourceIp = validIp(headers.get(CONNECTING_IP_HEADER));
  const out: ClientAddresses = {};
  if (sourceIp !== undefined) out.sourceIp = sourceIp;
  const hops = Number.isInteger(trustedHops) && trustedHops > 0 ? trustedHops : 0;
  const remote = hops === 0 ? undefined : fromForwardedFor(headers.get("x-forwarded-for"), sourceIp, hops);
  const remoteIp = remote ?? sourceIp;
  if (remoteIp !== undefined) out.remoteIp = remoteIp;
  return out;
}

function fromForwardedFor(xff: string | null, peer: string | undefined, hops: number): string | undefined {
  if (!xff) return undefined;
  // The list as the peer sent it (Envoy reads XFF before appending the peer): drop Cloudflare's own
  // append of the peer. The first trusted hop is the peer itself, so the client is `hops` from the right.
  const entries = xff.split(",").map((e) => e.trim());
  if (peer !== undefined && entries[entries.length - 1] === peer) entries.pop();
  const index = entries.length - hops;
  return index >= 0 ? validIp(entries[index]) : undefined;
}

function validIp(text: string | null | undefined): string | undefined {
  if (text === null || text === undefined) return undefined;
  const t = text.trim();
  return t !== "" && parseIpAddress(t) ? t : undefined;
}
