/**
 * Every command against a scripted admin API: what the CLI sends (method, path, token, body) and how it
 * prints what comes back. The real gateway is exercised in server.test.ts.
 */
import { describe, expect, it } from "vitest";
import { BOOKINFO, DANGLING, fakeServer, INVALID, memoryIO, run, type Recorded } from "./harness.js";

const applied = (rows: Array<[string, string, string, string]>, warnings: unknown[] = []) =>
  Response.json({
    version: 7,
    results: rows.map(([kind, namespace, name, action]) => ({ apiVersion: "networking.istio.io/v1", kind, namespace, name, action })),
    warnings,
  });

const ist0101 = {
  code: "IST0101", type: "ReferencedResourceNotFound", level: "Error", kind: "VirtualService", namespace: "default",
  name: "ratings", path: "spec.http[0].route[0].destination.host", message: 'Referenced host not found: "ratings"',
};

describe("global flags and the admin target", () => {
  const version = fakeServer({ "GET /_mesh/version": () => Response.json({ version: 3 }) });

  it("defaults to the local mesh and its dev token", async () => {
    const io = memoryIO({ fetch: version, devToken: "dev-123\n" });
    const r = await run(io, "version");
    expect(r.code).toBe(0);
    expect(r.out).toBe("client version: 0.1.0\nserver: http://127.0.0.1:8787\nconfig version: 3\n");
    expect(io.requests[0]!.url.href).toBe("http://127.0.0.1:8787/_mesh/version");
    expect(io.requests[0]!.headers.get("authorization")).toBe("Bearer dev-123");
  });

  it("takes --token over ISTHMUS_TOKEN over the dev token", async () => {
    const env = { ISTHMUS_TOKEN: "from-env" };
    let io = memoryIO({ fetch: version, env, devToken: "dev" });
    await run(io, "version", "--token", "from-flag");
    expect(io.requests[0]!.headers.get("authorization")).toBe("Bearer from-flag");
    io = memoryIO({ fetch: version, env, devToken: "dev" });
    await run(io, "version");
    expect(io.requests[0]!.headers.get("authorization")).toBe("Bearer from-env");
  });

  it("sends no Authorization header when there is no token", async () => {
    const io = memoryIO({ fetch: version });
    await run(io, "version");
    expect(io.requests[0]!.headers.has("authorization")).toBe(false);
  });

  it("takes --server/--prefix (before or after the command) over the environment", async () => {
    const env = { ISTHMUS_SERVER: "http://env:1", ISTHMUS_ADMIN_PREFIX: "/env" };
    const any = () => Response.json({ version: 1 });
    let io = memoryIO({ fetch: any, env });
    await run(io, "--server", "https://gw.example.com/", "version", "--prefix=admin");
    expect(io.requests[0]!.url.href).toBe("https://gw.example.com/admin/version");
    io = memoryIO({ fetch: any, env });
    await run(io, "version");
    expect(io.requests[0]!.url.href).toBe("http://env:1/env/version");
  });

  it("accepts command flags before the command, as kubectl does", async () => {
    const io = memoryIO({ fetch: () => Response.json({ items: [] }) });
    const r = await run(io, "-n", "prod", "get", "vs");
    expect(r.code).toBe(0);
    expect(io.requests[0]!.url.pathname).toBe("/_mesh/apis/networking.istio.io/v1/namespaces/prod/virtualservices");
  });

  it("names the URL and suggests npm start when nothing answers", async () => {
    const io = memoryIO();
    const r = await run(io, "get", "vs");
    expect(r.code).toBe(1);
    expect(r.err).toContain("error: cannot reach the Isthmus admin API at http://127.0.0.1:8787/_mesh/apis/networking.istio.io/v1/namespaces/default/virtualservices (connect ECONNREFUSED 127.0.0.1:8787).");
    expect(r.err).toContain("`npm start`");
  });

  it("gives up after --request-timeout", async () => {
    const io = memoryIO({ fetch: () => new Promise<Response>(() => {}) });
    const r = await run(io, "version", "--request-timeout", "50ms");
    expect(r.code).toBe(1);
    expect(r.err).toBe("error: the Isthmus admin API at http://127.0.0.1:8787/_mesh/version did not answer within 0.05s (--request-timeout).\n");
  });

  it("refuses a --request-timeout that is not a duration", async () => {
    const r = await run(memoryIO(), "history", "--request-timeout", "soon");
    expect(r).toMatchObject({ code: 64 });
    expect(r.err).toMatch(/invalid --request-timeout "soon"/);
  });

  it("explains a 401 and where the refused token came from", async () => {
    const refuse = () => Response.json({ errors: [{ code: "Unauthorized", message: "invalid credentials" }] }, { status: 401 });
    let r = await run(memoryIO({ fetch: refuse, env: { ISTHMUS_TOKEN: "wrong" } }), "history");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: You must be logged in to the server \(Unauthorized\): invalid credentials\nThe token from ISTHMUS_TOKEN was refused/);
    r = await run(memoryIO({ fetch: refuse }), "history");
    expect(r.err).toContain("No admin token was given: pass --token, set ISTHMUS_TOKEN");
  });
});

describe("usage", () => {
  const rows: Array<[string, string[], number, RegExp, "out" | "err"]> = [
    ["no command prints help", [], 0, /Usage:\n  isthmus COMMAND \[flags\]/, "out"],
    ["help COMMAND", ["help", "apply"], 0, /isthmus apply -f FILE\|DIR\|-/, "out"],
    ["COMMAND --help", ["get", "--help"], 0, /virtualservices\s+VirtualService, vs/, "out"],
    ["-h works too", ["analyze", "-h"], 0, /--failure-threshold/, "out"],
    ["unknown command", ["frobnicate"], 64, /error: unknown command "frobnicate" for "isthmus"\nSee 'isthmus --help'./, "err"],
    ["unknown flag", ["get", "vs", "--bogus"], 64, /error: unknown flag: --bogus\nSee 'isthmus get --help'./, "err"],
    ["apply without -f", ["apply"], 64, /must specify -f FILE\|DIR\|-/, "err"],
    ["get without a kind", ["get"], 64, /you must specify the kind of resource to get/, "err"],
    ["unknown kind", ["get", "pods"], 1, /error: the server doesn't have a resource type "pods"/, "err"],
    ["-A with a name", ["get", "vs", "x", "-A"], 64, /cannot be retrieved by name across all namespaces/, "err"],
    ["rollback needs a number", ["rollback", "latest"], 64, /invalid version "latest"/, "err"],
    ["explain needs a URL", ["explain"], 64, /give the request to explain/, "err"],
    ["analyze needs files", ["analyze"], 64, /give the files to analyze/, "err"],
    ["bad output format", ["get", "vs", "-o", "xml"], 64, /invalid value "xml" for -o/, "err"],
  ];
  for (const [name, argv, code, text, stream] of rows) {
    it(name, async () => {
      const r = await run(memoryIO(), ...argv);
      expect(r.code).toBe(code);
      expect(r[stream]).toMatch(text);
    });
  }
});

describe("apply", () => {
  const ok = (req: Recorded) => {
    const docs = JSON.parse(req.body) as Array<{ kind: string; metadata: { name: string; namespace?: string } }>;
    return applied(docs.map((d) => [d.kind, d.metadata.namespace ?? "default", d.metadata.name, "created"]));
  };

  it("sends every document of a folder in one JSON array, in file order, and prints kubectl lines", async () => {
    const io = memoryIO({ files: BOOKINFO, fetch: fakeServer({ "POST /_mesh/apply": ok }), devToken: "t" });
    const r = await run(io, "apply", "-f", "bookinfo");
    expect(r.code).toBe(0);
    expect(io.requests).toHaveLength(1);
    const req = io.requests[0]!;
    expect(req.url.search).toBe("");
    expect(req.headers.get("content-type")).toBe("application/json");
    expect((JSON.parse(req.body) as Array<{ kind: string }>).map((d) => d.kind)).toEqual(["Gateway", "ServiceEntry", "DestinationRule", "VirtualService"]);
    expect(r.out).toBe(
      "gateway.networking.istio.io/bookinfo-gateway created\n" +
        "serviceentry.networking.istio.io/reviews created\n" +
        "destinationrule.networking.istio.io/reviews created\n" +
        "virtualservice.networking.istio.io/reviews created\n",
    );
    expect(r.err).toBe("");
  });

  it("reads stdin with -f - and several -f", async () => {
    const io = memoryIO({ files: BOOKINFO, stdin: DANGLING, fetch: fakeServer({ "POST /_mesh/apply": ok }) });
    const r = await run(io, "apply", "-f", "bookinfo/gateway.yaml", "-f", "-");
    expect(r.code).toBe(0);
    expect(r.out).toBe("gateway.networking.istio.io/bookinfo-gateway created\nvirtualservice.networking.istio.io/ratings created\n");
  });

  it("--dry-run asks the server not to store, and says so", async () => {
    const io = memoryIO({ files: { "r.yaml": DANGLING }, fetch: fakeServer({ "POST /_mesh/apply": ok }) });
    const r = await run(io, "apply", "-f", "r.yaml", "--dry-run");
    expect(io.requests[0]!.url.search).toBe("?dryRun=true");
    expect(r.out).toBe("virtualservice.networking.istio.io/ratings created (server dry run)\n");
  });

  it("prints analyzer warnings istioctl-style on stderr, pointed at the file and line, and still succeeds", async () => {
    const io = memoryIO({
      files: { "ratings.yaml": DANGLING },
      fetch: fakeServer({ "POST /_mesh/apply": () => applied([["VirtualService", "default", "ratings", "configured"]], [ist0101]) }),
    });
    const r = await run(io, "apply", "-f", "ratings.yaml");
    expect(r.code).toBe(0);
    expect(r.out).toBe("virtualservice.networking.istio.io/ratings configured\n");
    expect(r.err).toBe('Error [IST0101] (VirtualService default/ratings ratings.yaml:11) Referenced host not found: "ratings"\n');
  });

  it("validates locally first: file:line errors and nothing sent", async () => {
    const io = memoryIO({ files: { "broken.yaml": INVALID }, fetch: fakeServer({}) });
    const r = await run(io, "apply", "-f", "broken.yaml");
    expect(r.code).toBe(1);
    expect(io.requests).toHaveLength(0);
    expect(r.err).toMatch(/^error: broken\.yaml:12: VirtualService default\/broken: spec\.http\[0\]\.timeout: invalid duration "5 seconds"/);
    expect(r.err).toContain("error: nothing was sent");
  });

  it("reports YAML syntax errors with file and line, nothing sent", async () => {
    const io = memoryIO({ files: { "bad.yaml": "kind: [\n" }, fetch: fakeServer({}) });
    const r = await run(io, "apply", "-f", "bad.yaml");
    expect(r.code).toBe(1);
    expect(io.requests).toHaveLength(0);
    expect(r.err).toMatch(/^error: bad\.yaml:\d+: YAML syntax error/);
  });

  it("prints a 422 as kubectl does, pointed back at the file", async () => {
    const refuse = () =>
      Response.json({ errors: [{ kind: "VirtualService", namespace: "default", name: "ratings", path: "spec.http[0].route[0].destination.subset", message: "too late", code: "FieldValueInvalid" }] }, { status: 422 });
    const r = await run(memoryIO({ files: { "ratings.yaml": DANGLING }, fetch: refuse }), "apply", "-f", "ratings.yaml");
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error from server (Invalid): ratings.yaml:12: VirtualService default/ratings: spec.http[0].route[0].destination.subset: too late\n");
  });

  it("prints 409 and 413 with their reasons", async () => {
    const conflict = () => Response.json({ errors: [{ kind: "VirtualService", namespace: "default", name: "ratings", path: "metadata.resourceVersion", message: "stale", code: "Conflict" }] }, { status: 409 });
    let r = await run(memoryIO({ files: { "r.yaml": DANGLING }, fetch: conflict }), "apply", "-f", "r.yaml");
    expect(r.err).toMatch(/^Error from server \(Conflict\): r\.yaml:\d+: VirtualService default\/ratings: metadata\.resourceVersion: stale/);
    const big = () => Response.json({ errors: [{ code: "TooLarge", message: "request body is larger than 1048576 bytes (1 MiB)" }] }, { status: 413 });
    r = await run(memoryIO({ files: { "r.yaml": DANGLING }, fetch: big }), "apply", "-f", "r.yaml");
    expect(r.err).toBe("Error from server (RequestEntityTooLarge): request body is larger than 1048576 bytes (1 MiB)\n");
  });

  it("-n fills in missing namespaces and refuses a conflicting one", async () => {
    const io = memoryIO({ files: { "r.yaml": DANGLING, "other.yaml": DANGLING.replace("name: ratings", "name: ratings\n  namespace: prod") }, fetch: fakeServer({ "POST /_mesh/apply": ok }) });
    let r = await run(io, "apply", "-f", "r.yaml", "-n", "staging");
    expect(r.code).toBe(0);
    expect((JSON.parse(io.requests[0]!.body) as Array<{ metadata: { namespace: string } }>)[0]!.metadata.namespace).toBe("staging");
    r = await run(io, "apply", "-f", "other.yaml", "-n", "staging");
    expect(r.code).toBe(1);
    expect(r.err).toContain(`the namespace from the provided object "prod" does not match the namespace "staging"`);
  });

  it("refuses a path that does not exist and an input with no objects", async () => {
    let r = await run(memoryIO({ files: {} }), "apply", "-f", "nope.yaml");
    expect(r).toMatchObject({ code: 1, err: 'error: the path "nope.yaml" does not exist\n' });
    r = await run(memoryIO({ files: { "empty.yaml": "---\n" } }), "apply", "-f", "empty.yaml");
    expect(r).toMatchObject({ code: 1, err: "error: no objects passed to apply\n" });
  });

  it("-o json prints the server's answer", async () => {
    const r = await run(memoryIO({ files: { "r.yaml": DANGLING }, fetch: fakeServer({ "POST /_mesh/apply": ok }) }), "apply", "-f", "r.yaml", "-o", "json");
    expect(JSON.parse(r.out)).toMatchObject({ version: 7, results: [{ name: "ratings", action: "created" }] });
  });
});

describe("delete", () => {
  it("-f posts the documents and prints deleted / NotFound lines", async () => {
    const io = memoryIO({
      files: BOOKINFO,
      fetch: fakeServer({
        "POST /_mesh/delete": () => applied([["Gateway", "default", "bookinfo-gateway", "deleted"], ["VirtualService", "default", "reviews", "notfound"]]),
      }),
    });
    let r = await run(io, "delete", "-f", "bookinfo/gateway.yaml");
    expect(io.requests[0]!.url.pathname).toBe("/_mesh/delete");
    expect(r.code).toBe(1);
    expect(r.out).toBe('gateway.networking.istio.io "bookinfo-gateway" deleted\n');
    expect(r.err).toBe('Error from server (NotFound): virtualservices.networking.istio.io "reviews" not found\n');
    r = await run(io, "delete", "-f", "bookinfo/gateway.yaml", "--ignore-not-found");
    expect(r).toMatchObject({ code: 0, err: "" });
  });

  it("-f still deletes when only the spec is invalid (identity is enough)", async () => {
    const io = memoryIO({ files: { "broken.yaml": INVALID }, fetch: fakeServer({ "POST /_mesh/delete": () => applied([["VirtualService", "default", "broken", "deleted"]]) }) });
    const r = await run(io, "delete", "-f", "broken.yaml");
    expect(r.code).toBe(0);
    expect(r.out).toBe('virtualservice.networking.istio.io "broken" deleted\n');
  });

  it("KIND NAME... sends one DELETE per name", async () => {
    const io = memoryIO({
      fetch: fakeServer({
        "DELETE /_mesh/apis/networking.istio.io/v1/namespaces/prod/destinationrules/reviews": () => applied([["DestinationRule", "prod", "reviews", "deleted"]]),
      }),
    });
    const r = await run(io, "delete", "dr", "reviews", "ratings", "-n", "prod");
    expect(io.requests.map((q) => `${q.method} ${q.url.pathname}`)).toEqual([
      "DELETE /_mesh/apis/networking.istio.io/v1/namespaces/prod/destinationrules/reviews",
      "DELETE /_mesh/apis/networking.istio.io/v1/namespaces/prod/destinationrules/ratings",
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('destinationrule.networking.istio.io "reviews" deleted\n');
    expect(r.err).toBe('Error from server (NotFound): destinationrules.networking.istio.io "ratings" not found\n');
  });
});

describe("get", () => {
  const vs = (name: string, namespace = "default") => ({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, namespace, creationTimestamp: "2026-11-26T11:57:00Z", resourceVersion: "3" },
    spec: { hosts: [name], gateways: ["bookinfo-gateway"] },
  });
  const server = fakeServer({
    "GET /_mesh/apis/networking.istio.io/v1/namespaces/default/virtualservices": () => Response.json({ kind: "VirtualServiceList", items: [vs("reviews"), vs("ratings")] }),
    "GET /_mesh/apis/networking.istio.io/v1/virtualservices": () => Response.json({ items: [vs("reviews"), vs("ratings", "prod")] }),
    "GET /_mesh/apis/networking.istio.io/v1/namespaces/default/virtualservices/reviews": () => Response.json(vs("reviews")),
    "GET /_mesh/apis/networking.istio.io/v1/namespaces/empty/virtualservices": () => Response.json({ items: [] }),
  });

  it("lists a namespace as a kubectl table", async () => {
    const r = await run(memoryIO({ fetch: server }), "get", "virtualservices");
    expect(r.out).toBe(
      'NAME      GATEWAYS               HOSTS         AGE\nreviews   ["bookinfo-gateway"]   ["reviews"]   3m\nratings   ["bookinfo-gateway"]   ["ratings"]   3m\n',
    );
  });

  it("-A lists every namespace with a NAMESPACE column", async () => {
    const r = await run(memoryIO({ fetch: server }), "get", "VirtualService", "-A");
    expect(r.out.split("\n")[0]).toBe("NAMESPACE   NAME      GATEWAYS               HOSTS         AGE");
    expect(r.out).toContain("prod        ratings");
  });

  it("one resource by kind/name or kind name, as yaml, json or name", async () => {
    let r = await run(memoryIO({ fetch: server }), "get", "vs/reviews", "-o", "yaml");
    expect(r.out).toMatch(/^apiVersion: networking\.istio\.io\/v1\nkind: VirtualService\nmetadata:\n  name: reviews/);
    r = await run(memoryIO({ fetch: server }), "get", "vs", "reviews", "-o", "json");
    expect(JSON.parse(r.out)).toMatchObject({ kind: "VirtualService", metadata: { name: "reviews" } });
    r = await run(memoryIO({ fetch: server }), "get", "vs", "-o", "name");
    expect(r.out).toBe("virtualservice.networking.istio.io/reviews\nvirtualservice.networking.istio.io/ratings\n");
  });

  it("a list as yaml is a v1 List", async () => {
    const r = await run(memoryIO({ fetch: server }), "get", "vs", "-o", "yaml");
    expect(r.out).toMatch(/^apiVersion: v1\nitems:\n/);
    expect(r.out).toMatch(/kind: List\nmetadata:\n  resourceVersion: ""\n$/);
  });

  it("says when there is nothing, and when a name is not found", async () => {
    let r = await run(memoryIO({ fetch: server }), "get", "vs", "-n", "empty");
    expect(r).toMatchObject({ code: 0, out: "", err: "No resources found in empty namespace.\n" });
    r = await run(memoryIO({ fetch: server }), "get", "vs", "nope");
    expect(r).toMatchObject({ code: 1, err: 'Error from server (NotFound): virtualservices.networking.istio.io "nope" not found\n' });
  });
});

describe("explain, config-dump, history, rollback, version", () => {
  it("explain posts {method,url,headers} and prints the decision as yaml (or raw json)", async () => {
    const decision = { virtualHost: "bookinfo.local", route: { name: "reviews.default.0" }, destination: { host: "reviews.default.svc.cluster.local", subset: "v1" } };
    const io = memoryIO({ fetch: fakeServer({ "POST /_mesh/explain": () => Response.json(decision) }) });
    let r = await run(io, "explain", "post", "/reviews/0", "-H", "Host: bookinfo.local", "-H", "end-user:jason");
    expect(JSON.parse(io.requests[0]!.body)).toEqual({ method: "POST", url: "http://bookinfo.local/reviews/0", headers: { host: "bookinfo.local", "end-user": "jason" } });
    expect(r.out).toContain("virtualHost: bookinfo.local\nroute:\n  name: reviews.default.0\n");
    r = await run(io, "explain", "http://bookinfo.local/", "-o", "json");
    expect(JSON.parse(io.requests[1]!.body)).toMatchObject({ method: "GET", url: "http://bookinfo.local/" });
    expect(JSON.parse(r.out)).toEqual(decision);
  });

  it("config-dump pretty-prints the snapshot", async () => {
    const r = await run(memoryIO({ fetch: fakeServer({ "GET /_mesh/config_dump": () => Response.json({ version: 2, virtualHosts: [] }) }) }), "config-dump");
    expect(r.out).toBe('{\n  "version": 2,\n  "virtualHosts": []\n}\n');
  });

  it("history is a VERSION CREATED CAUSE RESOURCES table, oldest first", async () => {
    const items = [
      { version: 2, createdAt: "2026-11-26T11:00:05.123Z", cause: "rollback to 1", resources: 4 },
      { version: 1, createdAt: "2026-11-26T10:59:00.000Z", cause: "apply", resources: 4 },
    ];
    const r = await run(memoryIO({ fetch: fakeServer({ "GET /_mesh/history": () => Response.json({ items }) }) }), "history");
    expect(r.out).toBe(
      "VERSION   CREATED                CAUSE           RESOURCES\n" +
        "1         2026-11-26T10:59:00Z   apply           4\n" +
        "2         2026-11-26T11:00:05Z   rollback to 1   4\n",
    );
  });

  it("rollback posts {version} and prints what changed", async () => {
    const io = memoryIO({ fetch: fakeServer({ "POST /_mesh/rollback": () => applied([["VirtualService", "default", "reviews", "configured"]]) }) });
    const r = await run(io, "rollback", "3");
    expect(JSON.parse(io.requests[0]!.body)).toEqual({ version: 3 });
    expect(r.out).toBe("virtualservice.networking.istio.io/reviews configured\nrolled back to version 3: now at version 7\n");
  });

  it("rollback to a version that is gone prints the server's reason", async () => {
    const gone = () => Response.json({ errors: [{ kind: "", namespace: "", name: "", path: "version", code: "NotFound", message: "version 99 is not in the history" }] }, { status: 404 });
    const r = await run(memoryIO({ fetch: gone }), "rollback", "99");
    expect(r).toMatchObject({ code: 1, err: "Error from server (NotFound): version: version 99 is not in the history\n" });
  });

  it("version --client makes no call; -o json has both", async () => {
    let io = memoryIO();
    let r = await run(io, "version", "--client");
    expect(r).toMatchObject({ code: 0, out: "client version: 0.1.0\n" });
    expect(io.requests).toHaveLength(0);
    io = memoryIO({ fetch: () => Response.json({ version: 5 }) });
    r = await run(io, "version", "-o", "json");
    expect(JSON.parse(r.out)).toEqual({ clientVersion: "0.1.0", server: { url: "http://127.0.0.1:8787", version: 5 } });
  });
});
