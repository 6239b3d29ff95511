/**
 * The parts of a request URL the gateway needs, split by hand: a WHATWG `new URL()` costs measurable
 * CPU per request in workerd (docs/performance.md) and also rewrites the path (dot segments, percent
 * encoding) before path normalization could decide what Istio's mode says.
 */
export interface RequestTarget {
  scheme: "http" | "https";
  /** `host[:port]` as in the URL. */
  host: string;
  /** Explicit port in the URL, else the scheme's default. */
  port: number;
  /** Path and query exactly as in the URL (no fragment). */
  pathAndQuery: string;
}

export function parseRequestUrl(url: string): RequestTarget {
  const schemeEnd = url.indexOf("://");
  const scheme = url.startsWith("https") ? "https" : "http";
  const hostStart = schemeEnd < 0 ? 0 : schemeEnd + 3;
  let pathStart = hostStart;
  while (pathStart < url.length) {
    const c = url.charCodeAt(pathStart);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
    pathStart++;
  }
  const host = url.slice(hostStart, pathStart);
  const hash = url.indexOf("#", pathStart);
  let pathAndQuery = hash < 0 ? url.slice(pathStart) : url.slice(pathStart, hash);
  if (!pathAndQuery.startsWith("/")) pathAndQuery = `/${pathAndQuery}`;
  const colon = host.lastIndexOf(":");
  const explicit = colon > host.lastIndexOf("]") ? Number(host.slice(colon + 1)) : NaN;
  return { scheme, host, port: Number.isInteger(explicit) && explicit > 0 ? explicit : scheme === "https" ? 443 : 80, pathAndQuery };
}
