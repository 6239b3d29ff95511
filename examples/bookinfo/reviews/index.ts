/**
 * Bookinfo `reviews` in three versions (one script, VERSION/STAR_COLOR vars): v1 shows no stars,
 * v2 black stars and v3 red stars; v2 and v3 call `ratings` through the mesh.
 */
import { callService, type MemberEnv } from "../mesh.js";

interface Review { reviewer: string; text: string; rating?: { stars: number; color: string } | { error: string } }

export default {
  async fetch(request: Request, env: MemberEnv): Promise<Response> {
    const url = new URL(request.url);
    const version = env.VERSION ?? "v1";
    if (url.pathname === "/health") return Response.json({ status: "Reviews is healthy" });
    const m = /^\/reviews\/(\d+)$/.exec(url.pathname);
    if (!m) return Response.json({ error: "please provide numeric product ID" }, { status: 400 });
    const reviews: Review[] = [
      { reviewer: "Reviewer1", text: "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!" },
      { reviewer: "Reviewer2", text: "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare." },
    ];
    if (env.STAR_COLOR) {
      const res = await callService(env, request, `http://ratings:9080/ratings/${m[1]}`);
      if (res.ok) {
        const body = (await res.json()) as { ratings: Record<string, number> };
        for (const r of reviews) r.rating = { stars: body.ratings[r.reviewer] ?? 0, color: env.STAR_COLOR };
      } else {
        await res.body?.cancel();
        for (const r of reviews) r.rating = { error: "Ratings service is currently unavailable" };
      }
    }
    return Response.json({ id: m[1], podname: `reviews-${version}`, clustername: "null", reviews }, { headers: { "x-bookinfo-version": version } });
  },
} satisfies ExportedHandler<MemberEnv>;
