/**
 * How policies combine: CUSTOM → (AUDIT) → DENY → ALLOW, Istio's empty-value semantics, dry-run shadow
 * results, AUDIT reporting, which policy is reported, and how CUSTOM resolves its provider.
 */
import { describe, expect, it } from "vitest";
import type { MeshExtensionProviders } from "../../../src/config/mesh-config.js";
import { parseMeshConfig } from "../../../src/config/mesh-config.js";
import { buildAuthorizer, compileAuthorization } from "../../../src/policy/authz/index.js";
import { ap, authorizer, MESH, view } from "./fixtures.js";

const GET_ONLY = [{ to: [{ operation: { methods: ["GET"] } }] }];
const ADMIN = [{ to: [{ operation: { paths: ["/admin/*"] } }] }];

describe("decision order and empty semantics", () => {
  const rows: { name: string; policies: () => ReturnType<typeof ap>[]; request: Parameters<typeof view>[0]; allowed: boolean; reason: string; policy?: string; details?: string }[] = [
    { name: "no policy ⇒ allow", policies: () => [], request: {}, allowed: true, reason: "no-allow-policies" },
    { name: "ALLOW spec {} ⇒ allow-nothing", policies: () => [ap("allow-nothing", {})], request: {}, allowed: false, reason: "no-allow-match", details: "rbac_access_denied_matched_policy[none]" },
    { name: "ALLOW rules [{}] ⇒ allow all", policies: () => [ap("allow-all", { rules: [{}] })], request: { method: "DELETE" }, allowed: true, reason: "allowed", policy: "allow-all#0" },
    { name: "DENY rules [{}] ⇒ deny all", policies: () => [ap("deny-all", { action: "DENY", rules: [{}] })], request: {}, allowed: false, reason: "denied", policy: "deny-all#0", details: "rbac_access_denied_matched_policy[ns[istio-system]-policy[deny-all]-rule[0]]" },
    { name: "DENY without rules never matches", policies: () => [ap("deny-none", { action: "DENY" }, { unchecked: true })], request: {}, allowed: true, reason: "no-allow-policies" },
    { name: "ALLOW present, unmatched ⇒ 403", policies: () => [ap("get-only", { rules: GET_ONLY })], request: { method: "POST" }, allowed: false, reason: "no-allow-match" },
    { name: "ALLOW present, matched", policies: () => [ap("get-only", { rules: GET_ONLY })], request: { method: "GET" }, allowed: true, reason: "allowed", policy: "get-only#0" },
    { name: "any ALLOW policy may allow", policies: () => [ap("get-only", { rules: GET_ONLY }), ap("admin", { rules: ADMIN })], request: { method: "POST", path: "/admin/x" }, allowed: true, reason: "allowed", policy: "admin#0" },
    { name: "DENY wins over ALLOW", policies: () => [ap("allow-all", { rules: [{}] }), ap("deny-admin", { action: "DENY", rules: ADMIN })], request: { path: "/admin/x" }, allowed: false, reason: "denied", policy: "deny-admin#0" },
    { name: "DENY unmatched, no ALLOW ⇒ allow", policies: () => [ap("deny-admin", { action: "DENY", rules: ADMIN })], request: { path: "/public" }, allowed: true, reason: "no-allow-policies" },
    { name: "DENY unmatched, ALLOW unmatched ⇒ 403", policies: () => [ap("deny-admin", { action: "DENY", rules: ADMIN }), ap("get-only", { rules: GET_ONLY })], request: { method: "PUT", path: "/x" }, allowed: false, reason: "no-allow-match" },
    { name: "rule index is reported", policies: () => [ap("two-rules", { rules: [...GET_ONLY, ...ADMIN] })], request: { method: "POST", path: "/admin/a" }, allowed: true, reason: "allowed", policy: "two-rules#1" },
    { name: "an ALLOW policy whose only rule is invalid still counts as present", policies: () => [ap("bad", { rules: [{ from: [{ source: { ipBlocks: ["not-an-ip"] } }] }] }, { unchecked: true })], request: {}, allowed: false, reason: "no-allow-match" },
    { name: "an invalid DENY value is dropped, widening the rule", policies: () => [ap("bad-deny", { action: "DENY", rules: [{ from: [{ source: { ipBlocks: ["not-an-ip"] } }], to: [{ operation: { methods: ["GET"] } }] }] }, { unchecked: true })], request: { method: "GET" }, allowed: false, reason: "denied", policy: "bad-deny#0" },
    { name: "an unknown condition key drops the rule, even for DENY", policies: () => [ap("bad-key", { action: "DENY", rules: [{ when: [{ key: "request.size", values: ["1"] }] }] }, { unchecked: true })], request: {}, allowed: true, reason: "no-allow-policies" },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const d = authorizer(row.policies()).authorize(view(row.request));
      expect(d.allowed).toBe(row.allowed);
      expect(d.reason).toBe(row.reason);
      expect(d.policy ? `${d.policy.name}#${d.policy.rule}` : undefined).toBe(row.policy);
      if (row.details) expect(d.details).toBe(row.details);
      if (!row.allowed) expect(d.reply).toEqual({ status: 403, body: "RBAC: access denied", flag: "RBAC", details: expect.stringMatching(/^rbac_access_denied_matched_policy\[/), headers: undefined });
      else expect(d.reply).toBeUndefined();
    });
  }

  it("no table (a snapshot without the authz stage) allows everything", () => {
    const authz = buildAuthorizer(undefined);
    expect(authz.authorize(view()).allowed).toBe(true);
    expect(authz.custom(view())).toEqual({ kind: "none" });
  });

  it("reports the first matching DENY rule in Envoy's policy-name order", () => {
    const d = authorizer([ap("zeta", { action: "DENY", rules: [{}] }), ap("alpha", { action: "DENY", rules: [{}] })]).authorize(view());
    expect(d.policy).toEqual({ namespace: "istio-system", name: "alpha", rule: 0 });
  });
});

describe("AUDIT", () => {
  it("never changes the decision, and reports what matched", () => {
    const authz = authorizer([
      ap("audit-admin", { action: "AUDIT", rules: ADMIN }),
      ap("audit-all", { action: "AUDIT", rules: [{}, {}] }),
      ap("get-only", { rules: GET_ONLY }),
    ]);
    const post = authz.authorize(view({ method: "POST", path: "/admin/x" }));
    expect(post.allowed).toBe(false);
    expect(post.audit.map((r) => r.name).sort()).toEqual(["audit-admin", "audit-all"]);
    const get = authz.authorize(view({ method: "GET", path: "/" }));
    expect(get.allowed).toBe(true);
    expect(get.audit).toEqual([{ namespace: "istio-system", name: "audit-all", rule: 0 }]);
  });

  it("alone, allows everything", () => {
    expect(authorizer([ap("audit-all", { action: "AUDIT", rules: [{}] })]).authorize(view()).allowed).toBe(true);
  });
});

describe("dry-run (istio.io/dry-run)", () => {
  const DRY = { annotations: { "istio.io/dry-run": "true" } };

  it("a dry-run DENY that matches is reported, not enforced", () => {
    const d = authorizer([ap("deny-admin", { action: "DENY", rules: ADMIN }, DRY)]).authorize(view({ path: "/admin/x" }));
    expect(d.allowed).toBe(true);
    expect(d.dryRun).toEqual({ deny: { allowed: false, policy: { namespace: "istio-system", name: "deny-admin", rule: 0 } } });
  });

  it("a dry-run DENY that does not match shadows an allow", () => {
    const d = authorizer([ap("deny-admin", { action: "DENY", rules: ADMIN }, DRY)]).authorize(view({ path: "/" }));
    expect(d.dryRun).toEqual({ deny: { allowed: true } });
  });

  it("a dry-run ALLOW does not make ALLOW policies present", () => {
    const d = authorizer([ap("get-only", { rules: GET_ONLY }, DRY)]).authorize(view({ method: "POST" }));
    expect(d.allowed).toBe(true);
    expect(d.reason).toBe("no-allow-policies");
    expect(d.dryRun).toEqual({ allow: { allowed: false } });
  });

  it("the shadow ALLOW engine reports its own match", () => {
    const authz = authorizer([ap("get-only", { rules: GET_ONLY }, DRY), ap("allow-nothing", {})]);
    const d = authz.authorize(view({ method: "GET" }));
    expect(d.allowed).toBe(false);
    expect(d.dryRun?.allow).toEqual({ allowed: true, policy: { namespace: "istio-system", name: "get-only", rule: 0 } });
  });

  it("an enforced DENY stops before the ALLOW stage (no ALLOW shadow result)", () => {
    const d = authorizer([ap("deny-all", { action: "DENY", rules: [{}] }), ap("get-only", { rules: GET_ONLY }, DRY)]).authorize(view());
    expect(d.allowed).toBe(false);
    expect(d.dryRun).toBeUndefined();
  });

  it(`"false" (Go ParseBool) enforces the policy`, () => {
    const d = authorizer([ap("deny-all", { action: "DENY", rules: [{}] }, { annotations: { "istio.io/dry-run": "False" } })]).authorize(view());
    expect(d.allowed).toBe(false);
  });

  it("the compiled table keeps the annotation", () => {
    const table = compileAuthorization([ap("deny-admin", { action: "DENY", rules: ADMIN }, DRY)], MESH);
    expect(table.deny).toEqual([{ namespace: "istio-system", name: "deny-admin", dryRun: true, rules: ADMIN }]);
  });
});

describe("CUSTOM", () => {
  const providers = parseMeshConfig(`
extensionProviders:
- name: authz
  envoyExtAuthzHttp: {service: "binding:AUTHZ"}
- name: other
  envoyExtAuthzHttp: {service: "https://authz.example.com"}
- name: grpc
  envoyExtAuthzGrpc: {service: authz.foo.svc.cluster.local, port: 9000}
- name: broken
  envoyExtAuthzHttp: {service: "authz.foo.svc.cluster.local"}
`).config.extensionProviders;

  const custom = (provider: string, rules = ADMIN, name = `custom-${provider}`) => ap(name, { action: "CUSTOM", provider: { name: provider }, rules });

  it("asks the provider only when a CUSTOM rule matches", () => {
    const authz = authorizer([custom("authz")], providers);
    expect(authz.custom(view({ path: "/public" }))).toEqual({ kind: "none" });
    const check = authz.custom(view({ path: "/admin/x" }));
    expect(check.kind).toBe("check");
    if (check.kind === "check") {
      expect(check.provider.name).toBe("authz");
      expect(check.policy).toEqual({ namespace: "istio-system", name: "custom-authz", rule: 0 });
    }
    expect(authz.warnings).toEqual([]);
  });

  it("CUSTOM does not take part in ALLOW/DENY", () => {
    expect(authorizer([custom("authz")], providers).authorize(view({ path: "/admin/x" })).allowed).toBe(true);
  });

  const bad: { name: string; policies: () => ReturnType<typeof ap>[]; providers: MeshExtensionProviders; warning: RegExp }[] = [
    { name: "unknown provider", policies: () => [custom("missing")], providers, warning: /available providers are \[.*authz.*\] but found "missing"/ },
    { name: "provider with errors", policies: () => [custom("broken")], providers, warning: /found errors in provider broken/ },
    { name: "gRPC provider", policies: () => [custom("grpc")], providers, warning: /only envoyExtAuthzHttp/ },
    { name: "two providers on one workload", policies: () => [custom("authz"), custom("other")], providers, warning: /multiple CUSTOM authorization providers/ },
    { name: "no mesh config", policies: () => [custom("authz")], providers: {}, warning: /but found "authz"/ },
  ];
  for (const row of bad) {
    it(`${row.name}: matching requests are denied, others pass`, () => {
      const authz = authorizer(row.policies(), row.providers);
      expect(authz.warnings.join("\n")).toMatch(row.warning);
      expect(authz.custom(view({ path: "/public" }))).toEqual({ kind: "none" });
      const check = authz.custom(view({ path: "/admin/x" }));
      expect(check.kind).toBe("deny");
      if (check.kind === "deny") {
        expect(check.reply).toMatchObject({ status: 403, body: "RBAC: access denied" });
        expect(check.details).toMatch(/^rbac_access_denied_matched_policy\[istio-ext-authz-.*-deny-due-to-bad-CUSTOM-action\]$/);
      }
    });
  }

  it("compiles the provider name into the table", () => {
    const table = compileAuthorization([custom("authz")], MESH);
    expect(table.custom).toEqual([{ namespace: "istio-system", name: "custom-authz", provider: "authz", rules: ADMIN }]);
    expect(buildAuthorizer(table, { providers }).custom(view({ path: "/admin/1" })).kind).toBe("check");
  });
});
