/**
 * What AuthorizationPolicy rules look at, gathered by the gateway before the authz stages run. Each
 * field is the Envoy attribute Istio's generated RBAC config reads; the comments name the rule fields
 * that use it.
 */

export interface AuthzRequestView {
  /** `:method` (`methods`). */
  method: string;
  /** `:authority` as sent, port included when sent (`hosts`, `request.headers[:authority]`). */
  host: string;
  /** Path after mesh path normalization, without the query string (`paths`). */
  path: string;
  /** Destination port: the gateway listener port, or the called port east-west (`ports`, `destination.port`). */
  port: number;
  /** Request headers (`request.headers[...]`). */
  headers: { get(name: string): string | null };
  /** Direct peer address, `CF-Connecting-IP` (`ipBlocks`, `source.ip`); see client-ip.ts. */
  sourceIp?: string;
  /** Original client by X-Forwarded-For and trusted hops (`remoteIpBlocks`, `remote.ip`); see client-ip.ts. */
  remoteIp?: string;
  /**
   * Peer workload identity without the scheme, `<trust-domain>/ns/<ns>/sa/<sa>` (`principals`,
   * `namespaces`, `serviceAccounts`, `trustDomains` and their `source.*` conditions). Set only when
   * PeerAuthentication lets the identity through (see peer-authn/peer-identity.ts).
   */
  sourcePrincipal?: string;
  /** The verified JWT (RequestAuthentication); absent without a token (`requestPrincipals`, `request.auth.*`). */
  auth?: AuthzRequestAuth;
  /** TLS server name (`connection.sni`); absent for plain HTTP. */
  sni?: string;
  /** Address the request was sent to (`destination.ip`); unknown on Workers unless the gateway sets it. */
  destinationIp?: string;
}

export interface AuthzRequestAuth {
  /** `<iss>/<sub>`. Matching uses the `iss` and `sub` claims, as Envoy does; this is a fallback. */
  principal?: string;
  /** The verified payload. */
  claims: Record<string, unknown>;
  /** `aud`; defaults to the `aud` claim. */
  audiences?: string[];
  /** `azp`; defaults to the `azp` claim. */
  presenter?: string;
}
