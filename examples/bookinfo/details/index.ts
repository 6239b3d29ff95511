/** Bookinfo `details`: book information, like Istio's Ruby service. */
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ status: "Details is healthy" });
    const m = /^\/details\/(\d+)$/.exec(url.pathname);
    if (!m) return Response.json({ error: "please provide numeric product id" }, { status: 400 });
    return Response.json({
      id: Number(m[1]), author: "William Shakespeare", year: 1595, type: "paperback", pages: 200,
      publisher: "PublisherA", language: "English", "ISBN-10": "1234567890", "ISBN-13": "123-1234567890",
    });
  },
} satisfies ExportedHandler;
