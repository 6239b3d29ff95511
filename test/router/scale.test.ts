/**
 * Scale: 10,000 routes compile, hydrate and route correctly (the benchmark measures the speed; this
 * guards against stack overflows and accidental quadratic work showing up as timeouts).
 */
import { describe, expect, it } from "vitest";
import type { HTTPRoute } from "../../src/config/schemas/virtual-service.js";
import { buildRouter } from "../../src/router/index.js";
import { compile, httpGateway, req, se, vs } from "../config/compile/fixtures.js";

const N = 10_000;
const origin = se("origin", { hosts: ["origin.local"], resolution: "STATIC", ports: [{ number: 80, name: "http", protocol: "HTTP" }], endpoints: [{ address: "127.0.0.1" }] });
const rule = (i: number): HTTPRoute => ({
  name: `r${i}`,
  match: [i % 5 === 0 ? { uri: { regex: `/re${i}/[a-z]+` } } : i % 3 === 0 ? { uri: { exact: `/ex${i}` }, headers: { "x-v": { exact: "1" } } } : { uri: { prefix: `/svc${i}/` } }],
  route: [{ destination: { host: "origin.local" } }],
});

describe("10,000 routes", () => {
  it.each([
    ["in one VirtualService", () => [vs("big", { hosts: ["bench.local"], gateways: ["g"], http: Array.from({ length: N }, (_, i) => rule(i)) })]],
    ["in 10,000 VirtualServices on one host", () => Array.from({ length: N }, (_, i) => vs(`vs${i}`, { hosts: ["bench.local"], gateways: ["g"], http: [rule(i)] }))],
  ])("%s", (_n, make) => {
    const snapshot = compile([httpGateway("g", ["*"]), origin, ...make()]);
    const router = buildRouter(JSON.parse(JSON.stringify(snapshot)));
    const name = (path: string, headers: Record<string, string> = {}) => {
      const d = router.route(req({ authority: "bench.local", path, headers }));
      return d.outcome === "matched" ? d.routeName : d.outcome;
    };
    expect(name("/svc9998/x")).toBe("r9998");
    expect(name("/svc1/")).toBe("r1");
    expect(name("/re9995/abc")).toBe("r9995");
    expect(name("/re9995/ABC")).toBe("no_route");
    expect(name("/ex9999", { "x-v": "1" })).toBe("r9999");
    expect(name("/ex9999")).toBe("no_route");
    expect(name("/svc10000/")).toBe("no_route");
  });
});
