/**
 * Builders for AuthorizationPolicy / PeerAuthentication tests: resources that pass admission (each one
 * goes through the real validator unless a row says it is deliberately invalid), compiled for the
 * default gateway, and request views with sensible defaults.
 */
import { expect } from "vitest";
import { fromValue } from "../../../src/config/loader.js";
import type { MeshOptions } from "../../../src/config/mesh-options.js";
import type { MeshExtensionProviders } from "../../../src/config/mesh-config.js";
import type { Resource } from "../../../src/config/resource.js";
import type { AuthorizationPolicySpec } from "../../../src/config/schemas/authorization-policy.js";
import type { PeerAuthenticationSpec } from "../../../src/config/schemas/peer-authentication.js";
import { validateDocuments } from "../../../src/config/validate.js";
import { buildAuthorizer, compileAuthorization, type Authorizer, type AuthzRequestView } from "../../../src/policy/authz/index.js";

export const MESH: MeshOptions = { gatewayLabels: { istio: "ingressgateway" }, gatewayNamespace: "istio-system", trustDomain: "cluster.local" };

let clock = Date.parse("2024-01-01T00:00:00Z");

export interface Meta {
  namespace?: string;
  annotations?: Record<string, string>;
  created?: string;
  /** Skip admission (rows about what the evaluator does with input admission refuses). */
  unchecked?: boolean;
}

function resource<S>(kind: "AuthorizationPolicy" | "PeerAuthentication", name: string, spec: S, meta: Meta): Resource<S> {
  clock += 1000;
  const r: Resource<S> = {
    apiVersion: "security.istio.io/v1",
    kind,
    metadata: { name, namespace: meta.namespace ?? "istio-system", creationTimestamp: meta.created ?? new Date(clock).toISOString() },
    spec,
  };
  if (meta.annotations) r.metadata.annotations = meta.annotations;
  if (!meta.unchecked) admit(r);
  return r;
}

/** Fails the test when the resource would not pass admission. */
export function admit(r: Resource<unknown>): void {
  const loaded = fromValue(JSON.parse(JSON.stringify(r)));
  const { errors } = validateDocuments(loaded.documents);
  expect(errors.map((e) => `${e.path}: ${e.message}`), `${r.kind} ${r.metadata.name} must pass admission`).toEqual([]);
}

export function ap(name: string, spec: AuthorizationPolicySpec, meta: Meta = {}): Resource {
  return resource("AuthorizationPolicy", name, spec, meta) as unknown as Resource;
}

export function pa(name: string, spec: PeerAuthenticationSpec, meta: Meta = {}): Resource {
  return resource("PeerAuthentication", name, spec, meta) as unknown as Resource;
}

export function authorizer(policies: Resource[], providers?: MeshExtensionProviders): Authorizer {
  return buildAuthorizer(compileAuthorization(policies, MESH), providers ? { providers } : {});
}

export interface ViewInput extends Partial<Omit<AuthzRequestView, "headers">> {
  headers?: Record<string, string>;
}

export function view(input: ViewInput = {}): AuthzRequestView {
  const { headers, ...rest } = input;
  return {
    method: "GET",
    host: "example.com",
    path: "/",
    port: 80,
    sourceIp: "198.51.100.1",
    remoteIp: "198.51.100.1",
    ...rest,
    headers: new Headers(headers ?? {}),
  };
}

/** A JWT stage result with these claims (principal `<iss>/<sub>` as Istio builds it). */
export function jwt(claims: Record<string, unknown>): AuthzRequestView["auth"] {
  const iss = claims.iss;
  const sub = claims.sub;
  return typeof iss === "string" && typeof sub === "string" ? { principal: `${iss}/${sub}`, claims } : { claims };
}
