/**
 * `source.ip` / `remote.ip` from CF-Connecting-IP and X-Forwarded-For with N trusted hops (Envoy
 * xff_num_trusted_hops). Cloudflare appends CF-Connecting-IP to X-Forwarded-For; rows show both what
 * arrives through Cloudflare and spoofing attempts beyond the trusted hops.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientAddresses } from "../../../src/policy/client-ip.js";
import { ap, authorizer, view } from "./fixtures.js";

const rows: { name: string; cf?: string; xff?: string; hops: number; sourceIp?: string; remoteIp?: string }[] = [
  { name: "0 hops: the peer is the client", cf: "198.51.100.7", xff: "198.51.100.7", hops: 0, sourceIp: "198.51.100.7", remoteIp: "198.51.100.7" },
  { name: "0 hops: a spoofed XFF is ignored", cf: "198.51.100.7", xff: "10.0.0.1, 198.51.100.7", hops: 0, sourceIp: "198.51.100.7", remoteIp: "198.51.100.7" },
  { name: "1 hop: the address the trusted proxy appended", cf: "203.0.113.9", xff: "198.51.100.7, 203.0.113.9", hops: 1, sourceIp: "203.0.113.9", remoteIp: "198.51.100.7" },
  { name: "1 hop: spoofed entries left of it are ignored", cf: "203.0.113.9", xff: "10.0.0.1, 192.0.2.1, 198.51.100.7, 203.0.113.9", hops: 1, sourceIp: "203.0.113.9", remoteIp: "198.51.100.7" },
  { name: "1 hop: a client spoofing the peer's own address cannot shift the count", cf: "198.51.100.7", xff: "10.0.0.1, 198.51.100.7, 198.51.100.7", hops: 1, remoteIp: "198.51.100.7" },
  { name: "2 hops", cf: "203.0.113.9", xff: "6.6.6.6, 198.51.100.7, 192.0.2.50, 203.0.113.9", hops: 2, remoteIp: "198.51.100.7" },
  { name: "XFF without Cloudflare's append (local): the peer is appended", cf: "203.0.113.9", xff: "198.51.100.7", hops: 1, remoteIp: "198.51.100.7" },
  { name: "too few entries: falls back to the peer", cf: "203.0.113.9", xff: "203.0.113.9", hops: 1, remoteIp: "203.0.113.9" },
  { name: "too few entries for 3 hops", cf: "203.0.113.9", xff: "198.51.100.7, 203.0.113.9", hops: 3, remoteIp: "203.0.113.9" },
  { name: "chosen entry not an IP: falls back to the peer", cf: "203.0.113.9", xff: "unknown, 203.0.113.9", hops: 1, remoteIp: "203.0.113.9" },
  { name: "chosen entry with a port is not an IP", cf: "203.0.113.9", xff: "198.51.100.7:4711, 203.0.113.9", hops: 1, remoteIp: "203.0.113.9" },
  { name: "IPv6 entries", cf: "2001:db8::9", xff: "2001:db8:1::7, 2001:db8::9", hops: 1, sourceIp: "2001:db8::9", remoteIp: "2001:db8:1::7" },
  { name: "spaces around entries", cf: "203.0.113.9", xff: "  198.51.100.7 ,203.0.113.9 ", hops: 1, remoteIp: "198.51.100.7" },
  { name: "no XFF", cf: "203.0.113.9", hops: 1, remoteIp: "203.0.113.9" },
  { name: "no CF-Connecting-IP: the XFF list as sent", xff: "198.51.100.7, 203.0.113.9", hops: 1, sourceIp: undefined, remoteIp: "203.0.113.9" },
  { name: "garbage CF-Connecting-IP is no address", cf: "not-an-ip", hops: 0, sourceIp: undefined, remoteIp: undefined },
  { name: "negative hops count as 0", cf: "198.51.100.7", xff: "1.2.3.4, 198.51.100.7", hops: -1, remoteIp: "198.51.100.7" },
];

describe("clientAddresses", () => {
  for (const row of rows) {
    it(row.name, () => {
      const headers = new Headers();
      if (row.cf !== undefined) headers.set("cf-connecting-ip", row.cf);
      if (row.xff !== undefined) headers.set("x-forwarded-for", row.xff);
      const got = clientAddresses(headers, row.hops);
      if ("sourceIp" in row) expect(got.sourceIp).toBe(row.sourceIp);
      else expect(got.sourceIp).toBe(row.cf);
      expect(got.remoteIp).toBe(row.remoteIp);
    });
  }

  it("no prefix a client adds to X-Forwarded-For changes the result (through Cloudflare)", () => {
    const ip = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map((p) => p.join("."));
    fc.assert(
      fc.property(fc.array(fc.oneof(ip, fc.constantFrom("unknown", "", "::1", "2001:db8::1")), { maxLength: 6 }), ip, fc.array(ip, { maxLength: 3 }), (spoofed, peer, trusted) => {
        const hops = trusted.length;
        // trusted proxies each appended what they saw; the last one connects to Cloudflare, which appends it
        const chain = [...spoofed, "198.51.100.77", ...trusted.slice(0, -1), ...(hops ? [trusted[hops - 1]!] : [])];
        const cf = hops ? trusted[hops - 1]! : peer;
        const xff = [...(hops ? chain.slice(0, -1) : [...spoofed, cf]), cf].join(", ");
        const got = clientAddresses(new Headers({ "cf-connecting-ip": cf, "x-forwarded-for": xff }), hops);
        expect(got.remoteIp).toBe(hops ? "198.51.100.77" : cf);
      }),
    );
  });
});

describe("remoteIpBlocks with the computed address", () => {
  it("a spoofed X-Forwarded-For cannot get past a DENY on the real client", () => {
    const authz = authorizer([ap("deny-bad-net", { action: "DENY", rules: [{ from: [{ source: { remoteIpBlocks: ["198.51.100.0/24"] } }] }] })]);
    const headers = new Headers({ "cf-connecting-ip": "203.0.113.9", "x-forwarded-for": "192.0.2.1, 198.51.100.7, 203.0.113.9" });
    const addrs = clientAddresses(headers, 1);
    expect(authz.authorize(view(addrs)).allowed).toBe(false);
    const spoofOnly = clientAddresses(new Headers({ "cf-connecting-ip": "198.51.100.7", "x-forwarded-for": "192.0.2.1, 198.51.100.7" }), 0);
    expect(authz.authorize(view(spoofOnly)).allowed).toBe(false);
  });
});
