/**
 * What the router needs from a request, and a per-request view that derives path parts lazily (query
 * parameters and the lower-cased path are computed only when a candidate route asks for them).
 */

export interface RouteInput {
  listener: "gateway" | "mesh";
  /** `Host` / `:authority` as sent; may include a port. */
  authority: string;
  /** Path and optional `?query`, already normalized. */
  path: string;
  method: string;
  scheme: "http" | "https";
  /** Listener port (gateway: the port the request arrived on; mesh: the destination port called). */
  port: number;
  headers: { get(name: string): string | null };
  /** Mesh callers: the caller's namespace (from its binding, never from a header). */
  sourceNamespace?: string;
  /** Mesh callers: the caller's workload labels, for `sourceLabels` matches. */
  sourceLabels?: Record<string, string>;
  /** Validated JWT claims (RequestAuthentication), for `@request.auth.claims.*` matches. */
  claims?: Record<string, unknown>;
}

export class RequestView {
  /** Path without the query string. */
  readonly path: string;
  private readonly rawQuery: string | undefined;
  private lower: string | undefined;
  private query: Map<string, string> | undefined;

  constructor(readonly input: RouteInput) {
    const p = input.path;
    const q = p.indexOf("?");
    this.path = q < 0 ? p : p.slice(0, q);
    this.rawQuery = q < 0 ? undefined : p.slice(q + 1);
  }

  /** ASCII-lower-cased path (Envoy's case-insensitive compare is ASCII only). */
  get lowerPath(): string {
    return (this.lower ??= asciiLower(this.path));
  }

  /**
   * First value of a query parameter, undecoded, as Envoy's QueryParameterMatcher sees it: `?k` and
   * `?k=` both give "", a repeated key keeps its first value.
   */
  queryParam(name: string): string | undefined {
    if (this.rawQuery === undefined) return undefined;
    if (!this.query) {
      const map = new Map<string, string>();
      for (const part of this.rawQuery.split("&")) {
        if (part === "") continue;
        const eq = part.indexOf("=");
        const key = eq < 0 ? part : part.slice(0, eq);
        if (!map.has(key)) map.set(key, eq < 0 ? "" : part.slice(eq + 1));
      }
      this.query = map;
    }
    return this.query.get(name);
  }

  /** A header by lower-case name; pseudo-headers (and `host`) read the request line. */
  header(name: string): string | null {
    switch (name) {
      case ":authority":
      case "host":
        return this.input.authority;
      case ":method":
        return this.input.method;
      case ":scheme":
        return this.input.scheme;
      case ":path":
        return this.input.path;
      default:
        return this.input.headers.get(name);
    }
  }
}

const UPPER = /[A-Z]/;

/** Lower-cases ASCII letters only, as Envoy's `ignore_case` does. */
export function asciiLower(s: string): string {
  if (!UPPER.test(s)) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}
