/**
 * ConfigStore Durable Object: atomic applies, versions, history limit, concurrency without lost updates.
 * Driven through its RPC surface (the same calls the admin API makes) and through the admin API.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Resource } from "../../src/config/resource.js";
import type { ConfigStoreApi } from "../../src/config/store-api.js";
import { HISTORY_LIMIT } from "../../src/durable/config-store.js";
import { applyYaml, version } from "../helpers/admin.js";

const store = () => env.CONFIG_STORE.getByName("config") as unknown as ConfigStoreApi;

const se = (name: string, address = "127.0.0.1"): Resource => ({
  apiVersion: "networking.istio.io/v1",
  kind: "ServiceEntry",
  metadata: { name, namespace: "default" },
  spec: { hosts: [`${name}.example.internal`], resolution: "STATIC", ports: [{ number: 80, name: "http", protocol: "HTTP" }], endpoints: [{ address }] },
});

describe("ConfigStore", () => {
  it("stamps resourceVersion, creationTimestamp and generation", async () => {
    const out = await store().apply([se("stamp-a")]);
    expect(out.ok).toBe(true);
    const r = await store().get({ kind: "ServiceEntry", namespace: "default", name: "stamp-a" });
    expect(r?.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(r?.metadata.generation).toBe(1);
    const created = r!.metadata.creationTimestamp;
    await store().apply([se("stamp-a", "127.0.0.9")]);
    const r2 = await store().get({ kind: "ServiceEntry", namespace: "default", name: "stamp-a" });
    expect(r2?.metadata.generation).toBe(2);
    expect(r2?.metadata.creationTimestamp).toBe(created);
    expect(Number(r2!.metadata.resourceVersion)).toBeGreaterThan(Number(r!.metadata.resourceVersion));
  });

  it("refuses a whole apply when one resource has a stale resourceVersion (all or nothing)", async () => {
    await store().apply([se("atomic-a")]);
    const v0 = await store().version();
    const stale = { ...se("atomic-a", "127.0.0.3"), metadata: { name: "atomic-a", namespace: "default", resourceVersion: "1" } };
    const out = await store().apply([se("atomic-new"), stale]);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.status).toBe(409);
    expect(await store().version()).toBe(v0);
    expect(await store().get({ kind: "ServiceEntry", namespace: "default", name: "atomic-new" })).toBeNull();
  });

  it("serialises concurrent applies: no update is lost and versions are distinct", async () => {
    const v0 = await version();
    const n = 12;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => applyYaml(JSON.stringify(se(`concurrent-${i}`)))),
    );
    const versions = await Promise.all(results.map(async (r) => ((await r.json()) as { version: number }).version));
    expect(new Set(versions).size).toBe(n);
    expect(Math.max(...versions)).toBe(v0 + n);
    const list = await store().list("ServiceEntry", "default");
    for (let i = 0; i < n; i++) expect(list.map((r) => r.metadata.name)).toContain(`concurrent-${i}`);
  });

  it("keeps the last 50 versions and refuses to roll back past them", async () => {
    for (let i = 0; i < HISTORY_LIMIT + 3; i++) await store().apply([se("churn", `127.0.1.${i}`)]);
    const history = await store().history();
    expect(history).toHaveLength(HISTORY_LIMIT);
    const oldest = history.at(-1)!.version;
    const gone = await store().rollback(oldest - 1);
    expect(gone.ok).toBe(false);
    const back = await store().rollback(oldest);
    expect(back.ok).toBe(true);
  });

  it("serves the compiled snapshot, and null when the caller is current", async () => {
    const current = await store().version();
    const snap = await store().snapshot();
    expect(snap?.version).toBe(current);
    expect(JSON.parse(snap!.json).version).toBe(current);
    expect(await store().snapshot(current)).toBeNull();
  });

  it("deleting reports notfound for missing resources and changes nothing else", async () => {
    const v0 = await store().version();
    const out = await store().delete([{ kind: "ServiceEntry", namespace: "default", name: "never-was" }]);
    expect(out.ok && out.results[0]!.action).toBe("notfound");
    expect(await store().version()).toBe(v0);
  });
});
