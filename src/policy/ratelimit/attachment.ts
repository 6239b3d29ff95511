/**
 * Does a policy see this request? Its compiled attachment (table.ts) as one predicate, built once per
 * snapshot: the gateway workload (everything), Gateway servers (north-south, by host and port), a
 * VirtualService or one of its http routes (by the route the router chose), or hosts.
 */
import { hostMatches } from "../../config/hosts.js";
import type { RateLimitRequest } from "./request.js";
import type { Attachment } from "../../config/compile/rate-limit-table.js";

/** `host`: the request host, lower case without port. Undefined result: the policy sees nothing. */
export type AttachmentTest = (req: RateLimitRequest, host: string) => boolean;

export function compileAttachment(a: Attachment): AttachmentTest | undefined {
  if (a.workload) return () => true;
  const tests: AttachmentTest[] = [];
  for (const gw of a.gateways) {
    const servers = gw.servers;
    tests.push((req, host) =>
      (req.listener ?? "gateway") === "gateway" &&
      servers.some((s) => (req.port === undefined || req.port === s.port) && s.hosts.some((h) => hostMatches(h, host))),
    );
  }
  for (const vs of a.virtualServices) {
    const name = vs.virtualService;
    const route = vs.route;
    if (route === undefined) tests.push((req) => req.virtualService === name);
    else tests.push((req) => req.virtualService === name && req.routeName !== undefined && isRouteOf(req.routeName, route));
  }
  if (a.hosts.length > 0) {
    const hosts = a.hosts;
    tests.push((_req, host) => hosts.some((h) => hostMatches(h, host)));
  }
  if (tests.length === 0) return undefined;
  if (tests.length === 1) return tests[0];
  return (req, host) => tests.some((t) => t(req, host));
}

/** Envoy names a route `<http name>` or, for a named match block, `<http name>.<match name>`. */
export function isRouteOf(routeName: string, httpName: string): boolean {
  return routeName === httpName || (routeName.length > httpName.length && routeName.startsWith(httpName) && routeName[httpName.length] === ".");
}
