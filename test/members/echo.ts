/** A member Worker that answers with what it received, for tests of what the gateway forwards. */
export default {
  async fetch(request: Request, env: { NAME?: string }): Promise<Response> {
    const url = new URL(request.url);
    const body = request.body ? await request.text() : "";
    return Response.json(
      { member: env.NAME ?? "test-echo", method: request.method, url: request.url, path: url.pathname + url.search, headers: Object.fromEntries(request.headers), body },
      { headers: { "x-echo-member": env.NAME ?? "test-echo" } },
    );
  },
} satisfies ExportedHandler<{ NAME?: string }>;
