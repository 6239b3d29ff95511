/**
 * Key extraction: one table of (key parts, request) → key, where undefined means "the rule does not
 * apply"; then properties: distinct part values never share a key, and keys stay bounded.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { KeyPart } from "../../../src/config/schemas/rate-limit-policy.js";
import { compileKey, maskAddress, MAX_KEY_LENGTH } from "../../../src/policy/ratelimit/key.js";
import { translateKeyPart } from "../../../src/config/compile/rate-limits.js";
import type { RateLimitRequest } from "../../../src/policy/ratelimit/request.js";

function req(over: Partial<RateLimitRequest> & { h?: Record<string, string> } = {}): RateLimitRequest {
  const { h, ...rest } = over;
  return { host: "bookinfo.example.com:8080", path: "/productpage?u=1", method: "GET", headers: new Headers(h), remoteIp: "203.0.113.7", ...rest };
}

const key = (parts: KeyPart[], r: RateLimitRequest) => compileKey(parts.map(translateKeyPart))(r, "bookinfo.example.com");

describe("key parts", () => {
  const rows: { name: string; parts: KeyPart[]; req: RateLimitRequest; key: string | undefined }[] = [
    { name: "no parts: one shared counter", parts: [], req: req(), key: "" },
    { name: "remote address", parts: [{ remoteAddress: {} }], req: req(), key: "203.0.113.7" },
    { name: "remote address missing shares one counter (no bypass)", parts: [{ remoteAddress: {} }], req: req({ remoteIp: undefined }), key: "" },
    { name: "IPv4 masked to /24", parts: [{ remoteAddress: { ipv4PrefixLength: 24 } }], req: req(), key: "203.0.113.0/24" },
    { name: "IPv6 masked to /64", parts: [{ remoteAddress: { ipv6PrefixLength: 64 } }], req: req({ remoteIp: "2001:db8:1:2:3:4:5:6" }), key: "2001:db8:1:2:0:0:0:0/64" },
    { name: "IPv6 mask leaves IPv4 whole", parts: [{ remoteAddress: { ipv6PrefixLength: 64 } }], req: req(), key: "203.0.113.7/32" },
    { name: "header", parts: [{ header: { name: "x-api-key" } }], req: req({ h: { "x-api-key": "k1" } }), key: "k1" },
    { name: "header name case-insensitive", parts: [{ header: { name: "X-Api-Key" } }], req: req({ h: { "x-api-key": "k1" } }), key: "k1" },
    { name: "header missing: rule does not apply", parts: [{ header: { name: "x-api-key" } }], req: req(), key: undefined },
    { name: "header missing with default", parts: [{ header: { name: "x-api-key", default: "anonymous" } }], req: req(), key: "anonymous" },
    { name: "header present but empty is a value", parts: [{ header: { name: "x-api-key", default: "anonymous" } }], req: req({ h: { "x-api-key": "" } }), key: "" },
    { name: "claim", parts: [{ claim: { name: "sub" } }], req: req({ claims: { sub: "alice" } }), key: "alice" },
    { name: "nested claim", parts: [{ claim: { name: "org.id" } }], req: req({ claims: { org: { id: 42 } } }), key: "42" },
    // One meaning for a claim name everywhere (src/config/claim-path.ts): dots reach into nested objects.
    { name: "a dotted name is a path, as in RequestAuthentication outputs", parts: [{ claim: { name: "org.id" } }], req: req({ claims: { "org.id": "x", org: { id: 42 } } }), key: "42" },
    { name: "list claim", parts: [{ claim: { name: "groups" } }], req: req({ claims: { groups: ["a", "b"] } }), key: "a,b" },
    { name: "boolean claim", parts: [{ claim: { name: "admin" } }], req: req({ claims: { admin: true } }), key: "true" },
    { name: "no token: rule does not apply", parts: [{ claim: { name: "sub" } }], req: req(), key: undefined },
    { name: "claim missing with default", parts: [{ claim: { name: "sub", default: "anonymous" } }], req: req({ claims: {} }), key: "anonymous" },
    { name: "null claim is missing", parts: [{ claim: { name: "sub" } }], req: req({ claims: { sub: null } }), key: undefined },
    { name: "path without query", parts: [{ path: {} }], req: req(), key: "/productpage" },
    { name: "method", parts: [{ method: {} }], req: req({ method: "POST" }), key: "POST" },
    { name: "host without port, lower case", parts: [{ host: {} }], req: req(), key: "bookinfo.example.com" },
    { name: "constant", parts: [{ constant: "all" }], req: req(), key: "all" },
    { name: "parts joined in order", parts: [{ method: {} }, { path: {} }, { remoteAddress: {} }], req: req(), key: "GET|/productpage|203.0.113.7" },
    { name: "separator in a value is escaped", parts: [{ header: { name: "a" } }, { header: { name: "b" } }], req: req({ h: { a: "x|y", b: "z%" } }), key: "x%7Cy|z%25" },
    { name: "one missing part: rule does not apply", parts: [{ method: {} }, { header: { name: "x-user" } }], req: req(), key: undefined },
  ];
  for (const row of rows) it(row.name, () => expect(key(row.parts, row.req)).toBe(row.key));

  it("long values are hashed to a bounded key", () => {
    const long = "k".repeat(10_000);
    const k = key([{ header: { name: "x" } }], req({ h: { x: long } }))!;
    expect(k.startsWith("#")).toBe(true);
    expect(k.length).toBe(33);
    expect(key([{ header: { name: "x" } }], req({ h: { x: long } }))).toBe(k);
    expect(key([{ header: { name: "x" } }], req({ h: { x: `${long}.` } }))).not.toBe(k);
  });

  it("maskAddress leaves unparseable addresses as sent", () => {
    expect(maskAddress("not-an-ip", 24, 64)).toBe("not-an-ip");
    expect(maskAddress("10.1.2.3", 0, 0)).toBe("0.0.0.0/0");
    expect(maskAddress("10.1.2.3", 20, 0)).toBe("10.1.0.0/20");
  });
});

describe("key properties", () => {
  const value = fc.string({ maxLength: 40 });
  it("different part values never share a key", () => {
    const parts: KeyPart[] = [{ header: { name: "a" } }, { header: { name: "b" } }];
    fc.assert(
      fc.property(value, value, value, value, (a1, b1, a2, b2) => {
        fc.pre(a1 !== a2 || b1 !== b2);
        // A plain getter: Headers would trim the values and merge some of them before the key sees them.
        const headers = (a: string, b: string) => ({ get: (n: string) => (n === "a" ? a : n === "b" ? b : null) });
        expect(key(parts, req({ headers: headers(a1, b1) }))).not.toBe(key(parts, req({ headers: headers(a2, b2) })));
      }),
      { numRuns: 500 },
    );
  });

  it("keys are at most MAX_KEY_LENGTH characters", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 400 }), { minLength: 1, maxLength: 4 }), (values) => {
        const parts: KeyPart[] = values.map((_, i) => ({ header: { name: `h${i}` } }));
        const h = Object.fromEntries(values.map((v, i) => [`h${i}`, v]));
        let headers: Headers;
        try {
          headers = new Headers(h);
        } catch {
          return; // not a valid header value
        }
        expect(key(parts, req({ headers }))!.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
      }),
      { numRuns: 200 },
    );
  });
});
