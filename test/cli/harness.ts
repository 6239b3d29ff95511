/**
 * Test harness for runCli: in-memory files and stdin, captured stdout/stderr, and a fetch that is
 * either a scripted fake (records every request) or the real gateway Worker.
 */
import type { CliIO, InputFile, ReadInputsOptions } from "../../src/cli/run.js";
import { runCli } from "../../src/cli/run.js";

export interface Recorded {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

export type Handler = (req: Recorded) => Response | Promise<Response>;

export interface MemoryIOOptions {
  files?: Record<string, string>;
  stdin?: string;
  env?: Record<string, string | undefined>;
  fetch?: Handler;
  devToken?: string;
  now?: number;
}

export interface MemoryIO extends CliIO {
  out: string;
  err: string;
  requests: Recorded[];
}

const CONFIG = /\.(ya?ml|json)$/i;

/** readInputs over a map of path → text, with folders implied by paths (`dir/a.yaml`). */
export function memoryReadInputs(files: Record<string, string>, stdin = "") {
  return async (paths: string[], opts: ReadInputsOptions = {}): Promise<InputFile[]> => {
    const out: InputFile[] = [];
    for (const p of paths) {
      if (p === "-") {
        out.push({ file: "<stdin>", text: stdin });
        continue;
      }
      if (files[p] !== undefined) {
        out.push({ file: p, text: files[p]! });
        continue;
      }
      const dir = p.replace(/\/+$/, "") + "/";
      const inside = Object.keys(files)
        .filter((f) => f.startsWith(dir) && CONFIG.test(f) && (opts.recursive || !f.slice(dir.length).includes("/")))
        .sort();
      if (inside.length === 0 && !Object.keys(files).some((f) => f.startsWith(dir))) throw new Error(`the path ${JSON.stringify(p)} does not exist`);
      for (const f of inside) out.push({ file: f, text: files[f]! });
    }
    return out;
  };
}

export function memoryIO(opts: MemoryIOOptions = {}): MemoryIO {
  const io: MemoryIO = {
    out: "",
    err: "",
    requests: [],
    env: opts.env ?? {},
    stdout: (t) => void (io.out += t),
    stderr: (t) => void (io.err += t),
    readInputs: memoryReadInputs(opts.files ?? {}, opts.stdin),
    devToken: async () => opts.devToken,
    now: () => opts.now ?? Date.parse("2026-11-26T12:00:00Z"),
    fetch: async (req) => {
      const rec: Recorded = { method: req.method, url: new URL(req.url), headers: req.headers, body: await req.text() };
      io.requests.push(rec);
      if (!opts.fetch) throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:8787") });
      const handler = opts.fetch;
      // Honour the request's signal, as a real fetch does (--request-timeout).
      return new Promise<Response>((resolve, reject) => {
        req.signal.addEventListener("abort", () => reject(req.signal.reason));
        Promise.resolve(handler(rec)).then(resolve, reject);
      });
    },
  };
  return io;
}

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

export async function run(io: MemoryIO, ...argv: string[]): Promise<RunResult> {
  io.out = "";
  io.err = "";
  const code = await runCli(argv, io);
  return { code, out: io.out, err: io.err };
}

/** A fake admin API: routes `METHOD /path` (prefix included) to handlers; anything else is a 404. */
export function fakeServer(routes: Record<string, Handler>): Handler {
  return (req) => {
    const handler = routes[`${req.method} ${req.url.pathname}`];
    return handler ? handler(req) : Response.json({ errors: [{ code: "NotFound", message: `no admin call ${req.method} ${req.url.pathname}` }] }, { status: 404 });
  };
}

export const BOOKINFO = {
  "bookinfo/gateway.yaml": `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - bookinfo.local
`,
  "bookinfo/reviews.yaml": `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  ports:
  - number: 80
    name: http
    protocol: HTTP
  resolution: STATIC
  endpoints:
  - address: 127.0.0.1
    labels:
      version: v1
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - bookinfo.local
  gateways:
  - bookinfo-gateway
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
`,
  "bookinfo/notes.txt": "not config\n",
};

/** A VirtualService routing to a host and subset nothing defines (IST0101 twice, at line 11). */
export const DANGLING = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - route:
    - destination:
        host: ratings
        subset: v9
`;

/** A VirtualService Istio's webhook refuses: a bad duration at line 12. */
export const INVALID = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: broken
spec:
  hosts:
  - broken
  http:
  - route:
    - destination:
        host: reviews
    timeout: 5 seconds
`;
