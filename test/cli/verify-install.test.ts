/**
 * `isthmus verify-install`: each check of src/cli/verify-install-core.ts as a table row (what is wrong
 * → the line that says so), and the command against the real gateway (its admin API without
 * credentials, its stored config) and against fake servers for the answers a real one must not give.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import plainMemberToml from "../../examples/plain-member/wrangler.toml?raw";
import detailsToml from "../../examples/bookinfo/details/wrangler.toml?raw";
import bookinfoServices from "../../examples/bookinfo/bookinfo-services.yaml?raw";
import gatewayToml from "../../wrangler.toml?raw";
import { injectMember, type RegistryResource } from "../../src/cli/inject-core.js";
import { verifyInstall, type VerifyInput } from "../../src/cli/verify-install-core.js";
import { readWranglerConfig } from "../../src/cli/wrangler-config.js";
import { applyYaml, deleteYaml } from "../helpers/admin.js";
import { fakeServer, memoryIO, run, type Handler } from "./harness.js";

const registry = bookinfoServices.split(/^---$/m).map((d) => parse(d) as RegistryResource).filter(Boolean);
const gateway = { file: "wrangler.toml", config: readWranglerConfig(gatewayToml) };
const cfg = (text: string, file = "m.toml") => ({ file, config: readWranglerConfig(text, file) });

/** The non-OK lines of a run of the checks. */
function problems(input: Partial<VerifyInput>): string[] {
  return verifyInstall({ gateway, members: [], registry, ...input })
    .filter((f) => f.level !== "OK")
    .map((f) => `${f.level} [${f.subject}] ${f.message}`);
}

describe("verify-install checks", () => {
  it("the repository's gateway and Bookinfo registry are clean", () => {
    expect(problems({ members: [cfg(detailsToml, "details/wrangler.toml")] })).toEqual([]);
  });

  it.each([
    ["a missing Durable Object binding", gatewayToml.replace(/\[\[durable_objects\.bindings\]\]\nname = "CIRCUIT"\nclass_name = "Circuit"\n/, ""), "no Durable Object binding CIRCUIT (class Circuit)"],
    ["a class without a migration", gatewayToml.replace(`new_sqlite_classes = ["RateLimiter"]`, `new_sqlite_classes = []`), "no migration creates RateLimiter"],
    ["a non-SQLite migration", gatewayToml.replace(`new_sqlite_classes = ["ConfigStore"]`, `new_classes = ["ConfigStore"]`), "ConfigStore is created by a new_classes migration"],
    ["the wrong class", gatewayToml.replace(`class_name = "ConfigStore"`, `class_name = "Store"`), "CONFIG_STORE names class Store"],
    ["ADMIN_TOKEN in vars", gatewayToml.replace("[vars]\n", `[vars]\nADMIN_TOKEN = "hunter2"\n`), "ADMIN_TOKEN is a plain [vars] value"],
    ["half of Access", gatewayToml.replace("[vars]\n", `[vars]\nACCESS_AUD = "aud"\n`), "only ACCESS_AUD is set, so Access is off"],
    ["ISTHMUS_DEV in vars", gatewayToml.replace("[vars]\n", `[vars]\nISTHMUS_DEV = "true"\n`), "ISTHMUS_DEV is set in [vars]"],
    ["a binding the registry names but the gateway lacks", gatewayToml.replace(`  { binding = "BOOKINFO_RATINGS", service = "bookinfo-ratings" },\n`, ""), "spec.endpoints[0].address binding:BOOKINFO_RATINGS: wrangler.toml has no service binding BOOKINFO_RATINGS"],
  ])("reports %s", (_, text, message) => {
    const out = problems({ gateway: cfg(text, "wrangler.toml") });
    expect(out).toHaveLength(1);
    expect(out[0]).toContain(message);
    expect(out[0]!.startsWith("Error")).toBe(true);
  });

  it("reports a plain member's direct bindings, and nothing about them once injected", () => {
    const plain = cfg(plainMemberToml, "plain/wrangler.toml");
    const before = problems({ members: [plain] });
    expect(before.filter((l) => l.startsWith("Error"))).toEqual([
      "Error [member plain-member (plain/wrangler.toml)] binding DETAILS calls the member bookinfo-details directly, bypassing the mesh (no routing, retries, policies or telemetry): run `isthmus inject plain/wrangler.toml`",
      "Error [member plain-member (plain/wrangler.toml)] binding RATINGS calls the member bookinfo-ratings directly, bypassing the mesh (no routing, retries, policies or telemetry): run `isthmus inject plain/wrangler.toml`",
    ]);
    const injected = injectMember({ file: "wrangler.toml", text: plainMemberToml }, { gateway: gateway.config, registry, namespace: "default" }).text;
    expect(problems({ members: [cfg(injected, "plain/wrangler.toml")] })).toEqual([
      "Warning [member plain-member (plain/wrangler.toml)] the gateway has no service binding to plain-member: nothing can route to it (isthmus inject plain/wrangler.toml prints the registration)",
    ]);
  });

  it.each([
    ["no mesh binding", `name = "bookinfo-details"\n`, "Warning", "no binding to the gateway's MeshEntrypoint"],
    ["props without identity", `name = "bookinfo-details"\nservices = [{ binding = "MESH", service = "isthmus-gateway", entrypoint = "MeshEntrypoint" }]\n`, "Error", "has no props.namespace and props.serviceAccount"],
    ["a bad destination", `name = "bookinfo-details"\nservices = [{ binding = "MESH", service = "isthmus-gateway", entrypoint = "MeshEntrypoint", props = { namespace = "default", serviceAccount = "bookinfo-details", destination = "a/b" } }]\n`, "Error", `props.destination "a/b" is not host[:port]`],
    ["the edge listener", `name = "bookinfo-details"\nservices = [{ binding = "GW", service = "isthmus-gateway" }, { binding = "MESH", service = "isthmus-gateway", entrypoint = "MeshEntrypoint", props = { namespace = "default", serviceAccount = "bookinfo-details" } }]\n`, "Warning", "binding GW reaches the gateway's edge listener"],
    ["another service account than registered", `name = "bookinfo-details"\nservices = [{ binding = "MESH", service = "isthmus-gateway", entrypoint = "MeshEntrypoint", props = { namespace = "default", serviceAccount = "details-sa" } }]\n`, "Warning", "registered as default/bookinfo-details but calls as default/details-sa"],
  ])("reports a member with %s", (_, text, level, message) => {
    const out = problems({ members: [cfg(text)] });
    expect(out).toHaveLength(1);
    expect(out[0]!.startsWith(level)).toBe(true);
    expect(out[0]).toContain(message);
  });
});

const realGateway: Handler = (req) =>
  exports.default.fetch(new Request(req.url, { method: req.method, headers: req.headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : req.body }));

describe("isthmus verify-install", () => {
  const files = { "wrangler.toml": gatewayToml, "plain/wrangler.toml": plainMemberToml, "bookinfo/services.yaml": bookinfoServices };

  it("checks the real gateway: its admin API refuses anonymous calls, and its stored config's bindings", async () => {
    const dangling = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments, namespace: verify}
spec:
  hosts: [payments.verify.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: "binding:PAYMENTS"}]
`;
    expect((await applyYaml(dangling)).status).toBe(200);
    try {
      const io = memoryIO({ files, fetch: realGateway, env: { ISTHMUS_TOKEN: "test-admin-token", ISTHMUS_SERVER: "http://127.0.0.1:8787" } });
      const r = await run(io, "verify-install");
      expect(r.code).toBe(1);
      expect(r.out).toContain("✔ [http://127.0.0.1:8787] admin API refuses calls without credentials (local mesh)");
      expect(r.out).toContain("Error: [ServiceEntry verify/payments] spec.endpoints[0].address binding:PAYMENTS: wrangler.toml has no service binding PAYMENTS");
      expect(r.out).toContain("✘ 1 error(s)");
    } finally {
      await deleteYaml(dangling);
    }
  });

  it("--offline with -f checks files only and exits 0 when nothing is wrong", async () => {
    const io = memoryIO({ files });
    const r = await run(io, "verify-install", "--offline", "-f", "bookinfo/services.yaml");
    expect(r.code).toBe(0);
    expect(io.requests).toEqual([]);
    expect(r.out).toContain("✔ no errors");
  });

  it.each([
    ["the admin API disabled", 401, "admin API disabled: set the ADMIN_TOKEN secret or ACCESS_TEAM_DOMAIN and ACCESS_AUD", "Error: [https://mesh.example.com] the admin API is disabled"],
    ["an open admin API", 200, "", "Error: [https://mesh.example.com] the admin API answered a call without credentials"],
  ])("reports a deployed gateway with %s", async (_, status, message, expected) => {
    const server = fakeServer({
      "GET /_mesh/apis/networking.istio.io/v1/serviceentries": (req) =>
        req.headers.get("authorization") || status === 200
          ? Response.json({ items: [] })
          : Response.json({ errors: [{ code: "Unauthorized", message }] }, { status }),
      "GET /_mesh/apis/networking.istio.io/v1/workloadentries": () => Response.json({ items: [] }),
    });
    const io = memoryIO({ files, fetch: server, env: { ISTHMUS_SERVER: "https://mesh.example.com", ISTHMUS_TOKEN: "t" } });
    const r = await run(io, "verify-install");
    expect(r.code).toBe(1);
    expect(r.out).toContain(expected);
  });

  it("an unreachable gateway is a warning, the files are still checked", async () => {
    const io = memoryIO({ files });
    const r = await run(io, "verify-install", "--member", "plain/wrangler.toml");
    expect(r.out).toContain("Warning: [http://127.0.0.1:8787] the gateway did not answer");
    expect(r.out).toContain("binding DETAILS calls the member bookinfo-details directly");
    expect(r.code).toBe(1);
  });
});
