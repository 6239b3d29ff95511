/**
 * One table, two enforcement points (DESIGN §2.1): every AuthorizationPolicy and RequestAuthentication
 * field, written once as a policy on the gateway (istio-system, `selector: {istio: ingressgateway}`)
 * and once as a policy of namespace `default` without a selector, which governs the destination
 * workload (a MESH_INTERNAL member in `default`). The same request is sent to both; where Istio's
 * attributes differ between the two proxies (the peer of the destination's sidecar is the gateway,
 * with its identity and namespace), the rows say so.
 */
import { exports } from "cloudflare:workers";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { applyYaml, deleteYaml } from "../helpers/admin.js";
import { gatewayYaml } from "../helpers/fixtures.js";

const ISSUER = "https://idp.ep.example";
let privateKey: CryptoKey;
let jwks: string;

const token = (claims: Record<string, unknown> = {}) =>
  new SignJWT({ sub: "alice", aud: "shop", azp: "web", groups: ["admin", "dev"], scope: "read write", ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "ep" })
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
    .sign(privateKey);

const registry = `
${gatewayYaml("ep", ["gw.ep.local", "dst.ep.local"])}---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ep-echo, namespace: default}
spec:
  hosts: [ep-echo.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: "binding:TEST_ECHO", labels: {app: ep-echo}, serviceAccount: ep-echo}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ep, namespace: default}
spec:
  hosts: [gw.ep.local, dst.ep.local]
  gateways: [ep]
  http: [{route: [{destination: {host: ep-echo.default.svc.cluster.local}}]}]
`;

type Point = "gateway" | "destination";
const HOST: Record<Point, string> = { gateway: "gw.ep.local", destination: "dst.ep.local" };
const PLACE: Record<Point, string> = {
  gateway: "namespace: istio-system}\nspec:\n  selector: {matchLabels: {istio: ingressgateway}}",
  destination: "namespace: default}\nspec:",
};

function policy(kind: "AuthorizationPolicy" | "RequestAuthentication", name: string, point: Point, body: string): string {
  const indented = body.trim().split("\n").map((l) => `  ${l}`).join("\n");
  return `apiVersion: security.istio.io/v1\nkind: ${kind}\nmetadata: {name: ${name}, ${PLACE[point]}\n${indented}\n`;
}

interface Req { path?: string; method?: string; headers?: Record<string, string>; token?: Record<string, unknown> }

async function send(point: Point, req: Req): Promise<Response> {
  const headers: Record<string, string> = { host: HOST[point], ...req.headers };
  if (req.token) headers.authorization = `Bearer ${await token(req.token)}`;
  return exports.default.fetch(`http://127.0.0.1:8787${req.path ?? "/x"}`, { method: req.method ?? "GET", headers });
}

/** An AuthorizationPolicy row: the policy body, requests and the status each point answers. */
interface AuthzRow { name: string; body: string; cases: { req: Req; gateway: number; destination?: number }[] }

const RA = `jwtRules: [{issuer: "${ISSUER}", jwks: '__JWKS__'}]`;
const allow = (rule: string) => `action: ALLOW\nrules:\n${rule}`;
const deny = (rule: string) => `action: DENY\nrules:\n${rule}`;

const authzRows: AuthzRow[] = [
  { name: "allow-nothing (ALLOW without rules)", body: "action: ALLOW", cases: [{ req: {}, gateway: 403 }] },
  { name: "to.operation.paths", body: allow(`- to: [{operation: {paths: ["/ok*"]}}]`), cases: [{ req: { path: "/ok/1" }, gateway: 200 }, { req: { path: "/no" }, gateway: 403 }] },
  { name: "to.operation.notPaths", body: deny(`- to: [{operation: {notPaths: ["/ok*"]}}]`), cases: [{ req: { path: "/ok" }, gateway: 200 }, { req: { path: "/no" }, gateway: 403 }] },
  { name: "paths with a template", body: allow(`- to: [{operation: {paths: ["/api/{*}/items"]}}]`), cases: [{ req: { path: "/api/v1/items" }, gateway: 200 }, { req: { path: "/api/v1/x/items" }, gateway: 403 }] },
  { name: "to.operation.methods", body: allow(`- to: [{operation: {methods: ["GET"]}}]`), cases: [{ req: {}, gateway: 200 }, { req: { method: "POST" }, gateway: 403 }] },
  { name: "to.operation.notMethods", body: deny(`- to: [{operation: {notMethods: ["GET"]}}]`), cases: [{ req: {}, gateway: 200 }, { req: { method: "DELETE" }, gateway: 403 }] },
  { name: "to.operation.hosts (the host as forwarded)", body: allow(`- to: [{operation: {hosts: ["*.ep.local"]}}]`), cases: [{ req: {}, gateway: 200 }] },
  { name: "to.operation.notHosts", body: deny(`- to: [{operation: {notHosts: ["gw.ep.local", "dst.ep.local"]}}]`), cases: [{ req: {}, gateway: 200 }] },
  // destination.port: the gateway listener (80) at the gateway, the workload port (8080) at the destination
  { name: "to.operation.ports", body: allow(`- to: [{operation: {ports: ["80"]}}]`), cases: [{ req: {}, gateway: 200, destination: 403 }] },
  { name: "to.operation.notPorts", body: deny(`- to: [{operation: {notPorts: ["8080"]}}]`), cases: [{ req: {}, gateway: 403, destination: 200 }] },
  { name: "when request.headers", body: deny(`- when: [{key: "request.headers[x-block]", values: ["yes"]}]`), cases: [{ req: { headers: { "x-block": "yes" } }, gateway: 403 }, { req: {}, gateway: 200 }] },
  { name: "when notValues", body: deny(`- when: [{key: "request.headers[x-token]", notValues: ["admin"]}]`), cases: [{ req: { headers: { "x-token": "admin" } }, gateway: 200 }, { req: { headers: { "x-token": "guest" } }, gateway: 403 }] },
  { name: "from.source.ipBlocks (the peer: the client at the gateway, the gateway at the destination)", body: allow(`- from: [{source: {ipBlocks: ["203.0.113.0/24"]}}]`), cases: [{ req: { headers: { "cf-connecting-ip": "203.0.113.7" } }, gateway: 200, destination: 403 }] },
  { name: "from.source.notIpBlocks", body: deny(`- from: [{source: {notIpBlocks: ["203.0.113.0/24"]}}]`), cases: [{ req: { headers: { "cf-connecting-ip": "198.51.100.1" } }, gateway: 403 }] },
  { name: "from.source.remoteIpBlocks (the original client at both)", body: deny(`- from: [{source: {remoteIpBlocks: ["198.51.100.0/24"]}}]`), cases: [{ req: { headers: { "cf-connecting-ip": "198.51.100.9" } }, gateway: 403 }, { req: { headers: { "cf-connecting-ip": "203.0.113.1" } }, gateway: 200 }] },
  { name: "from.source.notRemoteIpBlocks", body: allow(`- from: [{source: {notRemoteIpBlocks: ["198.51.100.0/24"]}}]`), cases: [{ req: { headers: { "cf-connecting-ip": "198.51.100.9" } }, gateway: 403 }] },
  // source.principal: none at the edge, the gateway's identity at the destination
  { name: "from.source.principals", body: allow(`- from: [{source: {principals: ["cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"]}}]`), cases: [{ req: {}, gateway: 403, destination: 200 }] },
  { name: "from.source.notPrincipals", body: deny(`- from: [{source: {notPrincipals: ["*"]}}]`), cases: [{ req: {}, gateway: 403, destination: 200 }] },
  { name: "from.source.namespaces", body: allow(`- from: [{source: {namespaces: ["istio-system"]}}]`), cases: [{ req: {}, gateway: 403, destination: 200 }] },
  { name: "from.source.notNamespaces", body: deny(`- from: [{source: {notNamespaces: ["istio-system"]}}]`), cases: [{ req: {}, gateway: 403, destination: 200 }] },
  { name: "when source.principal", body: deny(`- when: [{key: source.principal, values: ["cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"]}]`), cases: [{ req: {}, gateway: 200, destination: 403 }] },
  { name: "when destination.port", body: deny(`- when: [{key: destination.port, values: ["8080"]}]`), cases: [{ req: {}, gateway: 200, destination: 403 }] },
  { name: "when remote.ip", body: deny(`- when: [{key: remote.ip, values: ["198.51.100.0/24"]}]`), cases: [{ req: { headers: { "cf-connecting-ip": "198.51.100.3" } }, gateway: 403 }] },
  { name: "when request.headers with a prefix value", body: allow(`- when: [{key: "request.headers[user-agent]", values: ["curl/*"]}]`), cases: [{ req: { headers: { "user-agent": "curl/8.5" } }, gateway: 200 }, { req: { headers: { "user-agent": "wget" } }, gateway: 403 }] },
];

/** Rows that need a token: the RequestAuthentication sits at the same point as the policy. */
const jwtRows: AuthzRow[] = [
  { name: "from.source.requestPrincipals", body: allow(`- from: [{source: {requestPrincipals: ["${ISSUER}/alice"]}}]`), cases: [{ req: { token: {} }, gateway: 200 }, { req: { token: { sub: "bob" } }, gateway: 403 }, { req: {}, gateway: 403 }] },
  { name: "from.source.notRequestPrincipals", body: deny(`- from: [{source: {notRequestPrincipals: ["*"]}}]`), cases: [{ req: {}, gateway: 403 }, { req: { token: {} }, gateway: 200 }] },
  { name: "when request.auth.claims (list)", body: allow(`- when: [{key: "request.auth.claims[groups]", values: ["admin"]}]`), cases: [{ req: { token: {} }, gateway: 200 }, { req: { token: { groups: ["dev"] } }, gateway: 403 }] },
  { name: "when request.auth.claims (nested)", body: allow(`- when: [{key: "request.auth.claims[org][team]", values: ["core"]}]`), cases: [{ req: { token: { org: { team: "core" } } }, gateway: 200 }, { req: { token: { org: { team: "x" } } }, gateway: 403 }] },
  { name: "when request.auth.claims[scope] (space-delimited)", body: allow(`- when: [{key: "request.auth.claims[scope]", values: ["write"]}]`), cases: [{ req: { token: {} }, gateway: 200 }, { req: { token: { scope: "read" } }, gateway: 403 }] },
  { name: "when request.auth.audiences", body: allow(`- when: [{key: request.auth.audiences, values: ["shop"]}]`), cases: [{ req: { token: {} }, gateway: 200 }, { req: { token: { aud: "other" } }, gateway: 403 }] },
  { name: "when request.auth.presenter", body: allow(`- when: [{key: request.auth.presenter, values: ["web"]}]`), cases: [{ req: { token: {} }, gateway: 200 }, { req: { token: { azp: "cli" } }, gateway: 403 }] },
  { name: "when request.auth.principal", body: deny(`- when: [{key: request.auth.principal, values: ["${ISSUER}/mallory"]}]`), cases: [{ req: { token: { sub: "mallory" } }, gateway: 403 }, { req: { token: {} }, gateway: 200 }] },
];

beforeAll(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  privateKey = pair.privateKey as CryptoKey;
  jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "ep", alg: "ES256", use: "sig" }] });
  const res = await applyYaml(registry);
  expect(res.status, await res.clone().text()).toBe(200);
});

async function runRow(row: AuthzRow, point: Point, withJwt: boolean): Promise<void> {
  const name = `row-${Math.random().toString(36).slice(2, 10)}`;
  const docs = [policy("AuthorizationPolicy", name, point, row.body)];
  if (withJwt) docs.push(policy("RequestAuthentication", `${name}-jwt`, point, RA.replace("__JWKS__", jwks)));
  const yaml = docs.join("---\n");
  const applied = await applyYaml(yaml);
  expect(applied.status, await applied.clone().text()).toBe(200);
  try {
    for (const c of row.cases) {
      const expected = point === "destination" ? (c.destination ?? c.gateway) : c.gateway;
      const res = await send(point, c.req);
      const body = await res.text();
      expect(res.status, `${row.name} at the ${point}: ${JSON.stringify(c.req)} → ${body.slice(0, 80)}`).toBe(expected);
      if (expected === 403) expect(body).toBe("RBAC: access denied");
    }
  } finally {
    expect((await deleteYaml(yaml)).status).toBe(200);
  }
}

for (const point of ["gateway", "destination"] as const) {
  describe(`AuthorizationPolicy at the ${point}`, () => {
    it.each(authzRows.map((r) => [r.name, r] as const))("%s", async (_n, row) => runRow(row, point, false));
    it.each(jwtRows.map((r) => [r.name, r] as const))("%s", async (_n, row) => runRow(row, point, true));
  });

  describe(`RequestAuthentication at the ${point}`, () => {
    const withRa = async (rule: string, run: () => Promise<void>) => {
      const yaml = policy("RequestAuthentication", "ra-table", point, `jwtRules:\n- ${rule.replace("__JWKS__", jwks)}`);
      const applied = await applyYaml(yaml);
      expect(applied.status, await applied.clone().text()).toBe(200);
      try {
        await run();
      } finally {
        expect((await deleteYaml(yaml)).status).toBe(200);
      }
    };
    const seen = async (res: Response) => {
      expect(res.status).toBe(200);
      return ((await res.json()) as { headers: Record<string, string>; path: string });
    };

    it("a missing token passes; a bad one is 401 with Envoy's reason", async () => {
      await withRa(`{issuer: "${ISSUER}", jwks: '__JWKS__'}`, async () => {
        expect((await send(point, {})).status).toBe(200);
        const bad = await send(point, { headers: { authorization: "Bearer abc" } });
        expect(bad.status).toBe(401);
        expect(await bad.text()).toBe("Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections");
      });
    });

    it("audiences", async () => {
      await withRa(`{issuer: "${ISSUER}", jwks: '__JWKS__', audiences: [shop]}`, async () => {
        expect((await send(point, { token: {} })).status).toBe(200);
        expect((await send(point, { token: { aud: "other" } })).status).toBe(403);
      });
    });

    it("the token is removed unless forwardOriginalToken; outputClaimToHeaders and outputPayloadToHeader", async () => {
      await withRa(`{issuer: "${ISSUER}", jwks: '__JWKS__', outputClaimToHeaders: [{header: x-sub, claim: sub}], outputPayloadToHeader: x-payload}`, async () => {
        const s = await seen(await send(point, { token: {}, headers: { "x-sub": "forged" } }));
        expect(s.headers.authorization).toBeUndefined();
        expect(s.headers["x-sub"]).toBe("alice");
        expect(JSON.parse(atob(s.headers["x-payload"]!.replace(/-/g, "+").replace(/_/g, "/"))).sub).toBe("alice");
      });
      await withRa(`{issuer: "${ISSUER}", jwks: '__JWKS__', forwardOriginalToken: true}`, async () => {
        expect((await seen(await send(point, { token: {} }))).headers.authorization).toMatch(/^Bearer /);
      });
    });

    it("fromHeaders, fromParams and fromCookies", async () => {
      await withRa(`{issuer: "${ISSUER}", jwks: '__JWKS__', fromHeaders: [{name: x-jwt, prefix: "Token "}], fromParams: [tok], fromCookies: [session]}`, async () => {
        const t = await token();
        expect((await send(point, { headers: { "x-jwt": `Token ${t}` } })).status).toBe(200);
        expect((await send(point, { headers: { "x-jwt": "Token bad" } })).status).toBe(401);
        const viaParam = await seen(await send(point, { path: `/p?tok=${t}&keep=1` }));
        expect(viaParam.path).toBe("/p?keep=1");
        expect((await send(point, { headers: { cookie: `session=${t}` } })).status).toBe(200);
        expect((await send(point, { headers: { cookie: "session=bad" } })).status).toBe(401);
      });
    });
  });
}

describe("east-west: only the destination stage runs", () => {
  type MeshCaller = { fetch(req: Request): Promise<Response> };
  const member = (serviceAccount: string): MeshCaller =>
    (exports as unknown as { MeshEntrypoint(o: { props: object }): MeshCaller }).MeshEntrypoint({ props: { namespace: "default", serviceAccount } });

  it("a gateway policy does not apply to members calling each other; a destination policy does", async () => {
    const gatewayDeny = policy("AuthorizationPolicy", "ew-gw", "gateway", deny(`- to: [{operation: {paths: ["/x"]}}]`));
    expect((await applyYaml(gatewayDeny)).status).toBe(200);
    expect((await member("cart").fetch(new Request("http://ep-echo:8080/x"))).status).toBe(200);
    expect((await send("gateway", {})).status).toBe(403);
    expect((await deleteYaml(gatewayDeny)).status).toBe(200);

    const onlyCart = policy("AuthorizationPolicy", "ew-dst", "destination", allow(`- from: [{source: {principals: ["cluster.local/ns/default/sa/cart"]}}]`));
    expect((await applyYaml(onlyCart)).status).toBe(200);
    expect((await member("cart").fetch(new Request("http://ep-echo:8080/x"))).status).toBe(200);
    expect((await member("other").fetch(new Request("http://ep-echo:8080/x"))).status).toBe(403);
    expect((await deleteYaml(onlyCart)).status).toBe(200);
  });
});
