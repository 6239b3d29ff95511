/**
 * RequestAuthentication with a remote `jwksUri` on a loopback origin: keys fetched once and cached,
 * an endpoint that stalls or returns garbage fails only requests that carry a token.
 */
import { exports } from "cloudflare:workers";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { applyYaml } from "../helpers/admin.js";
import { gatewayYaml, loopbackOriginYaml } from "../helpers/fixtures.js";

const { echo, scripted } = inject("origins");
let privateKey: CryptoKey;

const sign = (iss: string) =>
  new SignJWT({ sub: "carol" }).setProtectedHeader({ alg: "ES256", kid: "remote" }).setIssuer(iss).setExpirationTime("10m").sign(privateKey);

const call = (host: string, headers: Record<string, string> = {}) =>
  exports.default.fetch("http://127.0.0.1:8787/x", { headers: { host, ...headers } });

describe("remote JWKS", () => {
  beforeAll(async () => {
    const pair = await generateKeyPair("ES256", { extractable: true });
    privateKey = pair.privateKey as CryptoKey;
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "remote", alg: "ES256" }] });
    await fetch(`http://127.0.0.1:${scripted}/__jwks`, { method: "PUT", body: jwks });
    const res = await applyYaml(`
${gatewayYaml("jwks", ["jwks.example.com"])}---
${loopbackOriginYaml("echo-jwks", "echo-jwks.internal", echo)}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: jwks, namespace: default}
spec:
  hosts: [jwks.example.com]
  gateways: [jwks]
  http: [{route: [{destination: {host: echo-jwks.internal}}]}]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: remote, namespace: istio-system}
spec:
  jwtRules:
  - issuer: https://good.example.com
    jwksUri: http://127.0.0.1:${scripted}/jwks.json
  - issuer: https://stalled.example.com
    jwksUri: http://127.0.0.1:${scripted}/slow/2000
    timeout: 200ms
  - issuer: https://garbage.example.com
    jwksUri: http://127.0.0.1:${scripted}/status/200
`);
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("verifies a token against keys fetched from jwksUri, and fetches them once", async () => {
    const before = Number(await (await fetch(`http://127.0.0.1:${scripted}/__jwks_fetches`)).text());
    for (let i = 0; i < 3; i++) {
      const res = await call("jwks.example.com", { authorization: `Bearer ${await sign("https://good.example.com")}` });
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
    const after = Number(await (await fetch(`http://127.0.0.1:${scripted}/__jwks_fetches`)).text());
    expect(after - before).toBeLessThanOrEqual(1);
  });

  it.each([["stalled", "https://stalled.example.com"], ["garbage", "https://garbage.example.com"]])(
    "answers 401 `Jwks remote fetch is failed` when the JWKS endpoint is %s",
    async (_name, iss) => {
      const res = await call("jwks.example.com", { authorization: `Bearer ${await sign(iss)}` });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe("Jwks remote fetch is failed");
    },
  );

  it("leaves requests without a token unaffected", async () => {
    const res = await call("jwks.example.com");
    expect(res.status).toBe(200);
    await res.body?.cancel();
  });
});
