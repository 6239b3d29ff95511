/**
 * The peer of scenario (e): the gateway a user would write by hand with Hono and jose, doing what
 * (e) asks of Isthmus — verify an ES256 JWT, run the same ten authorization checks, take a token from a
 * per-client-IP bucket and count a fixed window per subject, rewrite the request headers — then forward
 * to the origin over the ORIGIN service binding. Written plainly, as a README example would be, not
 * tuned for the bench: jose's `jwtVerify` on every request (a hand-written gateway rarely caches
 * verified tokens), one Hono middleware per concern, a Map per limiter.
 *
 * Bindings (bench/run.mjs): ORIGIN (service), JWKS (the run's public key set, JSON), ISSUER, AUDIENCE.
 */
import { Hono } from "hono";
import { createLocalJWKSet, jwtVerify, type JWTPayload } from "jose";

interface Env {
  ORIGIN: Fetcher;
  JWKS: string;
  ISSUER: string;
  AUDIENCE: string;
}
type Vars = { claims: JWTPayload; principal: string; clientIp: string };

const app = new Hono<{ Bindings: Env; Variables: Vars }>();

let jwks: ReturnType<typeof createLocalJWKSet> | undefined;

// ── 1. JWT: Bearer token, ES256, issuer and audience checked by jose. ───────────────────────────
app.use("*", async (c, next) => {
  const auth = c.req.header("authorization");
  if (!auth?.startsWith("Bearer ")) return c.text("missing token", 401);
  jwks ??= createLocalJWKSet(JSON.parse(c.env.JWKS));
  try {
    const { payload } = await jwtVerify(auth.slice(7), jwks, { issuer: c.env.ISSUER, audience: c.env.AUDIENCE, algorithms: ["ES256"] });
    c.set("claims", payload);
    c.set("principal", `${payload.iss}/${payload.sub}`);
  } catch {
    return c.text("invalid token", 401);
  }
  c.set("clientIp", c.req.header("cf-connecting-ip") ?? "");
  await next();
});

// ── 2. Authorization: the ten policies of bench/security-config.mjs, as code. ────────────────────
function ipv4(ip: string): number | undefined {
  const p = ip.split(".");
  if (p.length !== 4) return undefined;
  return p.reduce((n, x) => n * 256 + Number(x), 0);
}
function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split("/");
  if (net!.includes(":")) return ip.includes(":") && ip.toLowerCase().startsWith(net!.replace(/::$/, ":").toLowerCase());
  const a = ipv4(ip);
  const b = ipv4(net!);
  if (a === undefined || b === undefined) return false;
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}
const inAny = (ip: string, cidrs: string[]) => cidrs.some((c) => inCidr(ip, c));
const glob = (pattern: string, value: string) =>
  pattern.endsWith("*") ? value.startsWith(pattern.slice(0, -1)) : pattern.startsWith("*") ? value.endsWith(pattern.slice(1)) : value === pattern;
const claimList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

app.use("*", async (c, next) => {
  const path = c.req.path;
  const method = c.req.method;
  const host = (c.req.header("host") ?? "").replace(/:\d+$/, "");
  const ip = c.get("clientIp");
  const claims = c.get("claims");
  const principal = c.get("principal");
  const deny =
    ["/admin*", "/internal/*", "*.php", "/.git*"].some((p) => glob(p, path)) ||
    (["POST", "PUT", "PATCH", "DELETE"].includes(method) && glob("/svc*", path)) ||
    !principal ||
    inAny(ip, ["198.51.100.0/24", "192.0.2.0/24", "2001:db8::/32"]) ||
    claimList(claims.status).some((s) => s === "suspended" || s === "locked") ||
    c.req.header("x-debug") !== undefined;
  if (deny) return c.text("RBAC: access denied", 403);
  const allow =
    (inAny(ip, ["10.0.0.0/8"]) && path === "/healthz") ||
    glob("https://partners.example.com/*", principal) ||
    ["api.example.com", "*.internal.example.com"].some((h) => glob(h, host)) ||
    (glob(`${c.env.ISSUER}/*`, principal) &&
      !inAny(ip, ["198.51.100.0/24"]) &&
      host === "bench.example.com" &&
      (method === "GET" || method === "HEAD") &&
      glob("/svc*", path) &&
      claimList(claims.aud).includes(c.env.AUDIENCE) &&
      claimList(claims.groups).includes("readers"));
  if (!allow) return c.text("RBAC: access denied", 403);
  await next();
});

// ── 3. Rate limits: a token bucket per client IP, a fixed window per subject (isolate memory). ──
const BUCKET = { capacity: 1_000_000, perSecond: 1_000_000 };
const WINDOW = { limit: 1_000_000_000, ms: 3_600_000 };
const buckets = new Map<string, { tokens: number; at: number }>();
const windows = new Map<string, { start: number; count: number }>();

app.use("*", async (c, next) => {
  const now = Date.now();
  const ip = c.get("clientIp");
  let b = buckets.get(ip);
  if (!b) buckets.set(ip, (b = { tokens: BUCKET.capacity, at: now }));
  b.tokens = Math.min(BUCKET.capacity, b.tokens + ((now - b.at) / 1000) * BUCKET.perSecond);
  b.at = now;
  if (b.tokens < 1) return c.text("rate limited", 429);
  b.tokens -= 1;
  const sub = String(c.get("claims").sub ?? "anonymous");
  let w = windows.get(sub);
  if (!w || now - w.start >= WINDOW.ms) windows.set(sub, (w = { start: now - (now % WINDOW.ms), count: 0 }));
  if (w.count >= WINDOW.limit) return c.text("rate limited", 429);
  w.count++;
  await next();
  c.res.headers.set("x-ratelimit-limit", String(BUCKET.capacity));
  c.res.headers.set("x-ratelimit-remaining", String(Math.floor(b.tokens)));
});

// ── 4. Header rewrite and forward. ──────────────────────────────────────────────────────────────
app.all("*", async (c) => {
  const headers = new Headers(c.req.raw.headers);
  headers.delete("authorization");
  headers.set("x-forwarded-proto", new URL(c.req.url).protocol.slice(0, -1));
  headers.set("x-request-id", crypto.randomUUID());
  headers.set("x-user", String(c.get("claims").sub));
  const upstream = await c.env.ORIGIN.fetch(new Request(c.req.url, { method: c.req.method, headers, body: c.req.raw.body }));
  return new Response(upstream.body, upstream);
});

export default app;
