/**
 * The attributes a rule can test, one compiler per Istio key (the `when` keys, plus the internal
 * names pilot uses for `to.hosts`/`methods`/`paths`). `from` and `to` fields compile through the same
 * keys, as in pilot's model (`principals` ≡ `source.principal`, `ports` ≡ `destination.port`, ...).
 */
import { authzClaimPath, claimAt } from "../../config/claim-path.js";
import { isPathTemplate } from "../../config/schemas/authorization-policy.js";
import {
  claimValueMatcher,
  namespaceMatcher,
  principalMatcher,
  requestPrincipalMatcher,
  serviceAccountMatcher,
  SPIFFE_PREFIX,
  trustDomainMatcher,
  type IssuerSubject,
} from "./identity-match.js";
import { compileIpBlock, parseAddress } from "./ip-set.js";
import { compilePathTemplate } from "./path-template.js";
import type { AuthzRequestView } from "./request-view.js";
import { istioStringMatcher, type ValueMatcher } from "./string-match.js";

/** Per-request derived values, computed at most once and only when a rule asks. */
export class AuthzAttributes {
  private cache = new Map<string, unknown>();

  constructor(readonly view: AuthzRequestView) {}

  private memo<T>(key: string, compute: () => T): T {
    if (this.cache.has(key)) return this.cache.get(key) as T;
    const v = compute();
    this.cache.set(key, v);
    return v;
  }

  get sourceIp(): Uint8Array | undefined {
    return this.memo("sourceIp", () => parseAddress(this.view.sourceIp));
  }

  get remoteIp(): Uint8Array | undefined {
    return this.memo("remoteIp", () => parseAddress(this.view.remoteIp));
  }

  get destinationIp(): Uint8Array | undefined {
    return this.memo("destinationIp", () => parseAddress(this.view.destinationIp));
  }

  /** The peer identity as Envoy sees it: `spiffe://<td>/ns/<ns>/sa/<sa>`. */
  get principalUri(): string | undefined {
    return this.memo("principalUri", () => {
      const p = this.view.sourcePrincipal;
      if (p === undefined || p === "") return undefined;
      return p.startsWith(SPIFFE_PREFIX) ? p : SPIFFE_PREFIX + p;
    });
  }

  get issuerSubject(): IssuerSubject | undefined {
    return this.memo("issuerSubject", () => {
      const auth = this.view.auth;
      if (!auth) return undefined;
      const iss = auth.claims["iss"];
      const sub = auth.claims["sub"];
      if (typeof iss === "string" || typeof sub === "string") {
        const out: IssuerSubject = {};
        if (typeof iss === "string") out.iss = iss;
        if (typeof sub === "string") out.sub = sub;
        return out;
      }
      const p = auth.principal;
      if (!p) return undefined;
      const i = p.lastIndexOf("/");
      return i < 0 ? { iss: p } : { iss: p.slice(0, i), sub: p.slice(i + 1) };
    });
  }

  header(name: string): string | undefined {
    switch (name) {
      case ":authority":
      case "host":
        return this.view.host;
      case ":method":
        return this.view.method;
      case ":path":
        return this.view.path;
      default:
        return this.view.headers.get(name) ?? undefined;
    }
  }

  /** A claim by path (`[a][b]` → ["a", "b"]); `scope` and `permission` split on spaces, as Istio does. */
  claim(path: readonly string[]): unknown {
    const v = claimAt(this.view.auth?.claims, path);
    if (path.length === 1 && (path[0] === "scope" || path[0] === "permission") && typeof v === "string") return v.split(" ").filter((s) => s !== "");
    return v;
  }
}

export type Predicate = (a: AuthzAttributes) => boolean;

/** A string claim matches directly; a list claim matches when any string element does. Other values never match. */
function anyString(value: unknown, m: ValueMatcher): boolean {
  if (typeof value === "string") return m(value);
  if (Array.isArray(value)) return value.some((e) => typeof e === "string" && m(e));
  return false;
}

const NEVER: Predicate = () => false;

const HEADER_KEY = /^request\.headers\[([^[\]]+)\]$/;

/** Internal keys for operation fields (pilot's `:authority`, `:method`, path matcher). */
export const HOST_KEY = ":authority";
export const METHOD_KEY = ":method";
export const PATH_KEY = ":path";

/**
 * How to compile one value of `key` into a predicate: undefined for an unknown key (the rule is
 * skipped, as pilot skips it); the returned compiler answers undefined for a value it cannot use.
 */
export function attributeCompiler(key: string, policyNamespace: string): ((value: string) => Predicate | undefined) | undefined {
  switch (key) {
    case HOST_KEY:
      return (v) => {
        const m = istioStringMatcher(v, { star: "present", ignoreCase: true });
        return (a) => m(a.view.host);
      };
    case METHOD_KEY:
      return (v) => {
        const m = istioStringMatcher(v, { star: "present" });
        return (a) => m(a.view.method);
      };
    case PATH_KEY:
      return (v) => {
        if (isPathTemplate(v)) {
          const t = compilePathTemplate(v);
          return t && ((a) => t.test(a.view.path));
        }
        const m = istioStringMatcher(v, { star: "nonEmpty" });
        return (a) => m(a.view.path);
      };
    case "destination.port":
      return (v) => {
        if (!/^[0-9]+$/.test(v) || Number(v) > 65535) return undefined;
        const port = Number(v);
        return (a) => a.view.port === port;
      };
    case "source.ip":
      return ipCompiler((a) => a.sourceIp);
    case "remote.ip":
      return ipCompiler((a) => a.remoteIp);
    case "destination.ip":
      return ipCompiler((a) => a.destinationIp);
    case "source.principal":
      return principalCompiler(principalMatcher);
    case "source.namespace":
      return principalCompiler(namespaceMatcher);
    case "source.serviceAccount":
      return principalCompiler((v) => serviceAccountMatcher(v, policyNamespace));
    case "source.trustDomain":
      return principalCompiler(trustDomainMatcher);
    case "request.auth.principal":
      return (v) => {
        const m = requestPrincipalMatcher(v);
        return (a) => m(a.issuerSubject);
      };
    case "request.auth.audiences":
      return (v) => {
        const m = claimValueMatcher(v);
        return (a) => anyString(a.view.auth?.audiences ?? a.claim(["aud"]), m);
      };
    case "request.auth.presenter":
      return (v) => {
        const m = claimValueMatcher(v);
        return (a) => anyString(a.view.auth?.presenter ?? a.claim(["azp"]), m);
      };
    case "connection.sni":
      return (v) => {
        const m = istioStringMatcher(v, { star: "nonEmpty" });
        return (a) => m(a.view.sni);
      };
  }
  const header = HEADER_KEY.exec(key);
  if (header) {
    const name = header[1]!.toLowerCase();
    return (v) => {
      const m = istioStringMatcher(v, { star: "present" });
      return (a) => m(a.header(name));
    };
  }
  const path = authzClaimPath(key);
  if (path) {
    return (v) => {
      const m = claimValueMatcher(v);
      return (a) => anyString(a.claim(path), m);
    };
  }
  // Envoy dynamic metadata of other filters: nothing on Workers writes it, so it never matches.
  if (key.startsWith("experimental.envoy.filters.")) return () => NEVER;
  return undefined;
}

function ipCompiler(get: (a: AuthzAttributes) => Uint8Array | undefined): (value: string) => Predicate | undefined {
  return (v) => {
    const m = compileIpBlock(v);
    return m && ((a) => m(get(a)));
  };
}

function principalCompiler(make: (value: string) => ValueMatcher): (value: string) => Predicate | undefined {
  return (v) => {
    const m = make(v);
    return (a) => m(a.principalUri);
  };
}
