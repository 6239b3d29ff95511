/** Bookinfo `ratings`: star ratings per reviewer, like Istio's Node.js service. */
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ status: "Ratings is healthy" });
    const m = /^\/ratings\/(\d+)$/.exec(url.pathname);
    if (!m) return Response.json({ error: "please provide numeric product ID" }, { status: 400 });
    return Response.json({ id: Number(m[1]), ratings: { Reviewer1: 5, Reviewer2: 4 } });
  },
} satisfies ExportedHandler;
