/**
 * compileRequestAuthn: which RequestAuthentications apply to the gateway workload, and each jwtRule
 * with Istio's defaults. Rows of (resources, expected).
 */
import { describe, expect, it } from "vitest";
import type { Resource } from "../../../src/config/resource.js";
import type { RequestAuthenticationSpec } from "../../../src/config/schemas/request-authentication.js";
import { compileRequestAuthn } from "../../../src/config/compile/request-authentication.js";
import { ISSUER, JWKS_URI, MESH, ra, rule } from "./fixtures.js";

const one = (spec: RequestAuthenticationSpec, namespace = "istio-system") => [ra("r", spec, { namespace })];
const applies = (resources: Resource[]) => compileRequestAuthn(resources, MESH).rules.length > 0;

describe("scope: which RequestAuthentications reach the gateway", () => {
  const rows: [string, Resource[], boolean][] = [
    ["root namespace, no selector (mesh-wide)", one({ jwtRules: [rule()] }), true],
    ["gateway namespace, no selector", one({ jwtRules: [rule()] }, "istio-system"), true],
    ["another namespace", one({ jwtRules: [rule()] }, "default"), false],
    ["selector matching the gateway labels", one({ selector: { matchLabels: { istio: "ingressgateway" } }, jwtRules: [rule()] }), true],
    ["selector for another workload", one({ selector: { matchLabels: { app: "reviews" } }, jwtRules: [rule()] }), false],
    ["empty matchLabels selects all", one({ selector: { matchLabels: {} }, jwtRules: [rule()] }), true],
    // A classic gateway (no gateway.networking.k8s.io/gateway-name label) takes no targetRefs policy,
    // as pilot decides for AuthorizationPolicy too; a Gateway API gateway takes those naming it (below).
    ["targetRefs naming a Gateway, classic gateway", one({ targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "gw" }], jwtRules: [rule()] }), false],
    ["targetRefs naming a Service only", one({ targetRefs: [{ kind: "Service", name: "reviews" }], jwtRules: [rule()] }), false],
    ["no jwtRules", one({}), false],
  ];
  it.each(rows)("%s", (_n, resources, expected) => {
    expect(applies(resources)).toBe(expected);
  });

  it("a Gateway API gateway takes targetRef(s) naming its Gateway, in its own namespace", () => {
    const mesh = { gatewayLabels: { "gateway.networking.k8s.io/gateway-name": "gw" }, gatewayNamespace: "istio-system" };
    const ref = (name: string) => ({ group: "gateway.networking.k8s.io", kind: "Gateway", name });
    expect(compileRequestAuthn(one({ targetRefs: [ref("gw")], jwtRules: [rule()] }), mesh).rules).toHaveLength(1);
    expect(compileRequestAuthn(one({ targetRef: ref("gw"), jwtRules: [rule()] }), mesh).rules).toHaveLength(1);
    expect(compileRequestAuthn(one({ targetRefs: [ref("other")], jwtRules: [rule()] }), mesh).rules).toHaveLength(0);
  });

  it("a non-root gateway namespace takes its own namespace and the root namespace", () => {
    const mesh = { ...MESH, gatewayNamespace: "edge" };
    const t = compileRequestAuthn([ra("a", { jwtRules: [rule({ issuer: "a" })] }, { namespace: "edge" }), ra("b", { jwtRules: [rule({ issuer: "b" })] }, { namespace: "istio-system" }), ra("c", { jwtRules: [rule({ issuer: "c" })] }, { namespace: "default" })], mesh);
    expect(t.rules.map((r) => r.issuer)).toEqual(["a", "b"]);
  });

  it("ignores other kinds", () => {
    const vs = { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "v", namespace: "istio-system" }, spec: {} } as Resource;
    expect(compileRequestAuthn([vs], MESH)).toEqual({ rules: [] });
  });
});

describe("jwtRules translation", () => {
  it("fills Istio's defaults", () => {
    const [r] = compileRequestAuthn(one({ jwtRules: [rule()] }), MESH).rules;
    expect(r).toEqual({
      source: { namespace: "istio-system", name: "r", index: 0 },
      issuer: ISSUER,
      audiences: [],
      jwks: { kind: "uri", uri: JWKS_URI },
      timeoutMs: 5000,
      fromHeaders: [{ name: "authorization", prefix: "Bearer " }],
      fromParams: ["access_token"],
      fromCookies: [],
      defaultLocations: true,
      forwardOriginalToken: false,
      outputClaimToHeaders: [],
      spaceDelimitedClaims: ["permission", "scope"],
    });
  });

  const field = (jwtRule: ReturnType<typeof rule>) => compileRequestAuthn(one({ jwtRules: [jwtRule] }), MESH).rules[0]!;
  const rows: [string, ReturnType<typeof rule>, Record<string, unknown>][] = [
    ["jwks_uri alias", { issuer: ISSUER, jwks_uri: "https://k/jwks" }, { jwks: { kind: "uri", uri: "https://k/jwks" } }],
    ["inline jwks", { issuer: ISSUER, jwks: '{"keys":[]}' }, { jwks: { kind: "inline", jwks: '{"keys":[]}' } }],
    ["no jwksUri nor jwks: OIDC discovery", { issuer: ISSUER }, { jwks: { kind: "discovery", issuer: ISSUER } }],
    ["empty jwks: OIDC discovery", { issuer: ISSUER, jwks: "" }, { jwks: { kind: "discovery", issuer: ISSUER } }],
    ["timeout", rule({ timeout: "250ms" }), { timeoutMs: 250 }],
    ["timeout 1.5s", rule({ timeout: "1.5s" }), { timeoutMs: 1500 }],
    ["audiences", rule({ audiences: ["a", "b"] }), { audiences: ["a", "b"] }],
    ["fromHeaders replaces the defaults; names lower-cased", rule({ fromHeaders: [{ name: "X-Token" }, { name: "Authorization", prefix: "JWT " }] }), {
      fromHeaders: [{ name: "x-token", prefix: "" }, { name: "authorization", prefix: "JWT " }],
      fromParams: [],
      defaultLocations: false,
    }],
    ["fromParams only", rule({ fromParams: ["t"] }), { fromHeaders: [], fromParams: ["t"], defaultLocations: false }],
    ["fromCookies only", rule({ fromCookies: ["session"] }), { fromHeaders: [], fromParams: [], fromCookies: ["session"], defaultLocations: false }],
    ["forwardOriginalToken", rule({ forwardOriginalToken: true }), { forwardOriginalToken: true }],
    ["output headers lower-cased", rule({ outputPayloadToHeader: "X-Jwt-Payload", outputClaimToHeaders: [{ header: "X-Sub", claim: "sub" }] }), {
      outputPayloadToHeader: "x-jwt-payload",
      outputClaimToHeaders: [{ header: "x-sub", claim: "sub" }],
    }],
    ["spaceDelimitedClaims merged with scope/permission, deduplicated, sorted", rule({ spaceDelimitedClaims: ["roles", "scope"] }), { spaceDelimitedClaims: ["permission", "roles", "scope"] }],
  ];
  it.each(rows)("%s", (_n, jwtRule, expected) => {
    expect(field(jwtRule)).toMatchObject(expected);
  });
});

it("a rule without issuer (jwksUri only) has no issuer field", () => {
  const [r] = compileRequestAuthn(one({ jwtRules: [{ jwksUri: JWKS_URI }] }), MESH).rules;
  expect(r && "issuer" in r).toBe(false);
});

describe("ordering", () => {
  it("concatenates every policy's rules and sorts them by issuer (stable)", () => {
    const t = compileRequestAuthn(
      [
        ra("second", { jwtRules: [rule({ issuer: "https://b" }), rule({ issuer: "https://a", audiences: ["first-a"] })] }),
        ra("first", { jwtRules: [rule({ issuer: "https://a", audiences: ["second-a"] })] }),
      ],
      MESH,
    );
    expect(t.rules.map((r) => [r.issuer, r.source.name, r.audiences[0]])).toEqual([
      ["https://a", "second", "first-a"],
      ["https://a", "first", "second-a"],
      ["https://b", "second", undefined],
    ]);
  });

  it("is plain JSON", () => {
    const t = compileRequestAuthn(one({ jwtRules: [rule({ outputClaimToHeaders: [{ header: "x", claim: "a.b" }] })] }), MESH);
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });
});
