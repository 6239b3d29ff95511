/**
 * A Worker written the plain way: it calls Bookinfo's details and ratings through direct service
 * bindings (`env.DETAILS.fetch(...)`), with no mesh code, no MESH binding and no service host names.
 * `isthmus inject examples/plain-member/wrangler.toml` points those bindings at the gateway's mesh
 * entrypoint, and from then on the same code gets the mesh's routing, retries, policies and telemetry.
 */
interface Env {
  DETAILS: Fetcher;
  RATINGS: Fetcher;
}

async function body(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const book = /^\/books\/(\d+)$/.exec(url.pathname);
    if (book) {
      const [details, ratings] = await Promise.all([
        env.DETAILS.fetch(`https://details.example/details/${book[1]}`),
        env.RATINGS.fetch(`https://ratings.example/ratings/${book[1]}`),
      ]);
      return Response.json({
        book: Number(book[1]),
        details: { status: details.status, body: await body(details) },
        ratings: { status: ratings.status, body: await body(ratings) },
      });
    }
    // Anything else is passed to details as it came: the most common way a Worker calls another.
    return env.DETAILS.fetch(request);
  },
} satisfies ExportedHandler<Env>;
