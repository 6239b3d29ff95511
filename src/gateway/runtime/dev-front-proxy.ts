/**
 * Local dev only (`ISTHMUS_DEV=true`): the Host the client sent, handed over by `npm start`'s front
 * proxy (scripts/start.mjs).
 *
 * Why the front proxy exists: `wrangler dev` puts a proxy Worker in front of the gateway that rewrites
 * every response header holding an absolute URL whose host is the request's own (`rewriteUrlRelatedHeaders`)
 * to the dev server's origin — `Location: https://bookinfo.local/x` becomes `http://bookinfo.local/x`, so a
 * Gateway's `httpsRedirect` (or any redirect to https) loses its scheme. `npm start` therefore sends
 * wrangler dev the request with a neutral Host (the inner listener's address, which no answer names) and
 * the client's Host in this header, and the gateway puts it back before anything reads it. A deployed
 * gateway (no ISTHMUS_DEV) never reads the header.
 */
export const DEV_HOST_HEADER = "x-isthmus-dev-host";

/** The request as the client sent it: `Host` restored from {@link DEV_HOST_HEADER}, which is dropped. */
export function fromDevFrontProxy(request: Request): Request {
  const host = request.headers.get(DEV_HOST_HEADER);
  if (host === null) return request;
  const headers = new Headers(request.headers);
  headers.delete(DEV_HOST_HEADER);
  headers.set("host", host);
  return new Request(request, { headers });
}
