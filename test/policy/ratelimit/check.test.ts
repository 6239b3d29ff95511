/**
 * The per-request half through its public API: YAML → compile → buildRateLimiter → check(request, now).
 * Local mode with real per-isolate counters; global mode with an in-memory store that counts calls
 * and fails on demand (the real Durable Object is in rate-limiter-do.test.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LocalCounters } from "../../../src/policy/ratelimit/local-counters.js";
import { buildRateLimiter, type RateLimitOutcome } from "../../../src/policy/ratelimit/rate-limiter.js";
import { FakeGlobalStore, GATEWAY, limiter, request, table } from "./harness.js";

const policy = (spec: string, meta = "name: p, namespace: istio-system") => `
apiVersion: policy.isthmus.dev/v1alpha1
kind: RateLimitPolicy
metadata: { ${meta} }
spec:
${spec.replace(/^\n/, "").replace(/^/gm, "  ")}
`;
const PER_IP = policy("rules: [{name: per-ip, key: [{remoteAddress: {}}], tokenBucket: {maxTokens: 3, fillInterval: 1s}}]");

async function times(n: number, fn: () => RateLimitOutcome | Promise<RateLimitOutcome>): Promise<RateLimitOutcome[]> {
  const out: RateLimitOutcome[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}
const admitted = (os: RateLimitOutcome[]) => os.map((o) => (o.limited ? "-" : "+")).join("");

describe("local mode", () => {
  it("admits maxTokens, then answers 429 local_rate_limited like Envoy", async () => {
    const rl = limiter(PER_IP);
    const os = await times(4, () => rl.check(request(), 1000));
    expect(admitted(os)).toBe("+++-");
    expect(os[0]!.headers).toEqual({ "x-ratelimit-limit": "3", "x-ratelimit-remaining": "2", "x-ratelimit-reset": "1" });
    const last = os[3]!;
    if (!last.limited) throw new Error("expected limited");
    expect(last.reply).toEqual({
      status: 429,
      body: "local_rate_limited",
      flag: "RL",
      details: "request_rate_limited",
      headers: { "x-envoy-ratelimited": "true", "x-ratelimit-limit": "3", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1" },
    });
    expect(last.by).toBe("istio-system/p/per-ip");
    expect(last.globalCalls).toBe(0);
  });

  it("keys apart: another client has its own bucket", async () => {
    const rl = limiter(PER_IP);
    await times(3, () => rl.check(request(), 0));
    expect((await rl.check(request(), 0)).limited).toBe(true);
    expect((await rl.check(request({ remoteIp: "198.51.100.1" }), 0)).limited).toBe(false);
  });

  it("refills on the fill interval", async () => {
    const rl = limiter(PER_IP);
    await times(3, () => rl.check(request(), 0));
    expect((await rl.check(request(), 999)).limited).toBe(true);
    expect((await rl.check(request(), 1000)).limited).toBe(false);
    expect((await rl.check(request(), 1001)).limited).toBe(true);
  });

  it("parallel requests in one isolate: exactly maxTokens admitted", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), async (n) => {
        const rl = limiter(PER_IP);
        const os = await Promise.all(Array.from({ length: n }, () => rl.check(request(), 0)));
        expect(os.filter((o) => !o.limited)).toHaveLength(Math.min(n, 3));
      }),
      { numRuns: 20 },
    );
  });

  it("a rule whose key is missing does not apply", async () => {
    const rl = limiter(policy("rules: [{name: per-key, key: [{header: {name: x-api-key}}], fixedWindow: {requests: 1, unit: minute}}]"));
    const os = await times(3, () => rl.check(request(), 0));
    expect(admitted(os)).toBe("+++");
    expect(os[0]!.headers).toBeUndefined();
    expect(admitted(await times(2, () => rl.check(request({ h: { "x-api-key": "k" } }), 0)))).toBe("+-");
  });

  describe("match", () => {
    const rl = () =>
      limiter(policy(`rules:
- name: api-writes
  match: [{uri: {prefix: /api}, method: {regex: "POST|PUT"}, withoutHeaders: {x-internal: {}}}, {uri: {exact: /login}, ignoreUriCase: true}]
  fixedWindow: {requests: 1, unit: minute}`));
    const rows: { name: string; req: Parameters<typeof request>[0]; applies: boolean }[] = [
      { name: "prefix and method", req: { path: "/api/items", method: "POST" }, applies: true },
      { name: "query string ignored", req: { path: "/api?x=1", method: "PUT" }, applies: true },
      { name: "method regex is a full match", req: { path: "/api/items", method: "POSTX" }, applies: false },
      { name: "other method", req: { path: "/api/items", method: "GET" }, applies: false },
      { name: "withoutHeaders present", req: { path: "/api/items", method: "POST", h: { "x-internal": "1" } }, applies: false },
      { name: "second block, case-insensitive uri", req: { path: "/LOGIN", method: "GET" }, applies: true },
      { name: "no block", req: { path: "/other" }, applies: false },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const l = rl();
        const os = await times(2, () => l.check(request(row.req), 0));
        expect(admitted(os)).toBe(row.applies ? "+-" : "++");
      });
    }
  });

  describe("attachment", () => {
    const rows: { name: string; yaml: string; req: Parameters<typeof request>[0]; applies: boolean }[] = [
      { name: "workload policy: every request", yaml: policy("rules: [{name: r, fixedWindow: {requests: 1, unit: minute}}]"), req: {}, applies: true },
      { name: "workload policy: east-west too", yaml: policy("rules: [{name: r, fixedWindow: {requests: 1, unit: minute}}]"), req: { listener: "mesh", host: "reviews" }, applies: true },
      ...(["gateway", "mesh"] as const).map((listener) => ({
        name: `Gateway target, ${listener} listener`,
        yaml: GATEWAY + "---" + policy("targetRefs: [{kind: Gateway, name: bookinfo-gateway}]\nrules: [{name: r, fixedWindow: {requests: 1, unit: minute}}]"),
        req: { listener, host: "bookinfo.example.com:80" },
        applies: listener === "gateway",
      })),
      {
        name: "Gateway server: host served on another port",
        yaml: GATEWAY + "---" + policy("targetRefs: [{kind: Gateway, name: bookinfo-gateway, sectionName: http}]\nrules: [{name: r, fixedWindow: {requests: 1, unit: minute}}]"),
        req: { host: "bookinfo.example.com", port: 8080 },
        applies: false,
      },
      {
        name: "Gateway server: other host",
        yaml: GATEWAY + "---" + policy("targetRefs: [{kind: Gateway, name: bookinfo-gateway, sectionName: http}]\nrules: [{name: r, fixedWindow: {requests: 1, unit: minute}}]"),
        req: { host: "admin.example.com", port: 80 },
        applies: false,
      },
      ...[
        { routeName: "reviews-v2", virtualService: "default/bookinfo", applies: true },
        { routeName: "reviews-v2.jason", virtualService: "default/bookinfo", applies: true },
        { routeName: "reviews-v2x", virtualService: "default/bookinfo", applies: false },
        { routeName: "reviews-v2", virtualService: "default/other", applies: false },
        { routeName: undefined, virtualService: "default/bookinfo", applies: false },
      ].map((r) => ({
        name: `route target: ${r.virtualService} ${r.routeName}`,
        yaml: policy("targetRefs: [{kind: VirtualService, name: bookinfo, sectionName: reviews-v2}]\nrules: [{name: r, fixedWindow: {requests: 1, unit: minute}}]", "name: p, namespace: default"),
        req: { routeName: r.routeName, virtualService: r.virtualService },
        applies: r.applies,
      })),
      ...[
        { host: "api.example.com", applies: true },
        { host: "API.Example.com:443", applies: true },
        { host: "example.com", applies: false },
      ].map((r) => ({
        name: `hosts *.example.com: ${r.host}`,
        yaml: policy('hosts: ["*.example.com"]\nrules: [{name: r, fixedWindow: {requests: 1, unit: minute}}]', "name: p, namespace: default"),
        req: { host: r.host },
        applies: r.applies,
      })),
      { name: "policy in an app namespace without targets: nothing", yaml: policy("rules: [{name: r, fixedWindow: {requests: 1, unit: minute}}]", "name: p, namespace: default"), req: {}, applies: false },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const l = limiter(row.yaml);
        expect(admitted(await times(2, () => l.check(request(row.req), 0)))).toBe(row.applies ? "+-" : "++");
      });
    }
  });

  it("shadow: never limits, reports what it would have done", async () => {
    const rl = limiter(policy("shadow: true\nrules: [{name: r, fixedWindow: {requests: 1, unit: minute}}]"));
    const [a, b] = await times(2, () => rl.check(request(), 30_000));
    expect(a).toMatchObject({ limited: false, shadowLimited: [] });
    expect(b).toMatchObject({ limited: false, shadowLimited: ["istio-system/p/r"] });
    expect(b!.headers).toEqual({ "x-ratelimit-limit": "1", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "30" });
  });

  it("a limited request takes nothing from the other rules", async () => {
    const rl = limiter(policy(`rules:
- {name: burst, tokenBucket: {maxTokens: 2, fillInterval: 1s}}
- {name: minute, fixedWindow: {requests: 3, unit: minute}}`));
    expect(admitted(await times(4, () => rl.check(request(), 0)))).toBe("++--");
    // The two refused requests used no minute budget: one more fits after the refill.
    const o = await rl.check(request(), 1000);
    expect(o.limited).toBe(false);
    expect(o.headers?.["x-ratelimit-remaining"]).toBe("0");
    expect((await rl.check(request(), 2000)).limited).toBe(true);
  });

  it("headers describe the rule closest to its limit", async () => {
    const rl = limiter(policy(`rules:
- {name: big, fixedWindow: {requests: 100, unit: minute}}
- {name: small, tokenBucket: {maxTokens: 5, fillInterval: 10s}}`));
    const o = await rl.check(request(), 0);
    expect(o.headers).toEqual({ "x-ratelimit-limit": "5", "x-ratelimit-remaining": "4", "x-ratelimit-reset": "10" });
    expect(o.decisions.map((d) => d.rule)).toEqual(["istio-system/p/big", "istio-system/p/small"]);
  });

  it("shadow and enforced policies side by side", async () => {
    const rl = limiter(
      policy("rules: [{name: r, fixedWindow: {requests: 2, unit: minute}}]", "name: enforced, namespace: istio-system") +
        "---" +
        policy("shadow: true\nrules: [{name: r, fixedWindow: {requests: 1, unit: minute}}]", "name: trial, namespace: istio-system"),
    );
    const os = await times(3, () => rl.check(request(), 0));
    expect(admitted(os)).toBe("++-");
    expect(os[1]).toMatchObject({ limited: false, shadowLimited: ["istio-system/trial/r"] });
    // Headers follow the enforced rule, not the shadow one.
    expect(os[1]!.headers?.["x-ratelimit-limit"]).toBe("2");
  });

  it("counters survive a new snapshot when the LocalCounters instance is shared", async () => {
    const local = new LocalCounters();
    const a = buildRateLimiter(table(PER_IP), { local });
    await times(3, () => a.check(request(), 0));
    const b = buildRateLimiter(table(PER_IP), { local });
    expect((await b.check(request(), 0)).limited).toBe(true);
  });

  it("local counters are bounded", async () => {
    const local = new LocalCounters(10);
    const rl = buildRateLimiter(table(PER_IP), { local });
    for (let i = 0; i < 50; i++) await rl.check(request({ remoteIp: `10.0.0.${i}` }), 0);
    expect(local.size).toBe(10);
  });

  it("an empty table: nothing to do", async () => {
    const rl = buildRateLimiter(undefined);
    expect(rl.empty).toBe(true);
    expect(await rl.check(request())).toEqual({ limited: false, decisions: [], shadowLimited: [], failedOpen: [], globalCalls: 0 });
    expect(buildRateLimiter(table(policy("rules: [{name: r, fixedWindow: {requests: 1, unit: minute}}]", "name: p, namespace: default"))).empty).toBe(true);
  });
});

describe("global mode (in-memory store)", () => {
  const GLOBAL = (extra = "") =>
    policy(`mode: global\n${extra}rules:
- {name: per-ip, key: [{remoteAddress: {}}], tokenBucket: {maxTokens: 2, fillInterval: 1h}}
- {name: per-ip-day, key: [{remoteAddress: {}}], fixedWindow: {requests: 100, unit: day}}
- {name: per-key, key: [{header: {name: x-api-key}}], fixedWindow: {requests: 1, unit: minute}}`);

  it("one call per request when the rules share a key; the shard is named after the first rule", async () => {
    const store = new FakeGlobalStore();
    const rl = limiter(GLOBAL(), { global: store });
    expect(rl.hasGlobal).toBe(true);
    const o = await rl.check(request(), 0);
    expect(o.globalCalls).toBe(1);
    expect(store.calls).toHaveLength(1);
    expect(store.calls[0]!.shard).toBe("rl:istio-system/p:per-ip:203.0.113.7");
    expect(store.calls[0]!.takes.map((t) => t.rule)).toEqual(["istio-system/p/per-ip", "istio-system/p/per-ip-day"]);
  });

  it("rules with different keys: one call per shard, all in parallel", async () => {
    const store = new FakeGlobalStore();
    const rl = limiter(GLOBAL(), { global: store });
    const o = await rl.check(request({ h: { "x-api-key": "k" } }), 0);
    expect(o.globalCalls).toBe(2);
    expect(store.calls.map((c) => c.shard)).toEqual(["rl:istio-system/p:per-ip:203.0.113.7", "rl:istio-system/p:per-key:k"]);
  });

  it("limits like local mode", async () => {
    const rl = limiter(GLOBAL(), { global: new FakeGlobalStore() });
    const os = await times(3, () => rl.check(request(), 0));
    expect(admitted(os)).toBe("++-");
    expect(os[2]).toMatchObject({ limited: true, by: "istio-system/p/per-ip", reply: { status: 429, body: "local_rate_limited", flag: "RL" } });
  });

  it("a request a local rule limited makes no global call", async () => {
    const store = new FakeGlobalStore();
    const yaml = GLOBAL() + "---" + policy("rules: [{name: r, fixedWindow: {requests: 1, unit: minute}}]", "name: local, namespace: istio-system");
    const rl = limiter(yaml, { global: store });
    await rl.check(request(), 0);
    const o = await rl.check(request(), 0);
    expect(o).toMatchObject({ limited: true, by: "istio-system/local/r", globalCalls: 0 });
    expect(store.calls).toHaveLength(1);
  });

  const failures: { name: string; fail: "throw" | "hang" | "missing"; extra: string; outcome: object }[] = [
    { name: "error: fails open by default", fail: "throw", extra: "", outcome: { limited: false, failedOpen: ["istio-system/p"] } },
    { name: "no store: fails open", fail: "missing", extra: "", outcome: { limited: false, failedOpen: ["istio-system/p"], globalCalls: 0 } },
    { name: "timeout: fails open", fail: "hang", extra: "timeout: 20ms\n", outcome: { limited: false, failedOpen: ["istio-system/p"] } },
    { name: "error with failureModeDeny: 500 RLSE", fail: "throw", extra: "failureModeDeny: true\n", outcome: { limited: true, by: "istio-system/p", reply: { status: 500, body: "", flag: "RLSE" } } },
    { name: "timeout with failureModeDeny: 500 RLSE", fail: "hang", extra: "failureModeDeny: true\ntimeout: 20ms\n", outcome: { limited: true, reply: { status: 500, flag: "RLSE" } } },
    { name: "shadow never denies, even with failureModeDeny", fail: "throw", extra: "shadow: true\nfailureModeDeny: true\n", outcome: { limited: false, failedOpen: ["istio-system/p"] } },
  ];
  for (const row of failures) {
    it(row.name, async () => {
      const store = new FakeGlobalStore();
      if (row.fail !== "missing") store.fail = row.fail;
      const rl = limiter(GLOBAL(row.extra), row.fail === "missing" ? {} : { global: store });
      const o = await rl.check(request(), 0);
      expect(o).toMatchObject(row.outcome);
      expect(o.headers).toBeUndefined();
    });
  }
});

describe("global mode, leased (lease-book.ts)", () => {
  it("answers without a promise once this isolate holds a lease: the stage stays synchronous, as for local limits", async () => {
    const { LeaseBook, leasingStore } = await import("../../../src/policy/ratelimit/lease-book.js");
    let now = 10_000;
    let calls = 0;
    // An object that lends what the caller's rate asks for (cf. lease.ts), for a second.
    const inner = {
      async take(_shard: string, _key: string, takes: { rate?: number; limit: { type: string } }[]) {
        calls++;
        return takes.map((t) => ({ allowed: true, remaining: 10_000, resetMs: 1000, limit: 100_000, ...(t.rate ? { leased: t.rate, leaseMs: 1000, window: 0 } : {}) }));
      },
    };
    const store = leasingStore(inner as never, new LeaseBook(0), { now: () => now });
    const rl = limiter(policy("mode: global\nrules: [{name: big, key: [{remoteAddress: {}}], tokenBucket: {maxTokens: 100000, fillInterval: 1s}}]"), { global: store });
    const outcomes: (RateLimitOutcome | Promise<RateLimitOutcome>)[] = [];
    for (let i = 0; i < 20; i++) {
      outcomes.push(rl.check(request(), now));
      await outcomes[i];
      now += 10;
    }
    const sync = outcomes.map((o) => !(o instanceof Promise));
    expect(sync.slice(0, 2)).toEqual([false, false]); // no lease yet: the object is asked (awaited)
    // Then answered from the lease, with no promise, but for the calls that grow the lease with the rate.
    expect(sync.filter((x) => !x).length).toBe(calls);
    expect(sync.slice(-9).every(Boolean)).toBe(true);
    expect(((await outcomes[19]) as RateLimitOutcome).limited).toBe(false);
    expect(calls).toBeLessThan(5);
  });
});
