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

export { parseMeshDestination } from "../../config/mesh-destination.js";

/** The request target with the binding's destination as authority (plain HTTP inside the mesh). */
export function meshTarget(destination: { host: string; port: number }, target: RequestTarget): RequestTarget {
  return { scheme: "http", host: destination.host, port: destination.port, pathAndQuery: target.pathAndQuery };
}
