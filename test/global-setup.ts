/**
 * Runs in Node before the workerd tests: starts loopback HTTP origins the gateway reaches as
 * ServiceEntry endpoints, and hands their ports to the tests via `inject("origins")`.
 *
 * - echo:     answers 200 with what it received (method, path, headers, body).
 * - scripted: behaves as the path says, for resilience tests, and remembers what it saw:
 *     /status/<code>[/...]         answers <code>
 *     /slow/<ms>[/...]             answers 200 after <ms>
 *     /flaky/<key>/<n>[/...]       answers 503 to the first <n> requests for <key>, then 200
 *     /failon/<name>[/...]         answers 500 when this origin is <name> (scripted, scripted-b), else 200
 *     /__seen/<key>                JSON {count, requests} of what arrived with header x-test-key: <key>
 *                                  (`otlp-logs`: what was POSTed to /v1/logs)
 *     /__reset                     forgets everything
 *     PUT /__jwks, GET /jwks.json  stores / serves a JWKS document (for jwksUri tests)
 *   Every answer carries x-origin-port and x-attempt (per x-test-key count).
 * - otlp:     an OpenTelemetry receiver's decoder: POST /decode with an OTLP/HTTP export body and its
 *             content type answers the ExportTraceServiceRequest decoded by the OpenTelemetry proto
 *             definitions (@opentelemetry/otlp-transformer's generated protobufjs root), ids in hex.
 */
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    origins: { echo: number; scripted: number; scriptedB: number; otlp: number };
  }
}

interface Seen { method: string; path: string; headers: http.IncomingHttpHeaders; body: string }

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((ok) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => ok(Buffer.concat(chunks).toString()));
  });
}

function echoServer(): http.Server {
  return http.createServer(async (req, res) => {
    const body = await readBody(req);
    res.writeHead(200, { "content-type": "application/json", "x-origin": "echo" });
    res.end(JSON.stringify({ origin: "echo", method: req.method, path: req.url, headers: req.headers, body }));
  });
}

function scriptedServer(name: string): http.Server {
  const seen = new Map<string, Seen[]>();
  const flaky = new Map<string, number>();
  let jwks = "{}";
  let jwksFetches = 0;
  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    const url = req.url ?? "/";
    // OTLP exports (POST /v1/logs) carry no test key: they are remembered under `otlp-logs`.
    const key = String(req.headers["x-test-key"] ?? (url.startsWith("/v1/logs") ? "otlp-logs" : ""));
    const parts = url.split("?")[0]!.split("/").filter(Boolean);
    const reply = (status: number, text = "", extra: Record<string, string> = {}) => {
      const list = seen.get(key) ?? [];
      res.writeHead(status, { "content-type": "text/plain", "x-origin": name, "x-origin-port": String((server.address() as AddressInfo | null)?.port ?? "closed"), "x-attempt": String(list.length), ...extra });
      res.end(text);
    };
    if (parts[0] === "__seen") {
      const list = seen.get(parts[1] ?? "") ?? [];
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ count: list.length, requests: list }));
      return;
    }
    if (parts[0] === "__reset") { seen.clear(); flaky.clear(); res.end("ok"); return; }
    if (parts[0] === "__jwks" && req.method === "PUT") { jwks = body; res.end("ok"); return; }
    if (parts[0] === "jwks.json") { jwksFetches++; res.writeHead(200, { "content-type": "application/json" }); res.end(jwks); return; }
    if (parts[0] === "__jwks_fetches") { res.end(String(jwksFetches)); return; }
    if (key) seen.set(key, [...(seen.get(key) ?? []), { method: req.method ?? "", path: url, headers: req.headers, body }]);
    if (parts[0] === "status") return reply(Number(parts[1]), `status ${parts[1]}`);
    if (parts[0] === "failon") return parts[1] === name ? reply(500, `${name} fails`) : reply(200, `${name} ok`);
    if (parts[0] === "slow") {
      await new Promise((ok) => setTimeout(ok, Number(parts[1])));
      return reply(200, "slow ok");
    }
    if (parts[0] === "flaky") {
      const id = `${parts[1]}`;
      const n = Number(parts[2]);
      const count = (flaky.get(id) ?? 0) + 1;
      flaky.set(id, count);
      return count <= n ? reply(503, `flaky ${count}`) : reply(200, `ok after ${count - 1} failures`);
    }
    reply(200, `${name} ok ${body}`);
  });
  return server;
}

/** The generated OTLP message types (opentelemetry-proto, compiled by protobufjs in @opentelemetry/otlp-transformer). */
interface OtlpMessageType {
  decode(bytes: Uint8Array): unknown;
  fromObject(o: unknown): unknown;
  verify(o: unknown): string | null;
  toObject(m: unknown, options: Record<string, unknown>): Record<string, unknown>;
}
const otlpRoot = createRequire(import.meta.url)("@opentelemetry/otlp-transformer/build/src/generated/root.js") as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: OtlpMessageType } } } } };
};
const ExportTraceServiceRequest = otlpRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const ID_FIELDS = new Set(["traceId", "spanId", "parentSpanId"]);

/** OTLP JSON writes ids in hex where protobuf's JSON mapping expects base64. */
function hexIdsToBase64(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(hexIdsToBase64);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ID_FIELDS.has(k) && typeof x === "string" ? Buffer.from(x, "hex").toString("base64") : hexIdsToBase64(x)]));
  return v;
}

function idsToHex(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(idsToHex);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ID_FIELDS.has(k) && typeof x === "string" ? Buffer.from(x, "base64").toString("hex") : idsToHex(x)]));
  return v;
}

function otlpServer(): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        const body = Buffer.concat(chunks);
        let message: unknown;
        if ((req.headers["content-type"] ?? "").includes("protobuf")) message = ExportTraceServiceRequest.decode(body);
        else {
          // Protobuf's JSON mapping (int64 as decimal strings), as the OTLP spec writes it; fromObject
          // refuses fields of the wrong shape. Then the message must survive its own wire format.
          const json = hexIdsToBase64(JSON.parse(body.toString()));
          const problem = ExportTraceServiceRequest.verify(ExportTraceServiceRequest.fromObject(json));
          if (problem) throw new Error(`not an ExportTraceServiceRequest: ${problem}`);
          message = ExportTraceServiceRequest.fromObject(json);
        }
        const decoded = ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(idsToHex(decoded)));
      } catch (e) {
        res.writeHead(400, { "content-type": "text/plain" });
        res.end(String((e as Error)?.message ?? e));
      }
    });
  });
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return (server.address() as AddressInfo).port;
}

export default async function setup(project: TestProject) {
  const servers = [echoServer(), scriptedServer("scripted"), scriptedServer("scripted-b"), otlpServer()];
  const [echo, scripted, scriptedB, otlp] = await Promise.all(servers.map(listen));
  project.provide("origins", { echo: echo!, scripted: scripted!, scriptedB: scriptedB!, otlp: otlp! });
  return async () => {
    await Promise.all(servers.map((s) => new Promise<void>((ok) => { s.closeAllConnections(); s.close(() => ok()); })));
  };
}
