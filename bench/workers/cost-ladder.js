// Pass-through variants for `npm run bench -- --costs`: each adds one per-request operation a gateway
// may do to the bare pass-through, so its process CPU cost in workerd can be read as a difference.
// `variant(["url", "headers"])` builds a Worker doing those steps, in this order.

const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate"];

/** Steps before the upstream call; `s` carries the request, a URL, headers and the request to send. */
const BEFORE = {
  url: (s) => {
    s.url = new URL(s.req.url);
  },
  headers: (s) => {
    const h = new Headers(s.req.headers);
    for (const name of HOP_BY_HOP) h.delete(name);
    h.set("x-forwarded-proto", "http");
    h.set("x-request-id", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    s.headers = h;
  },
  request: (s) => {
    const u = s.url ?? new URL(s.req.url);
    s.out = new Request(`http://${u.host}${u.pathname}${u.search}`, { method: s.req.method, headers: s.headers ?? s.req.headers, redirect: "manual" });
  },
  // The gateway's way: the Request constructor copies the client's headers, the writes go on the copy.
  requestset: (s) => {
    const u = s.url ?? new URL(s.req.url);
    s.out = new Request(`http://${u.host}${u.pathname}${u.search}`, { method: s.req.method, headers: s.req.headers, redirect: "manual" });
    s.out.headers.set("x-forwarded-proto", "http");
    s.out.headers.set("x-request-id", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  },
  // A copy of the incoming Request (same URL, method, body) with its headers then written.
  cloneset: (s) => {
    s.out = new Request(s.req);
    s.out.headers.set("x-forwarded-proto", "http");
    s.out.headers.set("x-request-id", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  },
  // No Request built in JavaScript: the binding's fetch(url, init) with a header copy.
  fetchinit: (s) => {
    const h = new Headers(s.req.headers);
    h.set("x-forwarded-proto", "http");
    h.set("x-request-id", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    s.init = { method: s.req.method, headers: h, redirect: "manual" };
    s.out = s.req.url;
  },
  abort: (s) => {
    const c = new AbortController();
    s.out = new Request(s.out, { signal: c.signal });
  },
  // One access-log line of Istio's default format's length, as the gateway writes it (one console.log).
  log: (s) => {
    console.log(`[${new Date().toISOString()}] "${s.req.method} /svc50/items/42?color=blue HTTP/1.1" 200 - via_upstream - "-" 0 1024 1 0 "-" "autocannon" "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" "bench.example.com" "binding:ORIGIN" outbound|80||origin.bench.svc.cluster.local - - - - r50`);
  },
  uuid: () => {
    crypto.randomUUID();
  },
  cf: (s) => {
    void s.req.cf?.httpProtocol;
  },
  scan: (s) => {
    let n = 0;
    s.req.headers.forEach((_v, name) => {
      if (name.startsWith("x-envoy-")) n++;
    });
    s.n = n;
  },
  query: (s) => {
    const q = new URL(s.req.url).searchParams;
    s.n = q.get("color");
  },
  awaits: async () => {
    for (let i = 0; i < 12; i++) await undefined;
  },
};

/** Steps after the upstream answered. */
const AFTER = {
  response: (r) => {
    const x = new Response(r.body, r);
    x.headers.set("x-envoy-upstream-service-time", "0");
    return x;
  },
};

export function variant(steps) {
  return {
    async fetch(req, env) {
      const s = { req, out: req };
      for (const name of steps) if (BEFORE[name]) await BEFORE[name](s);
      let res = await (s.init ? env.ORIGIN.fetch(s.out, s.init) : env.ORIGIN.fetch(s.out));
      for (const name of steps) if (AFTER[name]) res = AFTER[name](res);
      return res;
    },
  };
}
