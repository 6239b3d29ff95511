/**
 * The mesh console (`/_mesh/ui`) through the real gateway: the token page and its session cookie,
 * the pages (graph data from Istio's metrics after Bookinfo traffic, config by kind with YAML and
 * findings, history with a diff, explain, proxy status) and the console's admin calls. Chromium drives
 * the same pages in test/e2e/.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, admin, applyYaml, BOOKINFO_YAML, TASKS, version } from "../helpers/admin.js";

const ui = (path: string, init: RequestInit = {}) => exports.default.fetch(`http://gateway.test/_mesh/ui${path}`, { redirect: "manual", ...init });

async function signIn(): Promise<string> {
  const res = await ui("/login", { method: "POST", body: new URLSearchParams({ token: ADMIN_TOKEN }) });
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie")!;
  return cookie.split(";")[0]!;
}

describe("mesh console", () => {
  let cookie = "";
  let before = 0;
  beforeAll(async () => {
    before = await version();
    expect((await applyYaml(BOOKINFO_YAML)).status).toBe(200);
    expect((await applyYaml(TASKS.allV1)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const res = await exports.default.fetch("http://127.0.0.1:8787/productpage", { headers: { host: "bookinfo.local" } });
      await res.arrayBuffer();
    }
    cookie = await signIn();
  });

  describe("sign-in", () => {
    it("sends a browser without a session to the token page, which holds no token", async () => {
      const res = await ui("");
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/_mesh/ui/login");
      const page = await (await ui("/login")).text();
      expect(page).toContain('type="password"');
      expect(page).toContain('method="post"');
      expect(page).not.toContain(ADMIN_TOKEN);
    });

    it("refuses a wrong token with 401 and sets no cookie", async () => {
      const res = await ui("/login", { method: "POST", body: new URLSearchParams({ token: "wrong" }) });
      expect(res.status).toBe(401);
      expect(res.headers.get("set-cookie")).toBeNull();
    });

    it("a right token sets an HttpOnly, SameSite=Strict session cookie that does not hold the token", async () => {
      const res = await ui("/login", { method: "POST", body: new URLSearchParams({ token: ADMIN_TOKEN }) });
      const set = res.headers.get("set-cookie")!;
      expect(res.headers.get("location")).toBe("/_mesh/ui");
      expect(set).toMatch(/HttpOnly/);
      expect(set).toMatch(/SameSite=Strict/);
      expect(set).toMatch(/Path=\/_mesh;/);
      expect(set).not.toContain(ADMIN_TOKEN);
    });

    it("a forged or tampered cookie is no session", async () => {
      const forged = cookie.replace(/\.(.)/, (_, c: string) => `.${c === "A" ? "B" : "A"}`);
      expect((await ui("", { headers: { cookie: forged } })).status).toBe(303);
      expect((await admin("/version", { headers: { authorization: "", cookie: forged } })).status).toBe(401);
    });

    it("with the cookie, changing calls need the console header (no cross-site form can send it)", async () => {
      const body = JSON.stringify({ method: "GET", url: "http://bookinfo.local/productpage" });
      const bare = await exports.default.fetch("http://gateway.test/_mesh/explain", { method: "POST", body, headers: { cookie, "content-type": "application/json" } });
      expect(bare.status).toBe(401);
      const ok = await exports.default.fetch("http://gateway.test/_mesh/explain", { method: "POST", body, headers: { cookie, "content-type": "application/json", "x-isthmus-console": "1" } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { outcome: string }).outcome).toBe("forward");
    });

    it("the bearer token works for the console too; sign-out clears the cookie", async () => {
      expect((await ui("", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
      const out = await ui("/logout", { method: "POST", headers: { cookie } });
      expect(out.status).toBe(303);
      expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
    });
  });

  describe("pages", () => {
    const get = (path: string) => ui(path, { headers: { cookie } });

    it("the graph: gateway → productpage → reviews/details edges from the metrics, laid out", async () => {
      expect(await (await get("")).text()).toContain('id="graph"');
      const g = (await (await get("/api/graph")).json()) as {
        nodes: { id: string; kind: string; x: number; y: number }[];
        edges: { source: string; target: string; requests: number; routes: string[]; buckets: number[]; points: unknown[] }[];
      };
      const gateway = g.nodes.find((n) => n.id === "istio-ingressgateway")!;
      expect(gateway.kind).toBe("gateway");
      const toProductpage = g.edges.find((e) => e.source === "istio-ingressgateway" && e.target.includes("productpage"))!;
      expect(toProductpage.requests).toBeGreaterThanOrEqual(5);
      expect(toProductpage.points.length).toBeGreaterThan(1);
      expect(toProductpage.buckets.at(-1)).toBe(toProductpage.requests);
      const reviews = g.nodes.find((n) => n.id.includes("reviews"))!;
      expect(reviews.kind).toBe("member");
      // East-west calls (productpage → reviews) are edges too.
      expect(g.edges.some((e) => e.target.includes("reviews") && e.requests > 0)).toBe(true);
      expect(reviews.x).toBeGreaterThan(gateway.x);
    });

    it("config by kind with YAML and the analyzer's findings", async () => {
      const html = await (await get("/config")).text();
      expect(html).toContain("VirtualService");
      expect(html).toContain("DestinationRule");
      expect(html).toContain("kind: VirtualService");
      expect(html).toContain("Analyzer findings");
    });

    it("history with a diff between two versions, and rollback buttons", async () => {
      const now = await version();
      const html = await (await get(`/history?from=${before + 1}&to=${now}`)).text();
      expect(html).toContain('id="diff"');
      expect(html).toMatch(/class="add">\+/);
      expect(html).toContain("data-rollback=");
      const missing = await (await get(`/history?from=999999&to=${now}`)).text();
      expect(missing).toContain("not in the history");
    });

    it("explain and proxy status", async () => {
      expect(await (await get("/explain")).text()).toContain('id="explain-form"');
      const html = await (await get("/proxy-status")).text();
      expect(html).toContain("SYNCED");
      const status = (await (await admin("/proxy-status")).json()) as { version: number; proxies: { status: string; version: number; location: string }[] };
      expect(status.proxies.some((p) => p.status === "SYNCED" && p.version === status.version && p.location === "local")).toBe(true);
    });
  });
});
