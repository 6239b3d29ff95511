/**
 * `isthmus inject`: the wrangler config reader, the line-preserving edit of each config form (TOML
 * inline bindings, [[services]] sections, JSONC one-line and multi-line objects), the mapping of a
 * binding to its destination through the gateway's bindings and the registry, and the command itself
 * (dry-run diff by default, --write, the registration it prints, the stored config as registry).
 * That an injected member is governed by the destination stage is test/gateway/mesh-destination.test.ts
 * (its member runs with the bindings inject writes for examples/plain-member).
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import plainMemberToml from "../../examples/plain-member/wrangler.toml?raw";
import bookinfoServices from "../../examples/bookinfo/bookinfo-services.yaml?raw";
import gatewayToml from "../../wrangler.toml?raw";
import { bindingNameFor, injectMember, unifiedDiff, type RegistryResource } from "../../src/cli/inject-core.js";
import { readWranglerConfig } from "../../src/cli/wrangler-config.js";
import { applyYaml } from "../helpers/admin.js";
import { memoryIO, run, type Handler } from "./harness.js";

const gateway = readWranglerConfig(gatewayToml);
const registry = bookinfoServices.split(/^---$/m).map((d) => parse(d) as RegistryResource).filter(Boolean);
const opts = { gateway, registry, namespace: "default" };
const DETAILS_PROPS = `props = { namespace = "default", serviceAccount = "shop", destination = "details.default.svc.cluster.local:9080" }`;

describe("readWranglerConfig", () => {
  it("reads the gateway's wrangler.toml: services, vars, Durable Objects, migrations", () => {
    expect(gateway.name).toBe("isthmus-gateway");
    expect(gateway.services.find((s) => s.binding === "BOOKINFO_DETAILS")?.service).toBe("bookinfo-details");
    expect(gateway.vars.GATEWAY_NAMESPACE).toBe("istio-system");
    expect(gateway.durableObjects.map((d) => d.class_name)).toEqual(["ConfigStore", "RateLimiter", "Circuit", "MetricsAggregator"]);
    expect(gateway.migrations.flatMap((m) => m.new_sqlite_classes ?? [])).toEqual(["ConfigStore", "RateLimiter", "Circuit", "MetricsAggregator"]);
  });

  it("reads [[services]] sections, multi-line strings, dotted keys and JSONC with comments and trailing commas", () => {
    const toml = readWranglerConfig(`name = 'x' # c\n"main" = """\nindex.ts"""\nvars.A = 1\n[[services]]\nbinding = "B"\nservice = "s"\n[[services]]\nbinding = "C"\nservice = "t"\nentrypoint = "E"\n`);
    expect(toml).toMatchObject({ name: "x", main: "index.ts", vars: { A: 1 } });
    expect(toml.services.map((s) => [s.binding, s.service, s.form])).toEqual([["B", "s", "table"], ["C", "t", "table"]]);
    const json = readWranglerConfig(`{\n  // comment\n  "name": "j", /* block */\n  "services": [\n    { "binding": "B", "service": "s" }, // trailing\n  ],\n}\n`, "wrangler.jsonc");
    expect(json.services.map((s) => [s.binding, s.service])).toEqual([["B", "s"]]);
  });

  it.each([
    ["unterminated string", `name = "x`, "line 1: unterminated string"],
    ["missing =", `name "x"`, "line 1: expected = after name"],
    ["duplicate key", `name = "a"\nname = "b"`, "line 2: key name is defined twice"],
  ])("refuses %s with its line", (_, text, message) => {
    expect(() => readWranglerConfig(text)).toThrow(message);
  });
});

describe("injectMember", () => {
  it("rewrites the plain member's inline bindings in place, comments kept", () => {
    const r = injectMember({ file: "wrangler.toml", text: plainMemberToml }, opts);
    expect(r.injected).toEqual([
      { binding: "DETAILS", service: "bookinfo-details", destination: "details.default.svc.cluster.local:9080" },
      { binding: "RATINGS", service: "bookinfo-ratings", destination: "ratings.default.svc.cluster.local:9080" },
    ]);
    expect(r.skipped).toEqual([]);
    const before = plainMemberToml.split("\n");
    const after = r.text.split("\n");
    expect(after.length).toBe(before.length);
    const changed = after.filter((l, i) => l !== before[i]);
    expect(changed).toEqual([
      `  { binding = "DETAILS", service = "isthmus-gateway", entrypoint = "MeshEntrypoint", props = { namespace = "default", serviceAccount = "plain-member", destination = "details.default.svc.cluster.local:9080" } }, # book information`,
      `  { binding = "RATINGS", service = "isthmus-gateway", entrypoint = "MeshEntrypoint", props = { namespace = "default", serviceAccount = "plain-member", destination = "ratings.default.svc.cluster.local:9080" } },`,
    ]);
    // Injecting again changes nothing: the bindings already go to the mesh entrypoint.
    expect(injectMember({ file: "wrangler.toml", text: r.text }, opts).text).toBe(r.text);
  });

  it("rewrites a [[services]] section: service, entrypoint and props lines, other lines kept", () => {
    const text = `name = "shop"\n\n[[services]]\n# details\nbinding = "DETAILS"\nservice = "bookinfo-details"\nentrypoint = "Old"\n\n[[services]]\nbinding = "MESH"\nservice = "isthmus-gateway"\nentrypoint = "MeshEntrypoint"\n`;
    const r = injectMember({ file: "wrangler.toml", text }, opts);
    expect(r.text).toBe(`name = "shop"\n\n[[services]]\n# details\nbinding = "DETAILS"\nservice = "isthmus-gateway"\nentrypoint = "MeshEntrypoint"\n${DETAILS_PROPS}\n\n[[services]]\nbinding = "MESH"\nservice = "isthmus-gateway"\nentrypoint = "MeshEntrypoint"\n`);
    expect(readWranglerConfig(r.text).services[0]).toMatchObject({ service: "isthmus-gateway", entrypoint: "MeshEntrypoint", props: { destination: "details.default.svc.cluster.local:9080" } });
  });

  it("rewrites JSONC objects, one-line and multi-line, keeping comments around them", () => {
    const text = `{\n  "name": "shop", // the shop\n  "services": [\n    { "binding": "DETAILS", "service": "bookinfo-details" }, // details\n    {\n      "binding": "RATINGS",\n      "service": "bookinfo-ratings"\n    }\n  ]\n}\n`;
    const r = injectMember({ file: "wrangler.jsonc", text }, { ...opts, namespace: "shop", serviceAccount: "cart" });
    expect(r.text).toContain(`    { "binding": "DETAILS", "service": "isthmus-gateway", "entrypoint": "MeshEntrypoint", "props": { "namespace": "shop", "serviceAccount": "cart", "destination": "details.default.svc.cluster.local:9080" } }, // details\n`);
    expect(r.text).toContain(`    {\n      "binding": "RATINGS",\n      "service": "isthmus-gateway",\n      "entrypoint": "MeshEntrypoint",\n      "props": {\n        "namespace": "shop",`);
    expect(r.text.startsWith(`{\n  "name": "shop", // the shop\n`)).toBe(true);
    const services = readWranglerConfig(r.text, "wrangler.jsonc").services;
    expect(services.map((s) => (s.props as { destination: string }).destination)).toEqual(["details.default.svc.cluster.local:9080", "ratings.default.svc.cluster.local:9080"]);
  });

  it("maps through a WorkloadEntry selected by a ServiceEntry, and says why a binding cannot be injected", () => {
    const text = `name = "shop"\nservices = [\n  { binding = "R", service = "bookinfo-reviews-v2" },\n  { binding = "X", service = "unknown-worker" },\n  { binding = "H", service = "httpbin" },\n]\n`;
    const r = injectMember({ file: "wrangler.toml", text }, opts);
    expect(r.injected).toEqual([{ binding: "R", service: "bookinfo-reviews-v2", destination: "reviews.default.svc.cluster.local:9080" }]);
    expect(r.skipped.map((s) => [s.binding, s.reason.split(":")[0]])).toEqual([
      ["X", `the gateway's wrangler config has no service binding to "unknown-worker", so the mesh cannot reach it`],
      ["H", "no ServiceEntry endpoint or WorkloadEntry has address binding"],
    ]);
  });

  it("prints the ServiceEntry registering the member, or says it is registered", () => {
    const r = injectMember({ file: "wrangler.toml", text: plainMemberToml }, opts);
    expect(r.registration).toContain(`{ binding = "PLAIN_MEMBER", service = "plain-member" }`);
    const se = parse(r.registration) as { kind: string; spec: { hosts: string[]; endpoints: { address: string; serviceAccount: string }[] } };
    expect(se.kind).toBe("ServiceEntry");
    expect(se.spec.hosts).toEqual(["plain-member.default.svc.cluster.local"]);
    expect(se.spec.endpoints[0]).toMatchObject({ address: "binding:PLAIN_MEMBER", serviceAccount: "plain-member" });
    const details = injectMember({ file: "wrangler.toml", text: `name = "bookinfo-details"\n` }, opts);
    expect(details.registration).toBe("# bookinfo-details is registered: ServiceEntry default/details (details.default.svc.cluster.local) names binding:BOOKINFO_DETAILS\n");
    expect(bindingNameFor("my.shop-cart")).toBe("MY_SHOP_CART");
  });
});

describe("unifiedDiff", () => {
  it("prints hunks with context, deletions before additions", () => {
    expect(unifiedDiff("a\nb\nc\n", "a\nB\nc\n", "x", "y")).toBe("--- x\n+++ y\n@@ -1,4 +1,4 @@\n a\n-b\n+B\n c\n \n");
    expect(unifiedDiff("same", "same", "x", "y")).toBe("");
  });
});

const gatewayFetch: Handler = (req) =>
  exports.default.fetch(new Request(req.url, { method: req.method, headers: req.headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : req.body }));

describe("isthmus inject", () => {
  const files = { "member/wrangler.toml": plainMemberToml, "wrangler.toml": gatewayToml, "bookinfo/services.yaml": bookinfoServices };

  it("prints the diff and the registration, and changes nothing by default", async () => {
    const io = memoryIO({ files });
    const written: Record<string, string> = {};
    io.writeFile = async (p, t) => void (written[p] = t);
    const r = await run(io, "inject", "member/wrangler.toml", "-f", "bookinfo/services.yaml");
    expect(r.code).toBe(0);
    expect(r.out).toContain("--- member/wrangler.toml\n+++ member/wrangler.toml (injected)\n");
    expect(r.out).toContain(`\n-  { binding = "DETAILS", service = "bookinfo-details" }, # book information\n-  { binding = "RATINGS", service = "bookinfo-ratings" },\n+  { binding = "DETAILS", service = "isthmus-gateway", entrypoint = "MeshEntrypoint"`);
    expect(r.out).toContain("kind: ServiceEntry");
    expect(written).toEqual({});
  });

  it("--write changes the file; the identity flags go into the props", async () => {
    const io = memoryIO({ files });
    const written: Record<string, string> = {};
    io.writeFile = async (p, t) => void (written[p] = t);
    const r = await run(io, "inject", "member/wrangler.toml", "-f", "bookinfo/services.yaml", "--write", "-n", "shop", "--service-account", "cart");
    expect(r.code).toBe(0);
    expect(r.out).toContain("member/wrangler.toml: 2 binding(s) now go through the mesh\n  DETAILS → details.default.svc.cluster.local:9080");
    const services = readWranglerConfig(written["member/wrangler.toml"]!).services;
    expect(services.map((s) => s.props)).toEqual([
      { namespace: "shop", serviceAccount: "cart", destination: "details.default.svc.cluster.local:9080" },
      { namespace: "shop", serviceAccount: "cart", destination: "ratings.default.svc.cluster.local:9080" },
    ]);
  });

  it("maps with the gateway's stored config when no -f is given", async () => {
    expect((await applyYaml(bookinfoServices)).status).toBe(200);
    const io = memoryIO({ files, fetch: gatewayFetch, env: { ISTHMUS_TOKEN: "test-admin-token" } });
    const r = await run(io, "inject", "member/wrangler.toml");
    expect(r.err).toBe("");
    expect(r.out).toContain(`destination = "ratings.default.svc.cluster.local:9080"`);
  });

  it("reports a broken member config with its file and line, and usage mistakes", async () => {
    const io = memoryIO({ files: { ...files, "bad.toml": `name = "x"\nservices = [ { binding = "A" ` } });
    const bad = await run(io, "inject", "bad.toml", "-f", "bookinfo/services.yaml");
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain("error: bad.toml: line 2:");
    expect((await run(io, "inject")).code).toBe(64);
  });
});
