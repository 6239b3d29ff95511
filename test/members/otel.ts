/**
 * A test OpenTelemetry collector endpoint: keeps every OTLP/HTTP export it receives (content type and
 * raw body) in memory; the tests read them back and have them decoded by the receiver in
 * test/global-setup.ts (the OpenTelemetry proto definitions). `POST /__mode` sets how it answers
 * exports: `ok` (200), `fail` (503) or `hang` (never answers).
 */
interface Received { path: string; contentType: string; body: string }

let received: Received[] = [];
let mode = "ok";

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/__received") return Response.json(received);
    if (path === "/__reset") { received = []; mode = "ok"; return new Response("ok"); }
    if (path === "/__mode") { mode = await request.text(); return new Response("ok"); }
    if (mode === "hang") return new Promise<Response>(() => undefined);
    const body = new Uint8Array(await request.arrayBuffer());
    if (mode === "fail") return new Response("collector down", { status: 503 });
    received.push({ path, contentType: request.headers.get("content-type") ?? "", body: base64(body) });
    return new Response(null, { status: 200 });
  },
} satisfies ExportedHandler;
