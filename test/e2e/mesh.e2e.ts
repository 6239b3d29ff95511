/**
 * End to end against the local mesh as a user runs it (`npm start`): a real Prometheus scrapes
 * `/_mesh/metrics` with the bearer token while Bookinfo serves traffic, and Debian's Chromium
 * (playwright-core, no browser download) uses the mesh console. Screenshots go to docs/.
 *
 * Run: `npm run e2e` (needs `chromium` and `prometheus` on PATH; .ci/run installs them).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { bookinfoTraffic, promQuery, ROOT, startMesh, startPrometheus, type Started } from "./local-mesh.js";

const MESH_PORT = Number(process.env.E2E_PORT ?? 8803);
const PROM_PORT = Number(process.env.E2E_PROMETHEUS_PORT ?? MESH_PORT + 1000);
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

let mesh: Started & { token: string };
let prometheus: Started;
let browser: Browser;
let page: Page;
let requests = 0;

before(async () => {
  mesh = await startMesh(MESH_PORT);
  prometheus = await startPrometheus(MESH_PORT, mesh.token, PROM_PORT);
  requests = await bookinfoTraffic(mesh.url, 8_000);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
}, { timeout: 240_000 });

after(async () => {
  await browser?.close().catch(() => undefined);
  prometheus?.stop();
  mesh?.stop();
});

describe("Prometheus scrapes the mesh", () => {
  it("sees Bookinfo's requests to reviews through the query API", { timeout: 60_000 }, async () => {
    assert.ok(requests > 10, `only ${requests} Bookinfo requests were sent`);
    // Wait for at least two scrapes after the traffic, so rate() has points.
    let reviews: Awaited<ReturnType<typeof promQuery>> = [];
    for (let i = 0; i < 30; i++) {
      reviews = await promQuery(prometheus.url, `sum(rate(istio_requests_total{destination_service=~"reviews\\\\..*"}[1m]))`);
      if (reviews.length && Number(reviews[0]!.value[1]) > 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.ok(reviews.length === 1 && Number(reviews[0]!.value[1]) > 0, `no rate for reviews: ${JSON.stringify(reviews)}`);
    const up = await promQuery(prometheus.url, `up{job="isthmus"}`);
    assert.equal(up[0]?.value[1], "1", "the scrape with the bearer token must succeed");
    const flags = await promQuery(prometheus.url, `sum by (response_flags, response_code) (istio_requests_total)`);
    assert.ok(flags.some((s) => s.metric.response_flags === "-" && s.metric.response_code === "200"), JSON.stringify(flags));
  });

  it("sum(rate(istio_requests_total{destination_service_name=\"reviews\"}[1m])) > 0 (Istio's labels)", { timeout: 30_000 }, async (t) => {
    // `destination_service_name` is part of Istio's full label set (the metrics aggregate); a gateway
    // whose /_mesh/metrics lacks it skips this one assertion instead of failing the suite.
    const has = await promQuery(prometheus.url, `count(istio_requests_total{destination_service_name!=""})`);
    if (!has.length) {
      t.skip("destination_service_name is not a label of istio_requests_total on this gateway");
      return;
    }
    let result: Awaited<ReturnType<typeof promQuery>> = [];
    for (let i = 0; i < 20; i++) {
      result = await promQuery(prometheus.url, `sum(rate(istio_requests_total{destination_service_name="reviews"}[1m]))`);
      if (result.length && Number(result[0]!.value[1]) > 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.ok(result.length === 1 && Number(result[0]!.value[1]) > 0, JSON.stringify(result));
  });
});

describe("the mesh console in Chromium", () => {
  it("signs in on the token page; the token is in no URL", { timeout: 30_000 }, async () => {
    await page.goto(`${mesh.url}/_mesh/ui`);
    assert.match(page.url(), /\/_mesh\/ui\/login$/);
    await page.fill('input[name="token"]', mesh.token);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${mesh.url}/_mesh/ui`);
    assert.ok(!page.url().includes(mesh.token));
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "isthmus_console");
    assert.ok(session?.httpOnly, "the session cookie is HttpOnly");
    assert.ok(!session.value.includes(mesh.token));
  });

  it("draws the service graph with edges from the metrics, and opens an edge", { timeout: 60_000 }, async () => {
    await page.goto(`${mesh.url}/_mesh/ui?poll=1500`);
    await page.waitForSelector("#graph svg .edge", { timeout: 15_000 });
    // A second poll gives rates; send some traffic in between so edges are live.
    await bookinfoTraffic(mesh.url, 3_500);
    await page.waitForFunction(`[...document.querySelectorAll("#graph svg .edge text")].some((t) => t.textContent.includes("rps"))`, undefined, { timeout: 20_000 });
    const nodes = await page.locator("#graph .node text").allTextContents();
    assert.ok(nodes.includes("istio-ingressgateway"), nodes.join(", "));
    assert.ok(nodes.some((n) => n.startsWith("productpage")), nodes.join(", "));
    assert.ok(nodes.some((n) => n.startsWith("reviews")), nodes.join(", "));
    assert.equal(new Set(nodes).size, nodes.length, `one node per app and version: ${nodes.join(", ")}`);
    const healthy = await page.locator("#graph .edge.healthy").count();
    assert.ok(healthy > 0, "edges with traffic and no 5xx are healthy");
    await page.screenshot({ path: join(ROOT, "docs", "console-graph.png"), fullPage: true });
    // The graph is redrawn at every poll: click in the page itself, so the edge cannot be replaced mid-click.
    await page.evaluate(`document.querySelector('#graph .edge[data-edge*="productpage"]').dispatchEvent(new MouseEvent("click", { bubbles: true }))`);
    await page.waitForSelector("#edge-panel:not([hidden])", { timeout: 10_000 });
    const panel = await page.locator("#edge-panel").textContent();
    assert.match(panel ?? "", /Routes/);
    assert.match(panel ?? "", /Response codes/);
  });

  it("shows config by kind and the history diff; rolls back after the confirmation", { timeout: 45_000 }, async () => {
    // A second version to diff against: Istio's "route all to v1" task.
    const res = await fetch(`${mesh.url}/_mesh/apply`, {
      method: "POST", headers: { authorization: `Bearer ${mesh.token}`, "content-type": "application/yaml" },
      body: await (await import("node:fs/promises")).readFile(join(ROOT, "examples/bookinfo/tasks/virtual-service-reviews-jason-v2.yaml"), "utf8"),
    });
    const applied = (await res.json()) as { version: number };
    assert.equal(res.status, 200);
    await page.goto(`${mesh.url}/_mesh/ui/config`);
    assert.ok((await page.locator("h3").allTextContents()).some((t) => t.startsWith("VirtualService")));
    await page.goto(`${mesh.url}/_mesh/ui/history?from=${applied.version - 1}&to=${applied.version}`);
    const diff = await page.locator("#diff").textContent();
    assert.match(diff ?? "", /jason/);
    await page.screenshot({ path: join(ROOT, "docs", "console-diff.png"), fullPage: true });
    page.once("dialog", (d) => void d.accept());
    await page.click(`[data-rollback="${applied.version - 1}"]`);
    await page.waitForFunction(`document.getElementById("rollback-result")?.textContent?.includes("Rolled back")`);
    const v = (await (await fetch(`${mesh.url}/_mesh/version`, { headers: { authorization: `Bearer ${mesh.token}` } })).json()) as { version: number };
    assert.equal(v.version, applied.version + 1);
  });

  it("explains a request and shows proxy status", { timeout: 30_000 }, async () => {
    await page.goto(`${mesh.url}/_mesh/ui/explain`);
    await page.fill('input[name="url"]', "http://bookinfo.local/productpage");
    await page.click('#explain-form button[type="submit"]');
    await page.waitForSelector("#explain-result .decision");
    assert.match((await page.locator("#explain-result .decision").textContent()) ?? "", /forward/);
    assert.ok((await page.locator("#explain-result .stages li").count()) >= 3);
    await page.goto(`${mesh.url}/_mesh/ui/proxy-status`);
    assert.match((await page.locator("table").textContent()) ?? "", /SYNCED/);
  });
});
