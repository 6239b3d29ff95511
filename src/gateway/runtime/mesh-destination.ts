/**
 * A member's binding to the gateway may name the service it stands for (`props.destination`,
 * `"reviews.default.svc.cluster.local:9080"`): every request on that binding goes to that service
 * whatever its URL says, so a Worker written against a direct binding (`env.REVIEWS.fetch(request)`)
 * joins the mesh unchanged once `isthmus inject` points the binding at the gateway. Only the authority
 * is replaced, before routing; path and query stay as the member sent them.
 *
 * @example meshTarget("reviews:9080", parseRequestUrl("https://reviews.example.workers.dev/reviews/0?x=1"))
 *          // { scheme: "http", host: "reviews:9080", port: 9080, pathAndQuery: "/reviews/0?x=1" }
 */
import type { RequestTarget } from "../chain/request-target.js";

/** `host` or `host:port` (an `http://` prefix is tolerated); undefined when the value is not one. */
export function parseMeshDestination(destination: string): { host: string; port: number } | undefined {
  const value = destination.startsWith("http://") ? destination.slice(7) : destination;
  if (value === "" || /[/?#@\s]/.test(value)) return undefined;
  const colon = value.lastIndexOf(":");
  if (colon < 0) return { host: value.toLowerCase(), port: 80 };
  const port = Number(value.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535 || colon === 0) return undefined;
  return { host: value.toLowerCase(), port };
}

/** The request target with the binding's destination as authority (plain HTTP inside the mesh). */
export function meshTarget(destination: { host: string; port: number }, target: RequestTarget): RequestTarget {
  return { scheme: "http", host: destination.host, port: destination.port, pathAndQuery: target.pathAndQuery };
}
