/**
 * `isthmus analyze`: offline by default (the analyzer the server runs, on the files alone), istioctl's
 * output and exit codes; `--use-server` posts the files to the admin API instead.
 */
import { describe, expect, it } from "vitest";
import { BOOKINFO, DANGLING, fakeServer, INVALID, memoryIO, run } from "./harness.js";

const files = { ...BOOKINFO, "ratings.yaml": DANGLING, "broken.yaml": INVALID, "syntax.yaml": "kind: [\n", "empty/readme.md": "# nothing\n" };

describe("analyze (offline)", () => {
  it("a self-contained, correct set: the ✔ line on stderr, nothing on stdout, exit 0, no server call", async () => {
    const io = memoryIO({ files });
    const r = await run(io, "analyze", "bookinfo");
    expect(r).toEqual({ code: 0, out: "", err: "\u2714 No validation issues found when analyzing bookinfo/gateway.yaml, bookinfo/reviews.yaml.\n" });
    expect(io.requests).toHaveLength(0);
  });

  it("prints findings istioctl-style with file:line and exits 79", async () => {
    const r = await run(memoryIO({ files }), "analyze", "bookinfo", "ratings.yaml");
    expect(r.code).toBe(79);
    expect(r.out).toBe(
      'Error [IST0101] (VirtualService default/ratings ratings.yaml:11) Referenced host not found: "ratings"\n' +
        'Error [IST0101] (VirtualService default/ratings ratings.yaml:11) Referenced host+subset in destinationrule not found: "ratings+v9"\n',
    );
    expect(r.err).toBe(
      "Error: Analyzers found issues when analyzing bookinfo/gateway.yaml, bookinfo/reviews.yaml, ratings.yaml.\n" +
        "See https://istio.io/latest/docs/reference/config/analysis for more information about causes and resolutions.\n",
    );
  });

  it("reports what the webhook would refuse as IST0106", async () => {
    const r = await run(memoryIO({ files }), "analyze", "broken.yaml");
    expect(r.code).toBe(79);
    expect(r.out).toMatch(/^Error \[IST0106\] \(VirtualService default\/broken broken\.yaml:12\) Schema validation error: spec\.http\[0\]\.timeout: invalid duration "5 seconds"/);
  });

  it("reads stdin as <stdin>", async () => {
    const r = await run(memoryIO({ files, stdin: DANGLING }), "analyze", "-");
    expect(r.out).toContain("(VirtualService default/ratings <stdin>:11)");
  });

  it("-n gives the namespace to documents without one", async () => {
    const r = await run(memoryIO({ files }), "analyze", "ratings.yaml", "-n", "prod");
    expect(r.out).toContain("(VirtualService prod/ratings ratings.yaml:11)");
  });

  it("a file that cannot be parsed: reported, the rest analyzed, exit 65", async () => {
    const r = await run(memoryIO({ files }), "analyze", "syntax.yaml", "bookinfo");
    expect(r.code).toBe(65);
    expect(r.err).toMatch(/^Error\(s\) adding files: syntax\.yaml:\d+: YAML syntax error/);
    expect(r.err).toContain("(but 1 file could not be parsed)");
    expect(r.err).toContain("Error: Some files couldn't be parsed.");
  });

  it("a folder with no config files is an error, not a pass", async () => {
    const r = await run(memoryIO({ files }), "analyze", "empty");
    expect(r).toMatchObject({ code: 1, err: "error: no config files (*.yaml, *.yml, *.json) found in empty\n" });
  });

  it("thresholds: --output-threshold hides, --failure-threshold decides the exit code", async () => {
    let r = await run(memoryIO({ files }), "analyze", "ratings.yaml", "--failure-threshold", "Error", "--output-threshold=Error");
    expect(r.code).toBe(79);
    r = await run(memoryIO({ files }), "analyze", "bookinfo", "--failure-threshold", "Info");
    expect(r.code).toBe(0);
  });

  it("-o json / yaml: the messages with their documentation links", async () => {
    let r = await run(memoryIO({ files }), "analyze", "ratings.yaml", "-o", "json");
    expect(r.code).toBe(79);
    const messages = JSON.parse(r.out) as Array<Record<string, unknown>>;
    expect(messages[0]).toMatchObject({
      code: "IST0101", level: "Error", kind: "VirtualService", namespace: "default", name: "ratings", file: "ratings.yaml", line: 11,
      documentationUrl: "https://istio.io/latest/docs/reference/config/analysis/ist0101/",
    });
    r = await run(memoryIO({ files }), "analyze", "ratings.yaml", "-o", "yaml");
    expect(r.out).toMatch(/^- code: IST0101\n/);
  });

  it("the gateway workload comes from --gateway-labels / ISTHMUS_GATEWAY_LABELS", async () => {
    // The bookinfo Gateway selects istio=ingressgateway; a gateway labelled otherwise is not selected (IST0101).
    let r = await run(memoryIO({ files }), "analyze", "bookinfo", "--gateway-labels", "app=edge");
    expect(r.code).toBe(79);
    expect(r.out).toContain("(Gateway default/bookinfo-gateway bookinfo/gateway.yaml:");
    r = await run(memoryIO({ files, env: { ISTHMUS_GATEWAY_LABELS: "app=edge" } }), "analyze", "bookinfo");
    expect(r.code).toBe(79);
  });
});

describe("analyze --use-server", () => {
  it("posts the documents and points the server's messages back at the files", async () => {
    const message = {
      code: "IST0101", type: "ReferencedResourceNotFound", level: "Error", kind: "VirtualService", namespace: "default", name: "ratings",
      path: "spec.http[0].route[0].destination.host", message: 'Referenced host not found: "ratings"',
    };
    const io = memoryIO({ files, fetch: fakeServer({ "POST /_mesh/analyze": () => Response.json({ messages: [message] }) }) });
    const r = await run(io, "analyze", "--use-server", "ratings.yaml");
    expect(r.code).toBe(79);
    expect((JSON.parse(io.requests[0]!.body) as unknown[]).length).toBe(1);
    expect(r.out).toBe('Error [IST0101] (VirtualService default/ratings ratings.yaml:11) Referenced host not found: "ratings"\n');
  });

  it("without files analyzes the stored config (empty body)", async () => {
    const io = memoryIO({ fetch: fakeServer({ "POST /_mesh/analyze": () => Response.json({ messages: [] }) }) });
    const r = await run(io, "analyze", "--use-server");
    expect(io.requests[0]!.body).toBe("");
    expect(r).toEqual({ code: 0, out: "", err: "\u2714 No validation issues found when analyzing the config stored at http://127.0.0.1:8787.\n" });
  });
});
