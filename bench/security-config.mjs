/**
 * Issue 4's benchmark config: what a production gateway typically adds to its routes — a
 * RequestAuthentication with ES256 tokens, ten mesh-wide AuthorizationPolicies, and a RateLimitPolicy —
 * all written so the bench request passes every one of them (it must be forwarded, or the figure
 * measures a 403 or 429, not the chain).
 *
 * The signing key is made fresh for each run with `jose` (in Node, before the load): its public JWK
 * goes inline in the RequestAuthentication's `jwks`, so no JWKS fetch is involved, and tokens are signed
 * with its private half. Cache-miss scenarios need a different token per request: they sign distinct
 * tokens (differing in `jti` only) with `sign`. No Node APIs here: bench/micro-worker.ts uses this module
 * inside workerd too.
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { BENCH_HOST, BENCH_NAMESPACE } from "./mesh-config.mjs";

export const BENCH_ISSUER = "https://issuer.bench.example.com";
export const BENCH_AUDIENCE = "bench";
export const BENCH_SUBJECT = "bench-user";
/** The client address the load claims (TEST-NET-3). The gateway reads `CF-Connecting-IP` as the client IP. */
export const BENCH_CLIENT_IP = "203.0.113.7";
const KID = "bench-es256";

/** Tokens stay valid for the whole run (and any sensible --reps/--seconds) with room to spare. */
const TOKEN_LIFETIME_SECONDS = 6 * 3600;

/**
 * A fresh ES256 key pair: `jwks` (text for the RequestAuthentication) and `sign(jti)` → a compact JWS
 * the gateway accepts (issuer, audience, subject and groups the policies below expect).
 */
export async function benchSigner() {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: "ES256", use: "sig" }] });
  const iat = Math.floor(Date.now() / 1000);
  const sign = (jti) =>
    new SignJWT({ groups: ["readers"], scope: "read" })
      .setProtectedHeader({ alg: "ES256", kid: KID, typ: "JWT" })
      .setIssuer(BENCH_ISSUER)
      .setSubject(BENCH_SUBJECT)
      .setAudience(BENCH_AUDIENCE)
      .setJti(String(jti))
      .setIssuedAt(iat)
      .setExpirationTime(iat + TOKEN_LIFETIME_SECONDS)
      .sign(privateKey);
  return { jwks, sign };
}

/**
 * The gateway's workload selector. Policies in the root namespace without one apply mesh-wide — to the
 * origin's destination stage too, where the stripped token makes `deny-anonymous` deny (as an Istio
 * sidecar would) — so every security resource here selects the ingress gateway, the usual pattern.
 */
const GATEWAY_SELECTOR = { matchLabels: { istio: "ingressgateway" } };

const policy = (name, spec) => ({
  apiVersion: "security.istio.io/v1",
  kind: "AuthorizationPolicy",
  metadata: { name, namespace: "istio-system" },
  spec: { selector: GATEWAY_SELECTOR, ...spec },
});

/**
 * Ten AuthorizationPolicies on the ingress gateway (istio-system, selector istio=ingressgateway), six DENY and four ALLOW, over
 * paths, methods, hosts, requestPrincipals, remoteIpBlocks and `when` conditions on claims, audiences
 * and headers. The bench request (GET /svc<i>/items/42 with a valid token from BENCH_CLIENT_IP) matches
 * no DENY rule — so all six are evaluated in full — and only the last ALLOW policy, so the ALLOW scan
 * does not stop early either.
 */
export function authorizationPolicies() {
  return [
    policy("deny-admin-paths", { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin*", "/internal/*", "*.php", "/.git*"] } }] }] }),
    policy("deny-writes", { action: "DENY", rules: [{ to: [{ operation: { methods: ["POST", "PUT", "PATCH", "DELETE"], paths: ["/svc*"] } }] }] }),
    policy("deny-anonymous", { action: "DENY", rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }] }] }),
    policy("deny-blocked-networks", { action: "DENY", rules: [{ from: [{ source: { remoteIpBlocks: ["198.51.100.0/24", "192.0.2.0/24", "2001:db8::/32"] } }] }] }),
    policy("deny-suspended", { action: "DENY", rules: [{ when: [{ key: "request.auth.claims[status]", values: ["suspended", "locked"] }] }] }),
    policy("deny-debug-header", { action: "DENY", rules: [{ when: [{ key: "request.headers[x-debug]", values: ["*"] }] }] }),
    policy("allow-health-from-office", { action: "ALLOW", rules: [{ from: [{ source: { remoteIpBlocks: ["10.0.0.0/8"] } }], to: [{ operation: { paths: ["/healthz"] } }] }] }),
    policy("allow-partners", { action: "ALLOW", rules: [{ from: [{ source: { requestPrincipals: ["https://partners.example.com/*"] } }] }] }),
    policy("allow-other-hosts", { action: "ALLOW", rules: [{ to: [{ operation: { hosts: ["api.example.com", "*.internal.example.com"] } }] }] }),
    policy("allow-readers", {
      action: "ALLOW",
      rules: [{
        from: [{ source: { requestPrincipals: [`${BENCH_ISSUER}/*`], notRemoteIpBlocks: ["198.51.100.0/24"] } }],
        to: [{ operation: { hosts: [BENCH_HOST], methods: ["GET", "HEAD"], paths: ["/svc*"] } }],
        when: [
          { key: "request.auth.audiences", values: [BENCH_AUDIENCE] },
          { key: "request.auth.claims[groups]", values: ["readers"] },
        ],
      }],
    }),
  ];
}

/** The RequestAuthentication: on the ingress gateway, ES256 key inline; the token is stripped before forwarding (Istio's default). */
export function requestAuthentication(jwks) {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "RequestAuthentication",
    metadata: { name: "bench-jwt", namespace: "istio-system" },
    spec: { selector: GATEWAY_SELECTOR, jwtRules: [{ issuer: BENCH_ISSUER, audiences: [BENCH_AUDIENCE], jwks }] },
  };
}

/**
 * A RateLimitPolicy on the bench Gateway whose limits the load never reaches (the bench runs at a few
 * thousand requests per second from one client): one token bucket per client IP and one fixed window per
 * JWT subject in `local` mode; in `global` mode both rules share the key (client IP), so they are taken
 * from one RateLimiter object in one call — the case the "at most one awaited call" target is about.
 */
export function rateLimitPolicy(mode) {
  const rules =
    mode === "global"
      ? [
          { name: "per-ip-burst", key: [{ remoteAddress: {} }], tokenBucket: { maxTokens: 1_000_000, tokensPerFill: 1_000_000, fillInterval: "1s" } },
          { name: "per-ip-hourly", key: [{ remoteAddress: {} }], fixedWindow: { requests: 1_000_000_000, unit: "hour" } },
        ]
      : [
          { name: "per-ip", key: [{ remoteAddress: {} }], tokenBucket: { maxTokens: 1_000_000, tokensPerFill: 1_000_000, fillInterval: "1s" } },
          { name: "per-user", key: [{ claim: { name: "sub", default: "anonymous" } }], fixedWindow: { requests: 1_000_000_000, unit: "hour" } },
        ];
  return {
    apiVersion: "policy.isthmus.dev/v1alpha1",
    kind: "RateLimitPolicy",
    metadata: { name: `bench-${mode}`, namespace: BENCH_NAMESPACE },
    spec: { targetRefs: [{ kind: "Gateway", name: "bench-gateway" }], mode, rules },
  };
}

/** The full chain of scenarios e and f: JWT, ten AuthorizationPolicies, a local rate limit. */
export function fullChainResources(jwks) {
  return [requestAuthentication(jwks), ...authorizationPolicies(), rateLimitPolicy("local")];
}

/** The gateway's identity as the origin's sidecar sees it (north-south: the gateway talks mTLS). */
export const GATEWAY_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";

/**
 * Ten AuthorizationPolicies attached to the origin workload (namespace `bench`, selector app=origin):
 * what its sidecar would enforce, run by the gateway's destination stage (issue 7) on the request as
 * forwarded. Six DENY, four ALLOW, written like the gateway's ten (paths, methods, principals,
 * namespaces, remote IPs, ports, headers); the forwarded bench request matches no DENY rule and only
 * the last ALLOW policy, so every rule is evaluated.
 */
export function destinationPolicies() {
  const p = (name, spec) => ({
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name, namespace: BENCH_NAMESPACE },
    spec: { selector: { matchLabels: { app: "origin" } }, ...spec },
  });
  return [
    p("origin-deny-admin-paths", { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin*", "/internal/*", "*.php", "/.git*"] } }] }] }),
    p("origin-deny-writes", { action: "DENY", rules: [{ to: [{ operation: { methods: ["POST", "PUT", "PATCH", "DELETE"], paths: ["/svc*"] } }] }] }),
    p("origin-deny-outsiders", { action: "DENY", rules: [{ from: [{ source: { notPrincipals: ["cluster.local/ns/istio-system/*", "cluster.local/ns/bench/*"] } }] }] }),
    p("origin-deny-blocked-networks", { action: "DENY", rules: [{ from: [{ source: { remoteIpBlocks: ["198.51.100.0/24", "192.0.2.0/24", "2001:db8::/32"] } }] }] }),
    p("origin-deny-debug-header", { action: "DENY", rules: [{ when: [{ key: "request.headers[x-debug]", values: ["*"] }] }] }),
    p("origin-deny-admin-port", { action: "DENY", rules: [{ to: [{ operation: { ports: ["9090", "15000"] } }] }] }),
    p("origin-allow-partners", { action: "ALLOW", rules: [{ from: [{ source: { principals: ["cluster.local/ns/partners/*"] } }] }] }),
    p("origin-allow-other-hosts", { action: "ALLOW", rules: [{ to: [{ operation: { hosts: ["api.example.com", "*.internal.example.com"] } }] }] }),
    p("origin-allow-monitoring", { action: "ALLOW", rules: [{ from: [{ source: { namespaces: ["monitoring"] } }], to: [{ operation: { paths: ["/metrics"] } }] }] }),
    p("origin-allow-gateway", {
      action: "ALLOW",
      rules: [{
        from: [{ source: { principals: [GATEWAY_PRINCIPAL], notRemoteIpBlocks: ["198.51.100.0/24"] } }],
        to: [{ operation: { hosts: [BENCH_HOST], methods: ["GET", "HEAD"], paths: ["/svc*"], ports: ["80"] } }],
      }],
    }),
  ];
}
