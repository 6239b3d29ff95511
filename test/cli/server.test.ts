/**
 * The CLI against the real gateway Worker and its ConfigStore Durable Object (DESIGN §4 contract):
 * apply → get → history → delete → rollback → version, as an operator would type them.
 * Each test works in its own namespace so the shared store does not couple them.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BOOKINFO, DANGLING, INVALID, memoryIO, run } from "./harness.js";

const TOKEN = "test-admin-token";
const gateway = (req: { method: string; url: URL; headers: Headers; body: string }) =>
  exports.default.fetch(new Request(req.url, { method: req.method, headers: req.headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : req.body }));

let counter = 0;
function cli(extra: { files?: Record<string, string>; token?: string } = {}) {
  const io = memoryIO({ files: { ...BOOKINFO, "ratings.yaml": DANGLING, "broken.yaml": INVALID, ...extra.files }, fetch: gateway, env: { ISTHMUS_TOKEN: extra.token ?? TOKEN } });
  io.now = () => Date.now(); // AGE against the store's real creation times
  const namespace = `cli-${Date.now().toString(36)}-${counter++}`;
  return { io, namespace, run: (...argv: string[]) => run(io, ...argv) };
}

describe("isthmus against the gateway", () => {
  it("apply, apply again, get, delete", async () => {
    const { run, namespace: ns } = cli();
    let r = await run("apply", "-f", "bookinfo", "-n", ns);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      "gateway.networking.istio.io/bookinfo-gateway created\n" +
        "serviceentry.networking.istio.io/reviews created\n" +
        "destinationrule.networking.istio.io/reviews created\n" +
        "virtualservice.networking.istio.io/reviews created\n",
    );

    r = await run("apply", "-f", "bookinfo", "-n", ns);
    expect(r.out).toContain("virtualservice.networking.istio.io/reviews unchanged\n");

    r = await run("get", "vs", "-n", ns);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^NAME\s+GATEWAYS\s+HOSTS\s+AGE\nreviews\s+\["bookinfo-gateway"\]\s+\["bookinfo\.local"\]\s+\d+s\n$/);

    r = await run("get", "virtualservice", "reviews", "-n", ns, "-o", "json");
    expect(JSON.parse(r.out)).toMatchObject({ kind: "VirtualService", metadata: { name: "reviews", namespace: ns }, spec: { hosts: ["bookinfo.local"] } });

    r = await run("get", "dr", "-A", "-o", "name");
    expect(r.out).toContain("destinationrule.networking.istio.io/reviews\n");

    r = await run("delete", "-f", "bookinfo/reviews.yaml", "-n", ns);
    expect(r.code).toBe(0);
    expect(r.out).toContain('virtualservice.networking.istio.io "reviews" deleted\n');

    r = await run("get", "vs", "reviews", "-n", ns);
    expect(r).toMatchObject({ code: 1, err: 'Error from server (NotFound): virtualservices.networking.istio.io "reviews" not found\n' });

    r = await run("delete", "gw", "bookinfo-gateway", "-n", ns);
    expect(r).toMatchObject({ code: 0, out: 'gateway.networking.istio.io "bookinfo-gateway" deleted\n' });
    r = await run("delete", "gw", "bookinfo-gateway", "-n", ns);
    expect(r.code).toBe(1);
    expect(r.err).toContain('gateways.networking.istio.io "bookinfo-gateway" not found');
  });

  it("Gateway API: apply, get httproutes / gtw as kubectl prints them (status columns), delete gtw", async () => {
    const files = {
      "gwapi.yaml": `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway}
spec: {gatewayClassName: istio, listeners: [{name: http, port: 80, protocol: HTTP, hostname: "*.cli.example"}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bookinfo}
spec:
  parentRefs: [{name: bookinfo-gateway}]
  hostnames: [bookinfo.cli.example]
  rules: [{backendRefs: [{name: productpage, port: 9080}]}]
`,
    };
    const { run, namespace: ns } = cli({ files });
    let r = await run("apply", "-f", "gwapi.yaml", "-n", ns);
    expect(r.code).toBe(0);
    expect(r.out).toBe("gateway.gateway.networking.k8s.io/bookinfo-gateway created\nhttproute.gateway.networking.k8s.io/bookinfo created\n");
    r = await run("get", "httproutes", "-n", ns);
    expect(r.out).toMatch(/^NAME\s+HOSTNAMES\s+AGE\nbookinfo\s+\["bookinfo\.cli\.example"\]\s+\d+s\n$/);
    r = await run("get", "gtw", "-n", ns);
    expect(r.out).toMatch(/^NAME\s+CLASS\s+ADDRESS\s+PROGRAMMED\s+AGE\nbookinfo-gateway\s+istio\s+True\s+\d+s\n$/);
    r = await run("get", "httproute", "bookinfo", "-n", ns, "-o", "json");
    expect(JSON.parse(r.out)).toMatchObject({ kind: "HTTPRoute", status: { parents: [{ conditions: [{ type: "Accepted", status: "True" }, { type: "ResolvedRefs", status: "False", reason: "BackendNotFound" }] }] } });
    // Istio's Gateway of the same name is another resource.
    r = await run("get", "gw", "bookinfo-gateway", "-n", ns);
    expect(r.code).toBe(1);
    r = await run("delete", "gtw", "bookinfo-gateway", "-n", ns);
    expect(r).toMatchObject({ code: 0, out: 'gateway.gateway.networking.k8s.io "bookinfo-gateway" deleted\n' });
  });

  it("apply returns analyzer warnings with file and line but stores the config", async () => {
    const { run, namespace: ns } = cli();
    const r = await run("apply", "-f", "ratings.yaml", "-n", ns);
    expect(r.code).toBe(0);
    expect(r.out).toBe("virtualservice.networking.istio.io/ratings created\n");
    expect(r.err).toContain(`Error [IST0101] (VirtualService ${ns}/ratings ratings.yaml:11) Referenced host not found: "ratings"`);
  });

  it("--dry-run stores nothing", async () => {
    const { run, namespace: ns } = cli();
    let r = await run("apply", "-f", "ratings.yaml", "-n", ns, "--dry-run");
    expect(r.out).toBe("virtualservice.networking.istio.io/ratings created (server dry run)\n");
    r = await run("get", "vs", "-n", ns);
    expect(r.err).toBe(`No resources found in ${ns} namespace.\n`);
  });

  it("an invalid file never reaches the store", async () => {
    const { run, io, namespace: ns } = cli();
    const before = await run("version", "-o", "json");
    const r = await run("apply", "-f", "broken.yaml", "-n", ns);
    expect(r.code).toBe(1);
    expect(r.err).toContain("broken.yaml:12");
    expect(io.requests.filter((q) => q.url.pathname.endsWith("/apply"))).toHaveLength(0);
    const after = await run("version", "-o", "json");
    expect(JSON.parse(after.out).server.version).toBe(JSON.parse(before.out).server.version);
  });

  it("history and rollback", async () => {
    const { run, namespace: ns } = cli();
    let r = await run("apply", "-f", "bookinfo/reviews.yaml", "-n", ns, "-o", "json");
    const v1 = (JSON.parse(r.out) as { version: number }).version;
    r = await run("delete", "-f", "bookinfo/reviews.yaml", "-n", ns);
    expect(r.code).toBe(0);

    r = await run("history");
    expect(r.code).toBe(0);
    expect(r.out.split("\n")[0]).toMatch(/^VERSION\s+CREATED\s+CAUSE\s+RESOURCES$/);
    expect(r.out).toMatch(new RegExp(`^${v1}\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\s+apply\\s+\\d+$`, "m"));

    r = await run("rollback", String(v1));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`rolled back to version ${v1}: now at version \\d+\\n$`));
    r = await run("get", "vs", "reviews", "-n", ns, "-o", "name");
    expect(r.out).toBe("virtualservice.networking.istio.io/reviews\n");

    r = await run("rollback", "999999");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error from server \(\w+\): /);
  });

  it("version, config-dump, analyze --use-server, explain", async () => {
    const { run, namespace: ns } = cli();
    await run("apply", "-f", "bookinfo", "-n", ns);
    let r = await run("version");
    expect(r.out).toMatch(/^client version: 0\.1\.0\nserver: http:\/\/127\.0\.0\.1:8787\nconfig version: \d+\n/);

    r = await run("config-dump");
    expect(r.code).toBe(0);
    expect(() => JSON.parse(r.out)).not.toThrow();

    r = await run("analyze", "--use-server", "ratings.yaml", "-n", ns);
    expect(r.code).toBe(79);
    expect(r.out).toContain(`(VirtualService ${ns}/ratings ratings.yaml:11) Referenced host not found: "ratings"`);

    r = await run("explain", "GET", "http://bookinfo.local/productpage", "-o", "json");
    expect(r.code).toBe(0);
    expect(typeof JSON.parse(r.out)).toBe("object");
  });

  it("a wrong token gets a 401 explained", async () => {
    const { run } = cli({ token: "not-the-token" });
    const r = await run("get", "vs");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: You must be logged in to the server \(Unauthorized\)/);
    expect(r.err).toContain("The token from ISTHMUS_TOKEN was refused");
  });

  it("proxy-status: the isolate that answers, SYNCED with the store's version", async () => {
    const { run } = cli();
    const r = await run("proxy-status");
    expect(r.code).toBe(0);
    const [head, columns, ...rows] = r.out.trimEnd().split("\n");
    const version = Number(/^config version: (\d+)$/.exec(head!)![1]);
    expect(columns).toMatch(/^NAME\s+LOCATION\s+VERSION\s+STATUS\s+LAST SEEN$/);
    // The answering isolate serves the store's version; isolates that flushed earlier may be STALE.
    expect(rows.some((row) => new RegExp(`^\\S+\\s+local\\s+${version}\\s+SYNCED\\s+\\S+Z$`).test(row))).toBe(true);
    const json = await run("ps", "-o", "json");
    const status = JSON.parse(json.out) as { version: number; proxies: { status: string; location: string }[] };
    expect(status.proxies.some((p) => p.status === "SYNCED" && p.location === "local")).toBe(true);
  });
});
