/**
 * The console's pages, rendered on the server with hono/jsx. Scripts are inline (client-scripts.ts);
 * nothing is loaded from elsewhere.
 */
import type { Child, FC } from "hono/jsx";
import type { AnalyzerMessage } from "../../config/errors.js";
import type { HistoryEntry } from "../../config/store-api.js";
import { EXPLAIN_SCRIPT, GRAPH_SCRIPT, ROLLBACK_SCRIPT } from "./client-scripts.js";
import type { ProxyStatus } from "./proxy-status.js";

const CSS = `
:root { font-family: system-ui, sans-serif; color: #0f172a; background: #f8fafc; }
body { margin: 0; }
header { background: #0f172a; color: #e2e8f0; padding: 10px 20px; display: flex; gap: 24px; align-items: center; }
header a { color: #cbd5e1; text-decoration: none; } header a.active { color: #fff; font-weight: 600; border-bottom: 2px solid #38bdf8; }
header .brand { font-weight: 700; color: #fff; margin-right: 12px; }
header form { margin-left: auto; } header button { background: none; color: #cbd5e1; border: 1px solid #475569; border-radius: 4px; padding: 2px 8px; cursor: pointer; }
main { padding: 16px 20px; }
h1 { font-size: 20px; margin: 4px 0 12px; }
.muted { color: #64748b; font-size: 13px; }
.graph-wrap { display: flex; gap: 16px; align-items: flex-start; }
#graph { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px; overflow: auto; min-height: 160px; flex: 1; }
#edge-panel { width: 320px; background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px 12px; font-size: 13px; }
.node rect { fill: #e0f2fe; stroke: #0284c7; stroke-width: 1.5; } .node.gateway rect { fill: #ede9fe; stroke: #7c3aed; }
.node.origin rect { fill: #fef3c7; stroke: #d97706; } .node.unknown rect { fill: #f1f5f9; stroke: #94a3b8; }
.node text { font-size: 12px; fill: #0f172a; }
.edge .line { fill: none; stroke-width: 2.5; } .edge .hit { fill: none; stroke: transparent; stroke-width: 14; cursor: pointer; }
.edge text { font-size: 11px; fill: #334155; paint-order: stroke; stroke: #fff; stroke-width: 3px; cursor: pointer; }
.edge.healthy .line { stroke: #16a34a; } .edge.degraded .line { stroke: #f59e0b; } .edge.failing .line { stroke: #dc2626; } .edge.idle .line { stroke: #94a3b8; stroke-dasharray: 4 3; }
.edge.selected .line { stroke-width: 4.5; }
.legend span { display: inline-block; margin-right: 12px; font-size: 12px; } .legend i { display: inline-block; width: 18px; height: 4px; margin-right: 4px; vertical-align: middle; }
table { border-collapse: collapse; font-size: 13px; } td, th { border-bottom: 1px solid #e2e8f0; padding: 4px 8px; text-align: left; vertical-align: top; }
pre { background: #0f172a; color: #e2e8f0; padding: 10px; border-radius: 6px; overflow: auto; font-size: 12px; }
.diff .add { color: #86efac; } .diff .del { color: #fca5a5; } .diff .hunk { color: #7dd3fc; }
.kind { margin-bottom: 14px; } details { margin: 4px 0; } summary { cursor: pointer; }
.finding.Error { color: #b91c1c; } .finding.Warning { color: #b45309; } .finding.Info { color: #1d4ed8; }
.SYNCED { color: #15803d; font-weight: 600; } .STALE { color: #b91c1c; font-weight: 600; }
button.primary { background: #0284c7; color: #fff; border: 0; border-radius: 4px; padding: 6px 12px; cursor: pointer; }
button.danger { background: #fff; color: #b91c1c; border: 1px solid #b91c1c; border-radius: 4px; padding: 2px 8px; cursor: pointer; }
input, select, textarea { font: inherit; padding: 4px 6px; } textarea { width: 100%; max-width: 640px; }
.error { color: #b91c1c; }
`;

const NAV = [
  ["graph", "", "Graph"],
  ["config", "/config", "Config"],
  ["history", "/history", "History"],
  ["explain", "/explain", "Explain"],
  ["proxies", "/proxy-status", "Proxy status"],
] as const;

export type Section = (typeof NAV)[number][0];

export const Layout: FC<{ base: string; title: string; active?: Section; children?: Child }> = ({ base, title, active, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="referrer" content="no-referrer" />
      <title>{title} · Isthmus mesh console</title>
      <style dangerouslySetInnerHTML={{ __html: CSS }} />
    </head>
    <body>
      <header>
        <span class="brand">Isthmus</span>
        {active !== undefined && NAV.map(([id, path, label]) => <a href={`${base}${path}`} class={id === active ? "active" : ""}>{label}</a>)}
        {active !== undefined && (
          <form method="post" action={`${base}/logout`}>
            <button type="submit">Sign out</button>
          </form>
        )}
      </header>
      <main>{children}</main>
    </body>
  </html>
);

export const LoginPage: FC<{ base: string; error?: string }> = ({ base, error }) => (
  <Layout base={base} title="Sign in">
    <h1>Sign in to the mesh console</h1>
    <p class="muted">Paste the admin token (the ADMIN_TOKEN secret; <code>npm start</code> prints the dev one). It is sent once in this form's body and kept in no URL or storage: the answer sets an HttpOnly session cookie.</p>
    {error && <p class="error">{error}</p>}
    <form method="post" action={`${base}/login`} autocomplete="off">
      <input type="password" name="token" aria-label="admin token" placeholder="admin token" required size={48} />{" "}
      <button class="primary" type="submit">Sign in</button>
    </form>
  </Layout>
);

export const GraphPage: FC<{ base: string; pollMs: number }> = ({ base, pollMs }) => (
  <Layout base={base} title="Service graph" active="graph">
    <h1>Service graph</h1>
    <p class="legend muted">
      <span><i style="background:#16a34a" />healthy (&lt;1% 5xx)</span>
      <span><i style="background:#f59e0b" />degraded (&lt;20%)</span>
      <span><i style="background:#dc2626" />failing</span>
      <span><i style="background:#94a3b8" />no traffic</span>
      <span id="graph-status">loading…</span>
    </p>
    <div class="graph-wrap">
      <div id="graph" data-api={`${base}/api/graph`} data-poll={String(pollMs)} />
      <aside id="edge-panel" hidden />
    </div>
    <p class="muted">Edges: request rate between two updates, 5xx share and p99 from Istio's <code>istio_requests_total</code> and <code>istio_request_duration_milliseconds</code>. Click an edge for its routes and response flags.</p>
    <script dangerouslySetInnerHTML={{ __html: GRAPH_SCRIPT }} />
  </Layout>
);

export interface ResourceView {
  kind: string;
  namespace: string;
  name: string;
  yaml: string;
}

export const ConfigPage: FC<{ base: string; version: number; resources: ResourceView[]; findings: AnalyzerMessage[] }> = ({ base, version, resources, findings }) => {
  const kinds = [...new Set(resources.map((r) => r.kind))].sort();
  return (
    <Layout base={base} title="Config" active="config">
      <h1>Applied config <span class="muted">version {version}, {resources.length} resources</span></h1>
      <section>
        <h2>Analyzer findings</h2>
        {findings.length === 0 ? <p class="muted">No findings.</p> : (
          <table>
            <tr><th>level</th><th>code</th><th>resource</th><th>message</th></tr>
            {findings.map((f) => (
              <tr class={`finding ${f.level}`}>
                <td>{f.level}</td><td>{f.code}</td><td>{f.kind} {f.namespace}/{f.name}</td><td>{f.message}</td>
              </tr>
            ))}
          </table>
        )}
      </section>
      <h2>Resources by kind</h2>
      {kinds.map((k) => {
        const of = resources.filter((r) => r.kind === k);
        return (
          <div class="kind">
            <h3>{k} <span class="muted">({of.length})</span></h3>
            {of.map((r) => (
              <details>
                <summary>{r.namespace}/{r.name}</summary>
                <pre>{r.yaml}</pre>
              </details>
            ))}
          </div>
        );
      })}
    </Layout>
  );
};

export const HistoryPage: FC<{ base: string; adminBase: string; current: number; history: HistoryEntry[]; from?: number; to?: number; diff?: string; diffError?: string }> = (p) => (
  <Layout base={p.base} title="History" active="history">
    <h1>History <span class="muted">current version {p.current}</span></h1>
    <form method="get" action={`${p.base}/history`}>
      Diff version{" "}
      <select name="from" aria-label="from version">{p.history.map((h) => <option value={String(h.version)} selected={h.version === p.from}>{h.version}</option>)}</select>{" "}
      with{" "}
      <select name="to" aria-label="to version">{p.history.map((h) => <option value={String(h.version)} selected={h.version === p.to}>{h.version}</option>)}</select>{" "}
      <button class="primary" type="submit">Show diff</button>
    </form>
    {p.diffError && <p class="error">{p.diffError}</p>}
    {p.diff !== undefined && (
      <pre class="diff" id="diff">
        {p.diff.split("\n").map((line) => <span class={line.startsWith("@@") ? "hunk" : line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : ""}>{line}{"\n"}</span>)}
      </pre>
    )}
    <p id="rollback-result" class="muted" hidden />
    <table>
      <tr><th>version</th><th>made</th><th>cause</th><th>resources</th><th /></tr>
      {p.history.map((h) => (
        <tr>
          <td>{h.version}</td><td>{h.createdAt}</td><td>{h.cause}</td><td>{h.resources}</td>
          <td>{h.version !== p.current && <button class="danger" type="button" data-rollback={String(h.version)} data-api={`${p.adminBase}/rollback`}>Roll back to {h.version}</button>}</td>
        </tr>
      ))}
    </table>
    <script dangerouslySetInnerHTML={{ __html: ROLLBACK_SCRIPT }} />
  </Layout>
);

export const ExplainPage: FC<{ base: string; adminBase: string }> = ({ base, adminBase }) => (
  <Layout base={base} title="Explain" active="explain">
    <h1>Explain a request</h1>
    <p class="muted">A dry run of the filter chain: every stage decides as it would, nothing leaves the gateway.</p>
    <form id="explain-form" data-api={`${adminBase}/explain`}>
      <p>
        <select name="method_" aria-label="method">{["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"].map((m) => <option>{m}</option>)}</select>{" "}
        <input name="url" aria-label="url" size={60} value="http://bookinfo.local/productpage" required />
      </p>
      <p><textarea name="headers" aria-label="headers" rows={4} placeholder="header: value (one per line)" /></p>
      <button class="primary" type="submit">Explain</button>
    </form>
    <section id="explain-result" hidden />
    <script dangerouslySetInnerHTML={{ __html: EXPLAIN_SCRIPT }} />
  </Layout>
);

export const ProxyStatusPage: FC<{ base: string; status: ProxyStatus }> = ({ base, status }) => (
  <Layout base={base} title="Proxy status" active="proxies">
    <h1>Proxy status <span class="muted">ConfigStore version {status.version}</span></h1>
    <table>
      <tr><th>NAME</th><th>LOCATION</th><th>VERSION</th><th>STATUS</th><th>LAST SEEN</th></tr>
      {status.proxies.map((p) => (
        <tr>
          <td>{p.proxy}</td><td>{p.location}</td><td>{p.version}</td><td class={p.status}>{p.status}</td><td>{new Date(p.lastSeenMs).toISOString()}</td>
        </tr>
      ))}
    </table>
  </Layout>
);
