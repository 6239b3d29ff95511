/**
 * Header operations: one table for a single `headers` block (order inside a stage, values, skipped
 * names), one for `%COMMAND%` values, one for route vs destination precedence both ways, plus the
 * snapshot helpers and properties.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Route, WeightedDestination } from "../../../src/config/snapshot.js";
import type { Headers as HeadersSpec } from "../../../src/config/schemas/virtual-service.js";
import {
  applyRequestHeaderOps, applyResponseHeaderOps, combineHeaderOps, compileHeaderOps, isWeightedRoute,
  NO_HEADER_OPS, routeHeaderOps, type HeaderValueContext,
} from "../../../src/policy/header-ops.js";
import { parseHeaderValue } from "../../../src/config/header-value-syntax.js";
import { buildRouter } from "../../../src/router/index.js";
import { compile, httpGateway, req, vs } from "../../config/compile/fixtures.js";

const ORIGINAL = { "x-keep": "k", "x-old": "old", "x-in": "input-value", host: "a.com" };

function runRequest(spec: HeadersSpec["request"], original: Record<string, string> = ORIGINAL, ctx: HeaderValueContext = {}) {
  const h = new Headers(original);
  applyRequestHeaderOps(compileHeaderOps({ request: spec }), h, ctx);
  return Object.fromEntries(h);
}

describe("one headers block (request side)", () => {
  it.each([
    ["set overwrites", { set: { "x-old": "new" } }, { ...ORIGINAL, "x-old": "new" }],
    ["set adds when missing", { set: { "x-new": "v" } }, { ...ORIGINAL, "x-new": "v" }],
    ["add appends another value", { add: { "x-old": "more" } }, { ...ORIGINAL, "x-old": "old, more" }],
    ["add creates when missing", { add: { "x-new": "v" } }, { ...ORIGINAL, "x-new": "v" }],
    ["remove deletes", { remove: ["x-old"] }, { "x-keep": "k", "x-in": "input-value", host: "a.com" }],
    ["remove of a missing header is a no-op", { remove: ["x-none"] }, ORIGINAL],
    ["remove runs before set on the same name", { remove: ["x-old"], set: { "x-old": "set" } }, { ...ORIGINAL, "x-old": "set" }],
    ["remove runs before add on the same name", { remove: ["x-old"], add: { "x-old": "added" } }, { ...ORIGINAL, "x-old": "added" }],
    ["set runs before add on the same name", { set: { "x-old": "s" }, add: { "x-old": "a" } }, { ...ORIGINAL, "x-old": "s, a" }],
    ["an empty value is skipped (no keep_empty_value)", { set: { "x-old": "" }, add: { "x-new": "" } }, ORIGINAL],
    ["names are case-insensitive", { set: { "X-Old": "new" }, remove: ["X-KEEP"] }, { "x-old": "new", "x-in": "input-value", host: "a.com" }],
    ["names differing only in case: sorted, the later one wins", { set: { "x-a": "lower", "X-A": "upper" } }, { ...ORIGINAL, "x-a": "lower" }],
    ["host set/add is not a header op (it is a host rewrite)", { set: { host: "b.com" }, add: { Host: "c.com" } }, ORIGINAL],
    [":authority set is not a header op", { set: { ":authority": "b.com" } }, ORIGINAL],
    ["host and pseudo-headers cannot be removed", { remove: ["host", "Host", ":path"] }, ORIGINAL],
    ["other pseudo-headers are skipped", { set: { ":path": "/x", ":method": "POST" } }, ORIGINAL],
    ["%% is a literal %", { set: { "x-pct": "100%%" } }, { ...ORIGINAL, "x-pct": "100%" }],
    ["several ops at once", { set: { "x-a": "1", "x-b": "2" }, add: { "x-keep": "k2" }, remove: ["x-in"] },
      { "x-keep": "k, k2", "x-old": "old", host: "a.com", "x-a": "1", "x-b": "2" }],
  ] as const)("%s", (_n, spec, expected) => {
    expect(runRequest(spec as HeadersSpec["request"])).toEqual(expected);
  });

  it("add keeps separate Set-Cookie values on responses", () => {
    const h = new Headers([["set-cookie", "a=1"]]);
    applyResponseHeaderOps(compileHeaderOps({ response: { add: { "set-cookie": "b=2" } } }), h);
    expect(h.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("compiles to sorted stages; set before add; no stage when nothing applies", () => {
    expect(compileHeaderOps({ request: { set: { b: "2", a: "1" }, add: { c: "3" }, remove: ["D"] } })).toEqual({
      request: [{ remove: ["d"], set: [{ name: "a", value: { literal: "1" } }, { name: "b", value: { literal: "2" } }], add: [{ name: "c", value: { literal: "3" } }] }],
      response: [],
    });
    expect(compileHeaderOps({ request: { set: { host: "x" } } })).toEqual({ request: [], response: [] });
    expect(compileHeaderOps(undefined)).toBe(NO_HEADER_OPS);
  });
});

describe("%COMMAND% values", () => {
  const ctx: HeaderValueContext = {
    downstreamRemoteAddress: "203.0.113.7",
    protocol: "HTTP/2",
    startTime: Date.parse("2024-05-06T07:08:09.123Z"),
    routeName: "r1.m",
    authority: "a.com:8080",
    path: "/p?q",
    method: "PUT",
    scheme: "https",
  };
  it.each([
    ["REQ reads a request header", "%REQ(x-in)%", "input-value"],
    ["REQ is case-insensitive", "%REQ(X-IN)%", "input-value"],
    ["REQ with an alternative", "%REQ(x-none?x-old)%", "old"],
    ["REQ truncated", "%REQ(x-in):5%", "input"],
    ["REQ mixed with literal text", "v=%REQ(x-old)%;p=%%", "v=old;p=%"],
    ["REQ of a missing header: empty, op skipped", "%REQ(x-none)%", null],
    ["REQ(:authority)", "%REQ(:authority)%", "a.com:8080"],
    ["REQ(:path), :method, :scheme", "%REQ(:method)% %REQ(:scheme)% %REQ(:path)%", "PUT https /p?q"],
    ["DOWNSTREAM_REMOTE_ADDRESS", "%DOWNSTREAM_REMOTE_ADDRESS%", "203.0.113.7"],
    ["DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT", "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", "203.0.113.7"],
    ["PROTOCOL", "%PROTOCOL%", "HTTP/2"],
    ["START_TIME in Envoy's default format", "%START_TIME%", "2024-05-06T07:08:09.123Z"],
    ["START_TIME with a format is unsupported (empty)", "%START_TIME(%s)%", null],
    ["ROUTE_NAME", "%ROUTE_NAME%", "r1.m"],
    ["RESP on the request side is empty", "%RESP(x-in)%", null],
    ["unknown command is empty", "%UPSTREAM_HOST%", null],
    ["unknown command next to literal text keeps the text", "up=%UPSTREAM_HOST%", "up="],
  ] as const)("%s", (_n, value, expected) => {
    const out = runRequest({ set: { "x-out": value } }, ORIGINAL, ctx);
    expect(out["x-out"] ?? null).toBe(expected);
  });

  it("values are computed after the removals and before any set/add of the same stage", () => {
    expect(runRequest({ set: { "x-a": "%REQ(x-old)%", "x-old": "changed" } })).toMatchObject({ "x-a": "old", "x-old": "changed" });
    expect(runRequest({ set: { "x-z": "%REQ(x-a)%", "x-a": "new" } })["x-z"]).toBeUndefined();
    expect(runRequest({ remove: ["x-old"], set: { "x-a": "%REQ(x-old)%" } })["x-a"]).toBeUndefined();
  });

  it("response ops read %REQ()% from the request and %RESP()% from the response", () => {
    const h = new Headers({ "x-up": "upstream" });
    const ops = compileHeaderOps({ response: { set: { "x-echo": "%REQ(x-in)%", "x-copy": "%RESP(x-up)%" } } });
    applyResponseHeaderOps(ops, h, { requestHeaders: new Headers(ORIGINAL) });
    expect(Object.fromEntries(h)).toEqual({ "x-up": "upstream", "x-echo": "input-value", "x-copy": "upstream" });
  });

  it("unsupported commands are listed once", () => {
    expect(compileHeaderOps({ request: { set: { a: "%UPSTREAM_HOST%", b: "%UPSTREAM_HOST% %START_TIME(%s)%" } }, response: { add: { c: "%REQ%" } } }).unsupported)
      .toEqual(["UPSTREAM_HOST", "START_TIME", "REQ"]);
    expect(compileHeaderOps({ request: { set: { a: "%REQ(x)% %PROTOCOL% 5%%" } } }).unsupported).toBeUndefined();
  });

  it("parses once: literal values need no work per request", () => {
    expect(parseHeaderValue("plain")).toEqual({ literal: "plain" });
    expect(parseHeaderValue("50%%")).toEqual({ literal: "50%" });
    expect(parseHeaderValue("a%REQ(x-a?x-b):4%b")).toEqual({ parts: ["a", { command: "REQ", headers: ["x-a", "x-b"], maxLength: 4 }, "b"] });
  });
});

describe("route vs destination level (combineHeaderOps)", () => {
  type Side = "request" | "response";
  const ops = (side: Side, o: Record<string, unknown>) => compileHeaderOps({ [side]: o } as HeadersSpec);
  const run = (side: Side, route: Record<string, unknown>, dest: Record<string, unknown>, weighted: boolean) => {
    const h = new Headers({ x: "orig", y: "orig-y" });
    const combined = combineHeaderOps(ops(side, route), ops(side, dest), weighted);
    if (side === "request") applyRequestHeaderOps(combined, h);
    else applyResponseHeaderOps(combined, h);
    return Object.fromEntries(h);
  };

  const rows = [
    // [name, route ops, destination ops, single-destination result, weighted result]
    ["both set: destination wins when single, route wins when weighted", { set: { x: "route" } }, { set: { x: "dest" } }, { x: "dest", y: "orig-y" }, { x: "route", y: "orig-y" }],
    ["route remove vs destination set", { remove: ["x"] }, { set: { x: "dest" } }, { x: "dest", y: "orig-y" }, { y: "orig-y" }],
    ["route set vs destination remove", { set: { x: "route" } }, { remove: ["x"] }, { x: "route", y: "orig-y" }, { x: "route", y: "orig-y" }],
    ["both add: order of the appended values", { add: { x: "route" } }, { add: { x: "dest" } }, { x: "orig, route, dest", y: "orig-y" }, { x: "orig, dest, route", y: "orig-y" }],
    ["route add vs destination set", { add: { x: "route" } }, { set: { x: "dest" } }, { x: "dest, route", y: "orig-y" }, { x: "dest, route", y: "orig-y" }],
    ["route set vs destination add", { set: { x: "route" } }, { add: { x: "dest" } }, { x: "route, dest", y: "orig-y" }, { x: "route", y: "orig-y" }],
    ["destination remove vs route add", { add: { x: "route" } }, { remove: ["x"] }, { x: "route", y: "orig-y" }, { x: "route", y: "orig-y" }],
    ["only route ops", { set: { x: "route" } }, {}, { x: "route", y: "orig-y" }, { x: "route", y: "orig-y" }],
    ["only destination ops", {}, { set: { x: "dest" } }, { x: "dest", y: "orig-y" }, { x: "dest", y: "orig-y" }],
  ] as const;

  for (const side of ["request", "response"] as const) {
    it.each(rows)(`${side}: %s`, (_n, route, dest, single, weighted) => {
      expect(run(side, route, dest, false)).toEqual(single);
      expect(run(side, route, dest, true)).toEqual(weighted);
    });
  }

  it("route values see the destination's edits only when weighted (separate stages)", () => {
    expect(run("request", { set: { z: "%REQ(y)%" } }, { set: { y: "dest-y" } }, false)).toEqual({ x: "orig", y: "dest-y", z: "orig-y" });
    expect(run("request", { set: { z: "%REQ(y)%" } }, { set: { y: "dest-y" } }, true)).toEqual({ x: "orig", y: "dest-y", z: "dest-y" });
    expect(run("response", { set: { z: "%RESP(y)%" } }, { set: { y: "dest-y" } }, false)).toEqual({ x: "orig", y: "dest-y", z: "orig-y" });
    expect(run("response", { set: { z: "%RESP(y)%" } }, { set: { y: "dest-y" } }, true)).toEqual({ x: "orig", y: "dest-y", z: "dest-y" });
  });

  it("single destination merges into one stage; weighted keeps destination then route", () => {
    const r = compileHeaderOps({ request: { set: { a: "r" } } });
    const d = compileHeaderOps({ request: { set: { a: "d" } } });
    expect(combineHeaderOps(r, d, false).request).toHaveLength(1);
    expect(combineHeaderOps(r, d, true).request.map((s) => s.set[0]!.value.literal)).toEqual(["d", "r"]);
    expect(combineHeaderOps(r, NO_HEADER_OPS, true)).toBe(r);
    expect(combineHeaderOps(NO_HEADER_OPS, d, false)).toBe(d);
  });
});

describe("route and destination ops in compiled snapshots (routeHeaderOps)", () => {
  const routeOf = (http: Record<string, unknown>[]) => {
    const m = buildRouter(compile([httpGateway("g", ["*"]), vs("v", { hosts: ["x.com"], gateways: ["g"], http })])).route(req({ authority: "x.com", path: "/" }));
    if (m.outcome !== "matched") throw new Error("no match");
    return m.route;
  };
  const destinations = (r: Route): WeightedDestination[] => (r.action.kind === "forward" ? r.action.destinations : []);

  it("single destination: destination set wins", () => {
    const r = routeOf([{ headers: { request: { set: { x: "route" } } }, route: [{ destination: { host: "r", subset: "v1" }, headers: { request: { set: { x: "dest" } } } }] }]);
    expect(isWeightedRoute(r)).toBe(false);
    const h = new Headers();
    applyRequestHeaderOps(routeHeaderOps(r, destinations(r)[0]), h);
    expect(h.get("x")).toBe("dest");
  });

  it("weighted destinations: route set wins; a destination without headers takes the route's", () => {
    const r = routeOf([{
      headers: { request: { set: { x: "route" } }, response: { add: { y: "route" } } },
      route: [
        { destination: { host: "r", subset: "a" }, weight: 50, headers: { request: { set: { x: "dest-a" } }, response: { set: { y: "dest-a" } } } },
        { destination: { host: "r", subset: "b" }, weight: 50 },
      ],
    }]);
    expect(isWeightedRoute(r)).toBe(true);
    const [a, b] = destinations(r);
    const req1 = new Headers();
    applyRequestHeaderOps(routeHeaderOps(r, a), req1);
    expect(req1.get("x")).toBe("route");
    const res = new Headers();
    applyResponseHeaderOps(routeHeaderOps(r, a), res);
    expect(res.get("y")).toBe("dest-a, route");
    const resB = new Headers();
    applyResponseHeaderOps(routeHeaderOps(r, b), resB);
    expect(resB.get("y")).toBe("route");
  });

  it("direct-response routes: route ops only", () => {
    const r = routeOf([{ headers: { response: { set: { "content-type": "text/plain" } } }, directResponse: { status: 200 } }]);
    const h = new Headers();
    applyResponseHeaderOps(routeHeaderOps(r), h);
    expect(h.get("content-type")).toBe("text/plain");
    expect(isWeightedRoute(r)).toBe(false);
  });

  it("a weighted rule keeps each destination's headers", () => {
    const r = routeOf([{
      headers: { request: { set: { "x-level": "route" }, remove: ["x-drop"] } },
      route: [
        { destination: { host: "r", subset: "a" }, weight: 100, headers: { request: { set: { "x-level": "dest", "x-dest": "a" } } } },
        { destination: { host: "r", subset: "b" }, weight: 0 },
      ],
    }]);
    expect(isWeightedRoute(r)).toBe(true); // Istio: more than one destination listed ⇒ weighted clusters
    const h = new Headers({ "x-drop": "1" });
    applyRequestHeaderOps(routeHeaderOps(r, destinations(r)[0]), h);
    expect(Object.fromEntries(h)).toEqual({ "x-level": "route", "x-dest": "a" });
  });
});

describe("header ops properties", () => {
  const tokenChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&'*+-.^_`|~");
  const name = fc.oneof(
    fc.array(tokenChar, { minLength: 1, maxLength: 16 }).map((a) => a.join("")),
    fc.constantFrom("host", "Host", ":authority", ":path", "bad name", "", "x\u00e9"),
  );
  const valueChar = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), fc.constant("\t"), fc.constant("%"));
  const value = fc.array(valueChar, { maxLength: 24 }).map((a) => a.join(""));
  const opsArb = fc.record({
    set: fc.option(fc.dictionary(name, value, { maxKeys: 4 }), { nil: undefined }),
    add: fc.option(fc.dictionary(name, value, { maxKeys: 4 }), { nil: undefined }),
    remove: fc.option(fc.array(name, { maxLength: 4 }), { nil: undefined }),
  });

  it("never throw on random names and values, at either level, in either order", () => {
    fc.assert(
      fc.property(opsArb, opsArb, opsArb, opsArb, fc.boolean(), fc.dictionary(fc.array(tokenChar, { minLength: 1, maxLength: 8 }).map((a) => a.join("")), value, { maxKeys: 5 }),
        (rq, rs, dq, ds, weighted, initial) => {
          const combined = combineHeaderOps(compileHeaderOps({ request: rq, response: rs }), compileHeaderOps({ request: dq, response: ds }), weighted);
          const h = new Headers(initial);
          const ctx: HeaderValueContext = { downstreamRemoteAddress: "192.0.2.1", requestHeaders: new Headers(initial), startTime: 0 };
          applyRequestHeaderOps(combined, h, ctx);
          applyResponseHeaderOps(combined, h, ctx);
        }),
    );
  });

  it("a literal set is read back as written (Headers trims surrounding whitespace); host is never touched", () => {
    fc.assert(
      fc.property(fc.array(tokenChar, { minLength: 1, maxLength: 12 }).map((a) => a.join("")), value, (n, v) => {
        fc.pre(!v.includes("%") && n.toLowerCase() !== "host" && v !== "");
        const h = new Headers({ host: "a.com" });
        applyRequestHeaderOps(compileHeaderOps({ request: { set: { [n]: v }, remove: ["host"] } }), h);
        expect(h.get(n)).toBe(v.replace(/^[\t ]+|[\t ]+$/g, ""));
        expect(h.get("host")).toBe("a.com");
      }),
    );
  });
});
