/**
 * A small `httpbin` (the service Istio's security tasks call): `/ip`, `/headers`, `/get`,
 * `/anything[/...]`, `/post` `/put` `/patch` `/delete`, `/status/<code>`, `/delay/<s>` — enough to run those tasks on the local mesh.
 * It calls nobody; the mesh decides who may call it.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const headers = Object.fromEntries(request.headers);
    const origin = request.headers.get("cf-connecting-ip") ?? request.headers.get("x-forwarded-for") ?? "127.0.0.1";
    const path = url.pathname;
    if (path === "/ip") return Response.json({ origin });
    if (path === "/headers") return Response.json({ headers });
    if (path === "/get") return Response.json({ args: Object.fromEntries(url.searchParams), headers, origin, url: request.url });
    if (path === "/anything" || path.startsWith("/anything/")) {
      const body = request.body ? await request.text() : "";
      return Response.json({ method: request.method, args: Object.fromEntries(url.searchParams), headers, origin, url: request.url, data: body });
    }
    const verb = /^\/(post|put|patch|delete)$/.exec(path);
    if (verb) {
      if (request.method.toLowerCase() !== verb[1]) return new Response("Method Not Allowed", { status: 405 });
      const body = request.body ? await request.text() : "";
      return Response.json({ args: Object.fromEntries(url.searchParams), data: body, headers, origin, url: request.url });
    }
    const status = /^\/status\/(\d{3})$/.exec(path);
    if (status) return new Response(null, { status: Number(status[1]) });
    const delay = /^\/delay\/(\d+(?:\.\d+)?)$/.exec(path);
    if (delay) {
      await new Promise((ok) => setTimeout(ok, Math.min(10, Number(delay[1])) * 1000));
      return Response.json({ headers, origin, url: request.url });
    }
    return new Response("Not Found", { status: 404 });
  },
} satisfies ExportedHandler;
