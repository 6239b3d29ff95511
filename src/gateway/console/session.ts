/**
 * The console's browser session: the token page posts the admin token once; the answer sets an
 * HttpOnly, SameSite=Strict cookie that holds no token, only an expiry and an HMAC of it keyed by the
 * token (so rotating ADMIN_TOKEN ends every session, and nothing needs storing). The token never
 * appears in a URL, a page or a log. Calls that change something (rollback, explain) also need the
 * `x-isthmus-console` header, which a cross-site form cannot send.
 */
export const SESSION_COOKIE = "isthmus_console";
export const CONSOLE_HEADER = "x-isthmus-console";
const TTL_S = 8 * 3600;
const encoder = new TextEncoder();

async function mac(token: string, expiry: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(token), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`isthmus-console:${expiry}`)));
  return btoa(String.fromCharCode(...sig)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `Set-Cookie` for a new session (Secure when served over https). */
export async function sessionCookie(token: string, path: string, secure: boolean, now = Date.now()): Promise<string> {
  const expiry = Math.floor(now / 1000) + TTL_S;
  return `${SESSION_COOKIE}=${expiry}.${await mac(token, expiry)}; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=${TTL_S}${secure ? "; Secure" : ""}`;
}

export function clearSessionCookie(path: string): string {
  return `${SESSION_COOKIE}=; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=0`;
}

function cookieValue(headers: Headers, name: string): string | undefined {
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A valid, unexpired session cookie for this token. */
export async function validSession(headers: Headers, token: string | undefined, now = Date.now()): Promise<boolean> {
  if (!token) return false;
  const v = cookieValue(headers, SESSION_COOKIE);
  const m = v ? /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(v) : null;
  if (!m) return false;
  const expiry = Number(m[1]);
  if (expiry * 1000 < now) return false;
  const expected = await mac(token, expiry);
  const a = encoder.encode(expected);
  const b = encoder.encode(m[2]!);
  return a.length === b.length && crypto.subtle.timingSafeEqual(a, b);
}
