/**
 * explain is the chain run dry: for generated configs and requests, what explain says (reply or
 * forward, status, flags, the stage that answered) is what serving the same request does. Both runs use
 * one random source, so weighted picks and fault draws agree.
 */
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { runChain } from "../../src/gateway/chain/chain.js";
import { createRequestContext, type Caller, type DryRun } from "../../src/gateway/chain/request-context.js";
import { parseRequestUrl } from "../../src/gateway/chain/request-target.js";
import { configStore } from "../../src/gateway/runtime/config-store-stub.js";
import { liveConfig } from "../../src/gateway/runtime/live-config.js";
import { applyYaml } from "../helpers/admin.js";
import { gatewayYaml, loopbackOriginYaml } from "../helpers/fixtures.js";

const { echo } = inject("origins");
const HOST = "prop.example";

const PATHS = ["/", "/a", "/a/b", "/b", "/admin", "/%61dmin", "/a/../admin", "/c?x=1"] as const;
const METHODS = ["GET", "POST", "DELETE"] as const;

type Action =
  | { kind: "member" }
  | { kind: "origin" }
  | { kind: "direct"; status: number }
  | { kind: "redirect"; code: number }
  | { kind: "abort"; status: number }
  | { kind: "split" };

interface Rule { match: { kind: "prefix" | "exact"; path: string; method?: string; header?: string } | undefined; action: Action }
interface Config {
  rules: Rule[];
  gatewayDeny?: { path: string; method?: string };
  destination?: "allow-get" | "deny-post" | "allow-nothing" | "strict";
}

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.constant<Action>({ kind: "member" }),
  fc.constant<Action>({ kind: "origin" }),
  fc.constant<Action>({ kind: "split" }),
  fc.constantFrom(200, 204, 418, 503).map((status): Action => ({ kind: "direct", status })),
  fc.constantFrom(301, 302, 308).map((code): Action => ({ kind: "redirect", code })),
  fc.constantFrom(400, 503).map((status): Action => ({ kind: "abort", status })),
);
const match = fc.option(fc.record({
  kind: fc.constantFrom("prefix" as const, "exact" as const),
  path: fc.constantFrom("/a", "/admin", "/b", "/c"),
  method: fc.option(fc.constantFrom(...METHODS), { nil: undefined }),
  header: fc.option(fc.constantFrom("1", "2"), { nil: undefined }),
}), { nil: undefined });
const config: fc.Arbitrary<Config> = fc.record({
  rules: fc.array(fc.record({ match, action }), { minLength: 1, maxLength: 4 }),
  gatewayDeny: fc.option(fc.record({ path: fc.constantFrom("/admin*", "/b*"), method: fc.option(fc.constantFrom(...METHODS), { nil: undefined }) }), { nil: undefined }),
  destination: fc.option(fc.constantFrom("allow-get" as const, "deny-post" as const, "allow-nothing" as const, "strict" as const), { nil: undefined }),
});
const request = fc.record({
  method: fc.constantFrom(...METHODS),
  path: fc.constantFrom(...PATHS),
  header: fc.option(fc.constantFrom("1", "2"), { nil: undefined }),
  caller: fc.constantFrom("edge" as const, "member" as const, "anonymous-member" as const),
});

function yamlOf(c: Config): string {
  const http = c.rules.map((r, i) => {
    const m = r.match
      ? `    match: [{uri: {${r.match.kind}: "${r.match.path}"}${r.match.method ? `, method: {exact: ${r.match.method}}` : ""}${r.match.header ? `, headers: {x-a: {exact: "${r.match.header}"}}` : ""}}]\n`
      : "";
    const a = r.action;
    const body =
      a.kind === "member" ? "    route: [{destination: {host: prop-member.prop.svc.cluster.local}}]"
      : a.kind === "origin" ? "    route: [{destination: {host: prop-origin.internal}}]"
      : a.kind === "split" ? "    route: [{destination: {host: prop-member.prop.svc.cluster.local}, weight: 60}, {destination: {host: prop-origin.internal}, weight: 40}]"
      : a.kind === "direct" ? `    directResponse: {status: ${a.status}, body: {string: "direct ${a.status}"}}`
      : a.kind === "redirect" ? `    redirect: {uri: /moved, redirectCode: ${a.code}}`
      : `    fault: {abort: {httpStatus: ${a.status}, percentage: {value: 100}}}\n    route: [{destination: {host: prop-member.prop.svc.cluster.local}}]`;
    return `  - name: r${i}\n${m}${body}`;
  }).join("\n");
  const docs = [
    gatewayYaml("prop", [HOST]),
    loopbackOriginYaml("prop-origin", "prop-origin.internal", echo),
    `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: prop-member, namespace: prop}
spec:
  hosts: [prop-member.prop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: "binding:TEST_ECHO", labels: {app: prop-member}}]`,
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: prop, namespace: prop}
spec:
  hosts: [${HOST}, prop-member.prop.svc.cluster.local]
  gateways: [default/prop, mesh]
  http:
${http}`,
  ];
  if (c.gatewayDeny) docs.push(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: prop-gw, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  action: DENY
  rules: [{to: [{operation: {paths: ["${c.gatewayDeny.path}"]${c.gatewayDeny.method ? `, methods: [${c.gatewayDeny.method}]` : ""}}}]}]`);
  const dst = c.destination;
  if (dst === "strict") docs.push(`apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: prop}
spec: {mtls: {mode: STRICT}}`);
  else if (dst) docs.push(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: prop-dst, namespace: prop}
spec:
${dst === "allow-nothing" ? "  action: ALLOW" : dst === "allow-get" ? "  action: ALLOW\n  rules: [{to: [{operation: {methods: [GET]}}]}]" : "  action: DENY\n  rules: [{to: [{operation: {methods: [POST]}}]}]"}`);
  return docs.join("\n---\n");
}

/** Removes what the previous config had and the next one lacks (policies are optional). */
const CLEAR = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: prop-gw, namespace: istio-system}
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: prop-dst, namespace: prop}
spec: {}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: prop}
spec: {}`;

const DRAW = () => 0.999999;
/** The response-code details these configs can produce (Envoy's names). */
const DETAILS = /^(via_upstream|direct_response|route_not_found|fault_filter_abort|rbac_access_denied_matched_policy\[(none|ns\[[a-z-]+\]-policy\[[a-z-]+\]-rule\[\d+\])\]|upstream_reset_before_response_started\{connection_termination\})$/;

type Req = typeof request extends fc.Arbitrary<infer T> ? T : never;

async function run(req: Req, dryRun: DryRun | undefined) {
  const live = await liveConfig({ env, store: () => configStore(env), waitUntil: () => undefined });
  const url = req.caller === "edge" ? `http://${HOST}${req.path}` : `http://prop-member.prop.svc.cluster.local${req.path}`;
  const caller: Caller = req.caller === "edge" ? { kind: "edge" }
    : req.caller === "member" ? { kind: "mesh", namespace: "prop", serviceAccount: "client", principal: "cluster.local/ns/prop/sa/client" }
    : { kind: "mesh", namespace: "prop" };
  const headers: Record<string, string> = { host: req.caller === "edge" ? HOST : "prop-member.prop.svc.cluster.local" };
  if (req.header) headers["x-a"] = req.header;
  const request = new Request(url, { method: req.method, headers, body: req.method === "GET" ? null : "payload" });
  const rc = createRequestContext({ request, env, waitUntil: () => undefined, live, caller, target: parseRequestUrl(url), dryRun, random: DRAW });
  const { response, stage } = await runChain(rc);
  const fromUpstream = response.headers.has("x-echo-member") || response.headers.has("x-origin");
  await response.body?.cancel();
  return { status: response.status, flags: rc.flags.join(","), details: rc.details, stage, fromUpstream };
}

describe("explain agrees with serving", () => {
  it("outcome, status, flags and answering stage, for generated configs and requests", async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.array(request, { minLength: 1, maxLength: 6 }), async (c, requests) => {
        const cleared = await applyYaml(CLEAR.replace(/spec: \{\}/g, "spec: {selector: {matchLabels: {none: none}}}"));
        expect(cleared.status, await cleared.clone().text()).toBe(200);
        const applied = await applyYaml(yamlOf(c));
        expect(applied.status, await applied.clone().text()).toBe(200);
        for (const req of requests) {
          const dryRun: DryRun = { callExtAuthz: false, stages: {} };
          const explained = await run(req, dryRun);
          const served = await run(req, undefined);
          const what = `${JSON.stringify(req)} under ${yamlOf(c)}`;
          expect(served.flags, what).toBe(explained.flags);
          expect(served.stage, what).toBe(explained.stage);
          expect(served.details, what).toBe(explained.details);
          expect(served.details, what).toMatch(DETAILS);
          if (dryRun.forward) expect(served.fromUpstream, what).toBe(true);
          else {
            expect(served.fromUpstream, what).toBe(false);
            expect(served.status, what).toBe(explained.status);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it("through the admin API too (POST /_mesh/explain is the same dry run)", async () => {
    // A config of its own: the property above leaves whatever it generated last (maybe a catch-all route).
    const only: Config = { rules: [{ match: { kind: "exact", path: "/a" }, action: { kind: "member" } }] };
    expect((await applyYaml(CLEAR.replace(/spec: \{\}/g, "spec: {selector: {matchLabels: {none: none}}}"))).status).toBe(200);
    expect((await applyYaml(yamlOf(only))).status).toBe(200);
    const res = await exports.default.fetch("http://gateway.test/_mesh/explain", {
      method: "POST",
      headers: { authorization: "Bearer test-admin-token" },
      body: JSON.stringify({ method: "GET", url: `http://${HOST}/nowhere-${Date.now()}`, headers: {} }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "reply", status: 404, flags: "NR", details: "route_not_found" });
  });
});
