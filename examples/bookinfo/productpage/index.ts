/** Bookinfo `productpage`: the HTML page, calling `details` and `reviews` through the mesh. */
import { callService, type MemberEnv } from "../mesh.js";

interface Reviews { podname?: string; reviews: { reviewer: string; text: string; rating?: { stars?: number; color?: string; error?: string } }[] }

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export default {
  async fetch(request: Request, env: MemberEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ status: "Product page is healthy" });
    if (url.pathname === "/" || url.pathname === "/index.html")
      return html(`<h1>Bookinfo</h1><p><a href="/productpage">Normal user</a></p>`);
    if (url.pathname === "/api/v1/products") return Response.json([{ id: 0, title: "The Comedy of Errors" }]);
    if (url.pathname !== "/productpage") return new Response("Not Found", { status: 404 });

    const [details, reviews] = await Promise.all([
      callService(env, request, "http://details:9080/details/0"),
      callService(env, request, "http://reviews:9080/reviews/0"),
    ]);
    const d = details.ok ? ((await details.json()) as Record<string, unknown>) : undefined;
    if (!details.ok) await details.body?.cancel();
    const r = reviews.ok ? ((await reviews.json()) as Reviews) : undefined;
    if (!reviews.ok) await reviews.body?.cancel();

    const detailsHtml = d
      ? `<dl>${Object.entries(d).filter(([k]) => k !== "id").map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(String(v))}</dd>`).join("")}</dl>`
      : `<h4 class="error">Error fetching product details!</h4><p class="error">Sorry, product details are currently unavailable for this book. (${details.status})</p>`;
    const reviewsHtml = r
      ? r.reviews.map((rv) => {
          const stars = rv.rating?.stars
            ? `<span class="stars" style="color:${esc(rv.rating.color ?? "black")}">${"★".repeat(rv.rating.stars)}${"☆".repeat(5 - rv.rating.stars)}</span>`
            : rv.rating?.error ? `<span class="error">${esc(rv.rating.error)}</span>` : "";
          return `<blockquote><p>${esc(rv.text)}</p><small>${esc(rv.reviewer)}</small> ${stars}</blockquote>`;
        }).join("") + `<p class="served-by">Reviews served by: ${esc(r.podname ?? "?")}</p>`
      : `<h4 class="error">Error fetching product reviews!</h4><p class="error">Sorry, product reviews are currently unavailable for this book. (${reviews.status})</p>`;
    return html(`<h1>The Comedy of Errors</h1><h2>Book Details</h2>${detailsHtml}<h2>Book Reviews</h2>${reviewsHtml}`);
  },
} satisfies ExportedHandler<MemberEnv>;

function html(body: string): Response {
  return new Response(`<!doctype html><html><head><meta charset="utf-8"><title>Simple Bookstore App</title></head><body>${body}</body></html>`, {
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}
