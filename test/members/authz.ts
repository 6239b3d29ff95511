/**
 * A test external authorization service (Istio envoyExtAuthzHttp contract): 200 allows (and returns a
 * header for the upstream), anything else denies with its own status, body and headers.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("x-allow") === "yes") {
      return new Response(null, { status: 200, headers: { "x-authz-user": "bob", "x-not-forwarded": "no" } });
    }
    const headers = new Headers({ "x-denied": "by-test-authz", "content-type": "text/plain" });
    headers.append("set-cookie", "a=1");
    headers.append("set-cookie", "b=2");
    return new Response(`denied: ${new URL(request.url).pathname}`, { status: 401, headers });
  },
} satisfies ExportedHandler;
