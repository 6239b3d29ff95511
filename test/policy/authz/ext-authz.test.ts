/**
 * CUSTOM with an `envoyExtAuthzHttp` provider, against an injected fetch: what the check request
 * carries, and how allow / deny / 5xx / network errors / timeouts / failOpen come out.
 */
import { describe, expect, it } from "vitest";
import { parseMeshConfig, type ExtAuthzHttpProvider } from "../../../src/config/mesh-config.js";
import { applyUpstreamHeaders, checkExternalAuthz, deniedResponse, type ExtAuthzDeps } from "../../../src/policy/authz/index.js";
import { view } from "./fixtures.js";

function provider(yaml: string): ExtAuthzHttpProvider {
  const { config, errors } = parseMeshConfig(`extensionProviders:\n- name: authz\n  envoyExtAuthzHttp:\n${yaml.replace(/^/gm, "    ")}`);
  expect(errors).toEqual([]);
  const p = config.extensionProviders.authz;
  if (p?.kind !== "envoyExtAuthzHttp") throw new Error("no provider");
  return p;
}

/** A fetch that records the check request and answers with `answer`. */
function recorder(answer: () => Response | Promise<Response>) {
  const seen: Request[] = [];
  const fetch = async (req: Request) => {
    seen.push(req);
    return answer();
  };
  return { seen, deps: { fetch } satisfies ExtAuthzDeps };
}

const original = () => ({
  url: "https://shop.example.com/cart/../orders?page=2",
  headers: new Headers({ cookie: "session=abc", authorization: "Bearer t", "x-private": "secret", "x-forwarded-host": "spoofed", host: "shop.example.com" }),
});
const orderView = view({ method: "POST", host: "shop.example.com", path: "/orders" });

describe("the check request", () => {
  it("carries method, prefixed normalized path with query, authorization and the included headers only", async () => {
    const p = provider(`service: https://authz.example.com/ext\npathPrefix: /check\nincludeRequestHeadersInCheck: [cookie, "x-trace-*"]\nincludeAdditionalHeadersInCheck: {x-gateway: isthmus, cookie: fixed}`);
    const { seen, deps } = recorder(() => new Response(null, { status: 200 }));
    const result = await checkExternalAuthz(orderView, original(), p, deps);
    expect(result.allowed).toBe(true);
    const req = seen[0]!;
    expect(req.method).toBe("POST");
    expect(req.url).toBe("https://authz.example.com/ext/check/orders?page=2");
    expect(req.redirect).toBe("manual");
    expect(req.headers.get("authorization")).toBe("Bearer t");
    expect(req.headers.get("cookie")).toBe("fixed");
    expect(req.headers.get("x-gateway")).toBe("isthmus");
    expect(req.headers.get("x-private")).toBeNull();
    expect(req.headers.get("x-forwarded-host")).toBe("shop.example.com");
    expect(await req.text()).toBe("");
  });

  it("a binding service gets the original authority as the URL host", async () => {
    const p = provider(`service: "binding:AUTHZ"`);
    const { seen, deps } = recorder(() => new Response(null, { status: 200 }));
    const result = await checkExternalAuthz(orderView, original(), p, { fetch: () => Promise.reject(new Error("not this one")), bindings: { AUTHZ: deps } });
    expect(result.allowed).toBe(true);
    expect(seen[0]!.url).toBe("http://shop.example.com/orders?page=2");
    expect(seen[0]!.headers.get("x-forwarded-host")).toBeNull();
  });

  it("an Istio host:port service is fetched over http", async () => {
    const p = provider(`service: authz.foo.svc.cluster.local\nport: 8000`);
    const { seen, deps } = recorder(() => new Response(null, { status: 200 }));
    await checkExternalAuthz(orderView, original(), p, deps);
    expect(seen[0]!.url).toBe("http://authz.foo.svc.cluster.local:8000/orders?page=2");
  });
});

describe("allow (200)", () => {
  it("sets upstream headers, removes the ones named, and passes downstream headers", async () => {
    const p = provider(`service: https://authz.example.com\nheadersToUpstreamOnAllow: [x-user, "x-auth-*"]\nheadersToDownstreamOnAllow: [set-cookie]`);
    const answer = () => {
      const h = new Headers({ "x-user": "alice", "x-auth-groups": "dev", "x-other": "no", "x-envoy-auth-headers-to-remove": "cookie, authorization" });
      h.append("set-cookie", "a=1");
      h.append("set-cookie", "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT");
      return new Response("ignored", { status: 200, headers: h });
    };
    const result = await checkExternalAuthz(orderView, original(), p, recorder(answer).deps);
    expect(result).toMatchObject({ allowed: true, details: "ext_authz_ok" });
    if (!result.allowed) return;
    expect(result.upstreamHeaders).toEqual([["x-auth-groups", "dev"], ["x-user", "alice"]]);
    expect(result.removeUpstreamHeaders).toEqual(["cookie", "authorization"]);
    expect(result.downstreamHeaders).toEqual([["set-cookie", "a=1"], ["set-cookie", "b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"]]);
    const upstream = new Headers({ cookie: "c", authorization: "Bearer t", "x-user": "spoofed" });
    applyUpstreamHeaders(upstream, result);
    expect([...upstream]).toEqual([["x-auth-groups", "dev"], ["x-user", "alice"]]);
  });

  it("without headersToUpstreamOnAllow the request is forwarded as is", async () => {
    const p = provider(`service: https://authz.example.com`);
    const result = await checkExternalAuthz(orderView, original(), p, recorder(() => new Response(null, { status: 200, headers: { "x-user": "alice" } })).deps);
    expect(result).toMatchObject({ allowed: true, upstreamHeaders: [], downstreamHeaders: [] });
  });
});

describe("deny (non-200, non-5xx)", () => {
  it("sends the service's status, body and every header but host", async () => {
    const p = provider(`service: https://authz.example.com`);
    const answer = () => {
      const h = new Headers({ location: "https://login.example.com/?rd=/orders", "x-reason": "login", "content-type": "text/html" });
      h.append("set-cookie", "csrf=1; Path=/");
      h.append("set-cookie", "nonce=2; Path=/");
      return new Response("<a>login</a>", { status: 302, headers: h });
    };
    const result = await checkExternalAuthz(orderView, original(), p, recorder(answer).deps);
    expect(result.allowed).toBe(false);
    if (result.allowed) return;
    expect(result.details).toBe("ext_authz_denied");
    expect(result.reply).toMatchObject({ status: 302, body: "<a>login</a>", flag: "UAEX" });
    expect(result.reply.headers).toMatchObject({ location: "https://login.example.com/?rd=/orders", "x-reason": "login" });
    const res = deniedResponse(result);
    expect(res.status).toBe(302);
    expect(res.headers.getSetCookie()).toEqual(["csrf=1; Path=/", "nonce=2; Path=/"]);
    expect(res.headers.get("content-type")).toBe("text/html");
    expect(await res.text()).toBe("<a>login</a>");
  });

  it("with headersToDownstreamOnDeny only those, plus www-authenticate and location", async () => {
    const p = provider(`service: https://authz.example.com\nheadersToDownstreamOnDeny: ["x-deny-*"]`);
    const answer = () => new Response("nope", { status: 401, headers: { "x-deny-reason": "expired", "www-authenticate": "Bearer", "x-internal": "1" } });
    const result = await checkExternalAuthz(orderView, original(), p, recorder(answer).deps);
    if (result.allowed) throw new Error("allowed");
    expect(result.reply.status).toBe(401);
    expect(result.headers.map(([n]) => n).sort()).toEqual(["www-authenticate", "x-deny-reason"]);
  });
});

describe("errors", () => {
  const rows: { name: string; yaml: string; deps: () => ExtAuthzDeps; allowed: boolean; status?: number }[] = [
    { name: "5xx ⇒ statusOnError (403)", yaml: "service: https://a.example", deps: () => recorder(() => new Response("boom", { status: 503 })).deps, allowed: false, status: 403 },
    { name: "network error ⇒ 403", yaml: "service: https://a.example", deps: () => ({ fetch: () => Promise.reject(new TypeError("connect failed")) }), allowed: false, status: 403 },
    { name: "network error, statusOnError 503", yaml: `service: https://a.example\nstatusOnError: "503"`, deps: () => ({ fetch: () => Promise.reject(new TypeError("x")) }), allowed: false, status: 503 },
    { name: "5xx with failOpen ⇒ allowed", yaml: "service: https://a.example\nfailOpen: true", deps: () => recorder(() => new Response(null, { status: 500 })).deps, allowed: true },
    { name: "timeout ⇒ 403", yaml: "service: https://a.example\ntimeout: 20ms", deps: () => ({ fetch: () => new Promise<Response>(() => {}) }), allowed: false, status: 403 },
    { name: "timeout with failOpen ⇒ allowed", yaml: "service: https://a.example\ntimeout: 20ms\nfailOpen: true", deps: () => ({ fetch: () => new Promise<Response>(() => {}) }), allowed: true },
    { name: "missing binding ⇒ 403", yaml: `service: "binding:NOPE"`, deps: () => ({ fetch: () => Promise.reject(new Error("unused")), bindings: {} }), allowed: false, status: 403 },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const result = await checkExternalAuthz(orderView, original(), provider(row.yaml), row.deps());
      expect(result.allowed).toBe(row.allowed);
      expect(result.details).toBe("ext_authz_error");
      if (result.allowed) expect(result.failedOpen).toBe(true);
      else expect(result.reply).toEqual({ status: row.status, body: "", flag: "UAEX", details: "ext_authz_error", headers: undefined });
    });
  }

  it("a check that cannot be built from the client's request is refused even with failOpen", async () => {
    const p = provider(`service: "binding:AUTHZ"\nfailOpen: true`);
    const { seen, deps } = recorder(() => new Response(null, { status: 200 }));
    const result = await checkExternalAuthz(view({ host: "bad host^" }), original(), p, { fetch: deps.fetch, bindings: { AUTHZ: deps } });
    expect(result).toMatchObject({ allowed: false, details: "ext_authz_error", reply: { status: 403, flag: "UAEX" } });
    expect(seen).toEqual([]);
  });

  it("the timeout aborts the check request", async () => {
    let signal: AbortSignal | undefined;
    const deps: ExtAuthzDeps = { fetch: (req) => ((signal = req.signal), new Promise<Response>(() => {})) };
    await checkExternalAuthz(orderView, original(), provider("service: https://a.example\ntimeout: 10ms"), deps);
    expect(signal?.aborted).toBe(true);
  });
});
