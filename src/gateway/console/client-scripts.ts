/**
 * The console's browser code, served inline (no build step, no third-party script): the live graph
 * (SVG from the server's dagre layout; rates, error rates and p99 from the difference between two
 * polls), the edge panel, explain and rollback calls. Admin calls go with the session cookie and the
 * `x-isthmus-console` header.
 */
export const GRAPH_SCRIPT = String.raw`
(() => {
  const root = document.getElementById("graph");
  const panel = document.getElementById("edge-panel");
  const api = root.dataset.api;
  const POLL = Number(root.dataset.poll || 3000);
  let prev = null, prevAt = 0, selected = null, last = null;
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  function quantile(q, le, buckets) {
    const total = buckets[buckets.length - 1] || 0;
    if (!total) return null;
    const rank = q * total;
    for (let i = 0; i < le.length; i++) {
      if (buckets[i] >= rank) {
        if (!isFinite(le[i])) return le[i - 1] ?? null;
        const lo = i ? le[i - 1] : 0, below = i ? buckets[i - 1] : 0, inb = buckets[i] - below;
        return inb ? lo + (le[i] - lo) * ((rank - below) / inb) : le[i];
      }
    }
    return null;
  }
  function stats(e) {
    const p = prev && prev.edges.find((x) => x.id === e.id);
    const dt = prev ? (Date.now() - prevAt) / 1000 : 0;
    const req = p ? e.requests - p.requests : e.requests;
    const err = p ? e.errors - p.errors : e.errors;
    const buckets = p && p.buckets.length === e.buckets.length ? e.buckets.map((b, i) => b - p.buckets[i]) : e.buckets;
    return { rate: p && dt > 0 ? req / dt : null, total: e.requests, errRate: req > 0 ? err / req : (e.requests ? e.errors / e.requests : 0), p99: quantile(0.99, e.le, req > 0 ? buckets : e.buckets), req };
  }
  function health(s) {
    if (!s.total) return "idle";
    return s.errRate >= 0.2 ? "failing" : s.errRate >= 0.01 ? "degraded" : "healthy";
  }
  function render(g) {
    const W = Math.max(g.width, 300), H = Math.max(g.height, 150);
    let svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + W + ' ' + H + '" width="' + W + '" height="' + H + '" style="max-width:100%;height:auto" role="img" aria-label="service graph">';
    svg += '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker></defs>';
    for (const e of g.edges) {
      const s = stats(e); const h = health(s);
      const d = e.points.map((p, i) => (i ? "L" : "M") + p.x.toFixed(1) + "," + p.y.toFixed(1)).join(" ");
      const mid = e.label || e.points[Math.floor(e.points.length / 2)] || { x: 0, y: 0 };
      const label = (s.rate === null ? s.total + " req" : s.rate.toFixed(2) + " rps") + " · " + (s.errRate * 100).toFixed(1) + "% err" + (s.p99 === null ? "" : " · p99 " + Math.round(s.p99) + "ms");
      svg += '<g class="edge ' + h + (selected === e.id ? ' selected' : '') + '" data-edge="' + esc(e.id) + '" tabindex="0">' +
        '<path class="hit" d="' + d + '"/><path class="line" d="' + d + '" marker-end="url(#arrow)"/>' +
        '<text x="' + mid.x.toFixed(1) + '" y="' + (mid.y - 3).toFixed(1) + '" text-anchor="middle">' + esc(label) + '</text></g>';
    }
    for (const n of g.nodes) {
      svg += '<g class="node ' + n.kind + '" data-node="' + esc(n.id) + '"><rect x="' + (n.x - n.width / 2) + '" y="' + (n.y - n.height / 2) + '" width="' + n.width + '" height="' + n.height + '" rx="8"/>' +
        '<text x="' + n.x + '" y="' + (n.y + 4) + '" text-anchor="middle">' + esc(n.label) + '</text></g>';
    }
    root.innerHTML = svg + "</svg>";
    root.querySelectorAll("[data-edge]").forEach((el) => el.addEventListener("click", () => { selected = el.dataset.edge; showEdge(); render(last); }));
  }
  function showEdge() {
    const e = last && last.edges.find((x) => x.id === selected);
    if (!e) { panel.hidden = true; return; }
    const s = stats(e);
    const rows = (o) => Object.entries(o).map(([k, v]) => "<tr><td>" + esc(k) + "</td><td>" + v + "</td></tr>").join("") || '<tr><td colspan="2">none</td></tr>';
    panel.hidden = false;
    panel.innerHTML = "<h3>" + esc(e.source) + " → " + esc(e.target) + "</h3>" +
      "<p>" + s.total + " requests, " + e.errors + " errors" + (s.p99 === null ? "" : ", p99 " + Math.round(s.p99) + " ms") + "</p>" +
      "<h4>Routes</h4><ul>" + (e.routes.map((r) => "<li><code>" + esc(r) + "</code></li>").join("") || "<li>unnamed</li>") + "</ul>" +
      "<h4>Response flags</h4><table>" + rows(e.flags) + "</table><h4>Response codes</h4><table>" + rows(e.codes) + "</table>";
  }
  async function poll() {
    try {
      const res = await fetch(api, { headers: { "x-isthmus-console": "1" }, credentials: "same-origin" });
      if (res.ok) {
        const g = await res.json();
        if (last) { prev = last; prevAt = lastAt; }
        last = g; lastAt = Date.now();
        render(g); showEdge();
        document.getElementById("graph-status").textContent = "updated " + new Date().toLocaleTimeString();
      }
    } catch (e) { document.getElementById("graph-status").textContent = "update failed"; }
    setTimeout(poll, POLL);
  }
  let lastAt = 0;
  poll();
})();
`;

export const EXPLAIN_SCRIPT = String.raw`
(() => {
  const form = document.getElementById("explain-form");
  const out = document.getElementById("explain-result");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const headers = {};
    for (const line of form.headers.value.split("\n")) {
      const i = line.indexOf(":");
      if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    const res = await fetch(form.dataset.api, { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json", "x-isthmus-console": "1" },
      body: JSON.stringify({ method: form.method_.value, url: form.url.value, headers }) });
    const body = await res.json();
    out.hidden = false;
    if (!res.ok) { out.innerHTML = "<p class=error></p>"; out.firstChild.textContent = (body.errors || []).map((e) => e.message).join("; "); return; }
    const stages = body.stages || {};
    out.innerHTML = "";
    const p = document.createElement("p"); p.className = "decision";
    p.textContent = "Decision: " + body.outcome + (body.status ? " " + body.status : "") + " by stage " + body.stage + " · flags " + body.flags + " · details " + body.details + " · config v" + body.version;
    out.appendChild(p);
    const ol = document.createElement("ol"); ol.className = "stages";
    for (const [name, v] of Object.entries(stages)) {
      const li = document.createElement("li");
      const b = document.createElement("strong"); b.textContent = name; li.appendChild(b);
      const pre = document.createElement("pre"); pre.textContent = JSON.stringify(v, null, 2); li.appendChild(pre);
      ol.appendChild(li);
    }
    out.appendChild(ol);
    const raw = document.createElement("details"); raw.innerHTML = "<summary>full answer</summary>";
    const pre = document.createElement("pre"); pre.textContent = JSON.stringify(body, null, 2); raw.appendChild(pre);
    out.appendChild(raw);
  });
})();
`;

export const ROLLBACK_SCRIPT = String.raw`
(() => {
  document.querySelectorAll("[data-rollback]").forEach((btn) => btn.addEventListener("click", async () => {
    const v = Number(btn.dataset.rollback);
    if (!confirm("Roll the mesh config back to version " + v + "? This makes a new version with the resources of version " + v + ".")) return;
    const res = await fetch(btn.dataset.api, { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json", "x-isthmus-console": "1" }, body: JSON.stringify({ version: v }) });
    const body = await res.json();
    const out = document.getElementById("rollback-result");
    out.hidden = false;
    out.textContent = res.ok ? "Rolled back: now version " + body.version : "Rollback refused: " + (body.errors || []).map((e) => e.message).join("; ");
    if (res.ok) setTimeout(() => location.reload(), 800);
  }));
})();
`;
