/**
 * Security through the gateway: RequestAuthentication with real ES256 tokens signed here,
 * AuthorizationPolicy DENY / ALLOW (and path tricks against them), claim-based routing,
 * PeerAuthentication STRICT for east-west callers.
 */
import { exports } from "cloudflare:workers";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { applyYaml } from "../helpers/admin.js";
import { gatewayYaml, loopbackOriginYaml, SPIFFE_CERT_DER } from "../helpers/fixtures.js";

const { echo } = inject("origins");
const ISSUER = "https://issuer.example.com";
let privateKey: CryptoKey;
let jwks: string;

const token = (claims: Record<string, unknown> = {}, opts: { exp?: number; alg?: string } = {}) =>
  new SignJWT({ sub: "alice", aud: "shop", groups: ["admin"], ...claims })
    .setProtectedHeader({ alg: opts.alg ?? "ES256", kid: "k1" })
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 600)
    .sign(privateKey);

const config = () => `
${gatewayYaml("sec", ["sec.example.com", "strict.example.com"])}---
${loopbackOriginYaml("echo-sec", "echo-sec.internal", echo)}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: sec, namespace: default}
spec:
  hosts: [sec.example.com]
  gateways: [sec]
  http:
  - name: admins
    match: [{uri: {prefix: /whoami}, headers: {"@request.auth.claims.groups": {exact: admin}}}]
    directResponse: {status: 200, body: {string: "admin route"}}
  - name: everyone
    route: [{destination: {host: echo-sec.internal}}]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: istio-system}
spec:
  jwtRules:
  - issuer: ${ISSUER}
    audiences: [shop]
    jwks: '${jwks}'
    outputClaimToHeaders: [{header: x-user, claim: sub}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: require-jwt-private, namespace: istio-system}
spec:
  action: DENY
  rules:
  - from: [{source: {notRequestPrincipals: ["*"]}}]
    to: [{operation: {paths: ["/private*"]}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-admin, namespace: istio-system}
spec:
  action: DENY
  rules:
  - to: [{operation: {paths: ["/admin*"]}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-ip, namespace: istio-system}
spec:
  action: DENY
  rules:
  - from: [{source: {remoteIpBlocks: ["198.51.100.0/24"]}}]
`;

const call = (path: string, headers: Record<string, string> = {}, host = "sec.example.com") =>
  exports.default.fetch(`http://127.0.0.1:8787${path}`, { headers: { host, ...headers } });

describe("security through the gateway", () => {
  beforeAll(async () => {
    const pair = await generateKeyPair("ES256", { extractable: true });
    privateKey = pair.privateKey as CryptoKey;
    jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" }] });
    const res = await applyYaml(config());
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("passes a request without a token, with no principal", async () => {
    const res = await call("/public");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { headers: Record<string, string> }).headers["x-user"]).toBeUndefined();
  });

  it("refuses a request without a token where a DENY needs a principal (403 RBAC)", async () => {
    const res = await call("/private");
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("RBAC: access denied");
  });

  it("admits a valid token, strips it, and outputs claims to headers", async () => {
    const res = await call("/private/x", { authorization: `Bearer ${await token()}`, "x-user": "forged" });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as { headers: Record<string, string> };
    expect(seen.headers["x-user"]).toBe("alice");
    expect(seen.headers.authorization).toBeUndefined();
  });

  it.each([
    ["an expired token", async () => token({}, { exp: Math.floor(Date.now() / 1000) - 120 }), "Jwt is expired"],
    ["an alg:none token", async () => `${btoa(JSON.stringify({ alg: "none" })).replace(/=/g, "")}.${btoa(JSON.stringify({ iss: ISSUER, sub: "x" })).replace(/=/g, "")}.`, undefined],
    ["a token from an unknown issuer", async () => new SignJWT({ sub: "x" }).setProtectedHeader({ alg: "ES256" }).setIssuer("https://other").sign(privateKey), "Jwt issuer is not configured"],
    ["a malformed token", async () => "abc.def", undefined],
  ])("answers 401 to %s", async (_name, make, body) => {
    const res = await call("/public", { authorization: `Bearer ${await make()}` });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm=".*", error="invalid_token"$/);
    if (body) expect(await res.text()).toBe(body);
  });

  it("routes on validated JWT claims", async () => {
    const res = await call("/whoami", { authorization: `Bearer ${await token()}` });
    expect(await res.text()).toBe("admin route");
    const other = await call("/whoami", { authorization: `Bearer ${await token({ groups: ["dev"] })}` });
    expect(other.status).toBe(200);
    expect(((await other.json()) as { path: string }).path).toBe("/whoami");
  });

  // Under Istio's default BASE normalization, dot segments and encoded dots are resolved before the
  // DENY rule sees the path; `//admin`, `%2F` and case are not (MERGE_SLASHES / DECODE_AND_MERGE_SLASHES
  // or positive ALLOW rules close those, see docs/authorization.md) — exactly as Istio behaves.
  it.each([
    ["/admin", 403],
    ["/admin/users", 403],
    ["/./admin", 403],
    ["/%2e/admin", 403],
    ["/x/%2e%2e/admin", 403],
    ["/public/../admin", 403],
    ["//admin", 200],
    ["/%2Fadmin", 200],
    ["/ADMIN", 200],
  ])("DENY /admin* under BASE normalization: %s → %i", async (path, status) => {
    const res = await call(path);
    expect(res.status).toBe(status);
    await res.body?.cancel();
  });

  it("never reinterprets `//host/path` as a host while a RequestAuthentication is active (no DENY bypass)", async () => {
    const res = await call("//x/admin?q='1'");
    expect(res.status).toBe(200);
    // The upstream sees the very path the DENY rule saw: not /admin.
    expect(((await res.json()) as { path: string }).path).toBe("//x/admin?q=%271%27"); // (the client's URL encoded the quotes)
  });

  it("denies by the client address from CF-Connecting-IP, ignoring spoofed X-Forwarded-For", async () => {
    expect((await call("/public", { "cf-connecting-ip": "198.51.100.9" })).status).toBe(403);
    const spoof = await call("/public", { "cf-connecting-ip": "203.0.113.1", "x-forwarded-for": "198.51.100.9" });
    expect(spoof.status).toBe(200);
    await spoof.body?.cancel();
  });
});

describe("PeerAuthentication STRICT for east-west callers", () => {
  type MeshCaller = { fetch(req: Request): Promise<Response> };
  const member = (props: object): MeshCaller =>
    (exports as unknown as { MeshEntrypoint(o: { props: object }): MeshCaller }).MeshEntrypoint({ props });

  beforeAll(async () => {
    const res = await applyYaml(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: strict-echo, namespace: default}
spec:
  hosts: [strict-echo.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: "binding:TEST_ECHO"}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec:
  mtls: {mode: STRICT}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: only-cart, namespace: istio-system}
spec:
  action: DENY
  rules:
  - from: [{source: {notPrincipals: ["cluster.local/ns/default/sa/cart"]}}]
    to: [{operation: {hosts: ["strict-echo*"]}}]
`);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("admits a member with a binding identity and checks source.principals", async () => {
    expect((await member({ namespace: "default", serviceAccount: "cart" }).fetch(new Request("http://strict-echo/x"))).status).toBe(200);
    expect((await member({ namespace: "default", serviceAccount: "other" }).fetch(new Request("http://strict-echo/x"))).status).toBe(403);
  });

  it("refuses a caller without identity under STRICT as a STRICT sidecar does: the connection is reset", async () => {
    const res = await member({}).fetch(new Request("http://strict-echo/x"));
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("upstream connect error or disconnect/reset before headers. reset reason: connection termination");
  });

  it("the edge is not locked out by a mesh-wide STRICT (PeerAuthentication governs sidecars, not gateway listeners)", async () => {
    const res = await exports.default.fetch("http://127.0.0.1:8787/ok", { headers: { host: "sec.example.com" } });
    expect(res.status).toBe(200);
  });
});

describe("edge client certificates: what the Gateway server's tls.mode asks for", () => {
  const CERT = `:${SPIFFE_CERT_DER}:`;
  const verified = { certPresented: "1", certVerified: "SUCCESS", certRevoked: "0", certSubjectDN: "CN=bar,O=cluster.local", certRFC9440: CERT };
  const call = (host: string, path: string, withCert: boolean) =>
    exports.default.fetch(`https://${host}${path}`, { headers: { host }, ...(withCert ? { cf: { tlsClientAuth: verified } } : {}) } as RequestInit);
  const server = (name: string, host: string, mode: string) =>
    `{port: {number: 443, name: ${name}, protocol: HTTPS}, hosts: [${host}], tls: {mode: ${mode}, credentialName: edge-cert}}`;

  beforeAll(async () => {
    const res = await applyYaml(`
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge-tls, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - ${server("https-mutual", "mutual.example.com", "MUTUAL")}
  - ${server("https-optional", "optional.example.com", "OPTIONAL_MUTUAL")}
  - ${server("https-simple", "simple.example.com", "SIMPLE")}
---
${loopbackOriginYaml("echo-edge-tls", "echo-edge-tls.internal", echo)}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge-tls, namespace: default}
spec:
  hosts: [mutual.example.com, optional.example.com, simple.example.com]
  gateways: [edge-tls]
  http: [{route: [{destination: {host: echo-edge-tls.internal}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: id-needs-principal, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  action: DENY
  rules:
  - from: [{source: {notPrincipals: ["cluster.local/ns/foo/sa/bar"]}}]
    to: [{operation: {paths: ["/id/*"]}}]
`);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("MUTUAL: no certificate is refused (403 NR filter_chain_not_found); a verified one is source.principal", async () => {
    const refused = await call("mutual.example.com", "/plain", false);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toBe("mTLS required: no verified peer identity");
    expect((await call("mutual.example.com", "/id/x", true)).status).toBe(200);
  });

  it("OPTIONAL_MUTUAL: a certificate is taken when sent, not required", async () => {
    expect((await call("optional.example.com", "/plain", false)).status).toBe(200);
    expect((await call("optional.example.com", "/id/x", false)).status).toBe(403);
    expect((await call("optional.example.com", "/id/x", true)).status).toBe(200);
  });

  it("SIMPLE: no client certificate is asked for, so a certificate Cloudflare verified gives no principal", async () => {
    expect((await call("simple.example.com", "/plain", true)).status).toBe(200);
    expect((await call("simple.example.com", "/id/x", true)).status).toBe(403);
  });
});
