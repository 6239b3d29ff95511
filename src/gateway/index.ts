import { WorkerEntrypoint } from "cloudflare:workers";
import { ConfigStore } from "../durable/config-store.js";

export { ConfigStore };

export class MeshEntrypoint extends WorkerEntrypoint<Env, { namespace?: string; serviceAccount?: string }> {
  override async fetch(request: Request): Promise<Response> {
    return Response.json({ caller: this.ctx.props, url: request.url });
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    void ctx;
    const url = new URL(request.url);
    if (url.pathname === "/_mesh/healthz") return Response.json({ status: "ok" });
    if (url.pathname === "/pp") return env.BOOKINFO_PRODUCTPAGE.fetch(new Request("http://productpage/productpage"));
    return new Response("no route", { status: 404 });
  },
} satisfies ExportedHandler<Env>;
