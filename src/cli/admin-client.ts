/**
 * The admin API as the CLI sees it (DESIGN §4): where it is (`--server`, `--prefix`), how to prove who
 * we are (`--token`), and how its failures read on a terminal — kubectl's `Error from server (Reason): ...`
 * lines, and one clear sentence when nothing answers at all.
 */
import type { ConfigError } from "../config/errors.js";
import type { KindInfo } from "../config/resource.js";
import type { CliIO } from "./io.js";
import { CliError } from "./errors.js";

/** Where the token came from, so a 401 can say which one was refused. */
export type TokenSource = "--token" | "ISTHMUS_TOKEN" | ".isthmus/dev-token" | "none";

export interface AdminTarget {
  /** Base URL of the gateway, without a trailing slash: `http://127.0.0.1:8787`. */
  server: string;
  /** Admin prefix with a leading and no trailing slash: `/_mesh`. */
  prefix: string;
  token?: string;
  tokenSource: TokenSource;
  /** Give up on a call after this long (`--request-timeout`); 0 waits forever. */
  timeoutMs: number;
}

export const DEFAULT_SERVER = "http://127.0.0.1:8787";
export const DEFAULT_PREFIX = "/_mesh";

export interface AdminResponse {
  status: number;
  ok: boolean;
  url: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
  text: string;
}

export class AdminClient {
  constructor(
    private readonly fetcher: CliIO["fetch"],
    readonly target: AdminTarget,
  ) {}

  url(path: string): string {
    return `${this.target.server}${this.target.prefix}${path}`;
  }

  /**
   * Sends one admin call. A string body is sent as is (YAML or JSON text); anything else as JSON.
   * Throws CliError when the server cannot be reached or refuses the credentials (401): no command can
   * do anything useful then. Every other status is returned for the command to explain.
   */
  async request(method: string, path: string, body?: unknown): Promise<AdminResponse> {
    const url = this.url(path);
    const headers = new Headers({ accept: "application/json" });
    if (this.target.token) headers.set("authorization", `Bearer ${this.target.token}`);
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === "string" ? body : JSON.stringify(body);
      headers.set("content-type", typeof body === "string" ? "application/yaml" : "application/json");
    }
    const signal = this.target.timeoutMs > 0 ? AbortSignal.timeout(this.target.timeoutMs) : undefined;
    let res: Response;
    try {
      res = await this.fetcher(new Request(url, { method, headers, body: payload, signal }));
    } catch (e) {
      if (signal?.aborted) {
        throw new CliError(`error: the Isthmus admin API at ${url} did not answer within ${this.target.timeoutMs / 1000}s (--request-timeout).`);
      }
      throw new CliError(unreachableMessage(url, e));
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const out: AdminResponse = { status: res.status, ok: res.ok, url, body: parsed, text };
    if (res.status === 401) throw new CliError(unauthorizedMessage(out, this.target));
    return out;
  }

  get(path: string): Promise<AdminResponse> {
    return this.request("GET", path);
  }

  post(path: string, body: unknown): Promise<AdminResponse> {
    return this.request("POST", path, body);
  }
}

function unreachableMessage(url: string, e: unknown): string {
  const origin = (() => {
    try {
      return new URL(url).origin;
    } catch {
      return url;
    }
  })();
  return (
    `error: cannot reach the Isthmus admin API at ${url} (${errorReason(e)}).\n` +
    `Is the mesh running? Start the local mesh with \`npm start\`, or point --server / ISTHMUS_SERVER at your gateway (now ${origin}).`
  );
}

/** Node's fetch says only "fetch failed"; the cause (ECONNREFUSED, ENOTFOUND, ...) is what helps. */
function errorReason(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message) return cause.message;
  if (cause && typeof cause === "object" && "code" in cause) return String((cause as { code: unknown }).code);
  return e.message;
}

function unauthorizedMessage(res: AdminResponse, target: AdminTarget): string {
  const why = messageOf(res);
  const hint =
    target.tokenSource === "none"
      ? "No admin token was given: pass --token, set ISTHMUS_TOKEN, or run from the folder where `npm start` wrote .isthmus/dev-token (it prints `admin token: <token>`)."
      : `The token from ${target.tokenSource} was refused. \`npm start\` prints the local mesh's token as \`admin token: <token>\`; a deployed gateway uses its ADMIN_TOKEN secret.`;
  return `error: You must be logged in to the server (Unauthorized)${why ? `: ${why}` : ""}\n${hint}`;
}

/** Kubernetes' status reasons, which kubectl prints in `Error from server (<Reason>)`. */
export function reasonOf(status: number): string {
  switch (status) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 409: return "Conflict";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return `HTTP ${status}`;
  }
}

/** The one-line message of an error body: `{message}`, `{errors:[{message}]}`, `{error}`, `{error:{message}}`, or the text. */
export function messageOf(res: AdminResponse): string {
  const b = res.body as Record<string, unknown> | undefined;
  if (b && typeof b === "object") {
    if (typeof b.message === "string") return b.message;
    if (Array.isArray(b.errors) && b.errors.length) {
      const first = b.errors[0] as { message?: unknown } | undefined;
      if (typeof first?.message === "string") return first.message;
    }
    if (typeof b.error === "string") return b.error;
    if (b.error && typeof b.error === "object" && typeof (b.error as { message?: unknown }).message === "string") {
      return (b.error as { message: string }).message;
    }
  }
  const t = res.text.trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

/** The admission errors of a 4xx body (`{errors:[ConfigError]}`), if it has them. */
export function configErrorsOf(res: AdminResponse): ConfigError[] {
  const b = res.body as { errors?: unknown } | undefined;
  if (!b || typeof b !== "object" || !Array.isArray(b.errors)) return [];
  return b.errors.filter((e): e is ConfigError => typeof e === "object" && e !== null && typeof (e as ConfigError).message === "string");
}

/**
 * One admission error on one line, location first so editors can jump to it:
 * `bookinfo.yaml:12: VirtualService default/reviews: spec.http[0].route[0].weight: must be ...`.
 */
export function describeConfigError(e: ConfigError): string {
  const parts: string[] = [];
  if (e.file) parts.push(e.line ? `${e.file}:${e.line}` : e.file);
  if (e.kind) parts.push(`${e.kind} ${e.namespace}/${e.name}`);
  if (e.path) parts.push(e.path);
  parts.push(e.message);
  return parts.join(": ");
}

/**
 * kubectl's lines for a failed call: one `Error from server (Invalid): ...` per admission error, or one
 * for the body. `locate` adds the file and line of the resource an error names.
 */
export function serverErrorLines(res: AdminResponse, locate: (e: ConfigError) => ConfigError = (e) => e): string[] {
  const reason = reasonOf(res.status);
  const errors = configErrorsOf(res);
  if (errors.length) return errors.map((e) => `Error from server (${reasonOfError(e, reason)}): ${describeConfigError(locate(e))}`);
  const msg = messageOf(res) || `${res.status} from ${res.url}`;
  const hint = res.status === 404 && !res.body ? ` (is ${res.url} an Isthmus gateway? check --server and --prefix)` : "";
  return [`Error from server (${reason}): ${msg}${hint}`];
}

/** A 422 may carry a Conflict or NotFound row; its code is the better reason then. */
function reasonOfError(e: ConfigError, fallback: string): string {
  if (e.code === "Conflict") return "Conflict";
  if (e.code === "NotFound") return "NotFound";
  if (e.code === "TooLarge") return "RequestEntityTooLarge";
  return fallback;
}

/**
 * Kubernetes-style resource path under the prefix: `/apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}]`,
 * or `/apis/{group}/{version}/{plural}` across all namespaces. The first served version is asked for.
 */
export function resourcePath(info: KindInfo, namespace: string | undefined, name?: string): string {
  const base = `/apis/${info.group}/${info.versions[0]}`;
  const ns = namespace === undefined ? "" : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${base}${ns}/${info.plural}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
}
