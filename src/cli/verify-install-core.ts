/**
 * `isthmus verify-install`'s pure half (istioctl verify-install for an Isthmus gateway): given the
 * gateway's wrangler config, the members' wrangler configs, the stored registry and what the deployed
 * gateway answered, lists what cannot work. Each finding names the file or resource and what to do.
 *
 * Checks:
 * - Durable Objects: CONFIG_STORE / RATE_LIMITER / CIRCUIT / METRICS bound to ConfigStore / RateLimiter /
 *   Circuit / MetricsAggregator,
 *   each class created by a SQLite migration (`new_sqlite_classes`);
 * - the admin API: ADMIN_TOKEN never a plain `[vars]` value; Access needs both ACCESS_TEAM_DOMAIN and
 *   ACCESS_AUD; ISTHMUS_DEV never in a deployed config; a deployed gateway answers 401 without credentials
 *   and is not "disabled" (no ADMIN_TOKEN secret and no Access);
 * - the registry: every `binding:NAME` (ServiceEntry endpoint, WorkloadEntry, MESH_CONFIG provider) is a
 *   service binding of the gateway;
 * - members: a binding to the gateway's MeshEntrypoint with namespace and serviceAccount (else its calls
 *   bypass the mesh or carry no identity), no direct binding to another member (bypasses the mesh: run
 *   `isthmus inject`), a valid `destination`, registered through a gateway binding and a ServiceEntry, and
 *   the service account it calls with is the one its endpoint is registered with.
 */
import { parseMeshDestination } from "../config/mesh-destination.js";
import { MESH_ENTRYPOINT, DEFAULT_GATEWAY_WORKER, type RegistryResource } from "./inject-core.js";
import type { WranglerConfig } from "./wrangler-config.js";

export type VerifyLevel = "OK" | "Warning" | "Error";

export interface VerifyFinding {
  level: VerifyLevel;
  /** What the finding is about: `wrangler.toml`, `ServiceEntry default/details`, a member file. */
  subject: string;
  message: string;
}

/** What the deployed gateway answered (absent: not asked). */
export interface ServerProbe {
  url: string;
  /** Loopback server (the local mesh): the dev token is expected there. */
  local: boolean;
  /** Status of an admin call sent without credentials, and its error message. */
  anonymous?: { status: number; message: string };
}

export interface VerifyInput {
  gateway: { file: string; config: WranglerConfig };
  members: { file: string; config: WranglerConfig }[];
  /** The stored (or given) ServiceEntries and WorkloadEntries; undefined when they could not be read. */
  registry?: readonly RegistryResource[];
  server?: ServerProbe;
}

const REQUIRED_DURABLE_OBJECTS: readonly (readonly [binding: string, className: string, why: string])[] = [
  ["CONFIG_STORE", "ConfigStore", "the config store: without it nothing can be applied or served"],
  ["RATE_LIMITER", "RateLimiter", "global rate limits"],
  ["CIRCUIT", "Circuit", "outlier detection shared across isolates"],
  ["METRICS", "MetricsAggregator", "mesh-wide metrics"],
];

export function verifyInstall(input: VerifyInput): VerifyFinding[] {
  return [
    ...durableObjects(input.gateway),
    ...adminApi(input.gateway, input.server),
    ...registryBindings(input.gateway, input.registry),
    ...input.members.flatMap((m) => member(m, input.gateway.config, input.registry)),
  ];
}

function durableObjects({ file, config }: VerifyInput["gateway"]): VerifyFinding[] {
  const out: VerifyFinding[] = [];
  const sqlite = new Set(config.migrations.flatMap((m) => m.new_sqlite_classes ?? []));
  const kv = new Set(config.migrations.flatMap((m) => m.new_classes ?? []));
  for (const [binding, className, why] of REQUIRED_DURABLE_OBJECTS) {
    const bound = config.durableObjects.find((d) => d.name === binding);
    if (!bound) {
      out.push({ level: "Error", subject: file, message: `no Durable Object binding ${binding} (class ${className}), needed for ${why}: add [[durable_objects.bindings]] name = "${binding}", class_name = "${className}"` });
      continue;
    }
    if (bound.class_name !== className) {
      out.push({ level: "Error", subject: file, message: `Durable Object binding ${binding} names class ${bound.class_name}; the gateway exports ${className}` });
      continue;
    }
    if (bound.script_name) continue; // defined by another Worker: its migrations live there
    if (sqlite.has(className)) out.push({ level: "OK", subject: file, message: `Durable Object ${binding} → ${className} (SQLite)` });
    else if (kv.has(className)) out.push({ level: "Error", subject: file, message: `${className} is created by a new_classes migration: the gateway needs SQLite storage (new_sqlite_classes)` });
    else out.push({ level: "Error", subject: file, message: `no migration creates ${className}: add [[migrations]] with new_sqlite_classes = ["${className}"]` });
  }
  return out;
}

function adminApi({ file, config }: VerifyInput["gateway"], server: ServerProbe | undefined): VerifyFinding[] {
  const out: VerifyFinding[] = [];
  const vars = config.vars;
  if (vars.ADMIN_TOKEN !== undefined) {
    out.push({ level: "Error", subject: file, message: "ADMIN_TOKEN is a plain [vars] value, readable by anyone with the config: remove it and run `wrangler secret put ADMIN_TOKEN`" });
  }
  const team = typeof vars.ACCESS_TEAM_DOMAIN === "string" && vars.ACCESS_TEAM_DOMAIN !== "";
  const aud = typeof vars.ACCESS_AUD === "string" && vars.ACCESS_AUD !== "";
  if (team !== aud) out.push({ level: "Error", subject: file, message: `Cloudflare Access needs both ACCESS_TEAM_DOMAIN and ACCESS_AUD; only ${team ? "ACCESS_TEAM_DOMAIN" : "ACCESS_AUD"} is set, so Access is off` });
  if (vars.ISTHMUS_DEV !== undefined) {
    out.push({ level: "Error", subject: file, message: "ISTHMUS_DEV is set in [vars]: it is for `npm start` and the tests only (a deployed gateway would trust local-dev conveniences); remove it" });
  }
  if (!server) return out;
  const a = server.anonymous;
  if (!a) return out;
  if (a.status === 401 && /admin API disabled/.test(a.message)) {
    out.push({ level: "Error", subject: server.url, message: "the admin API is disabled: the gateway has no ADMIN_TOKEN secret and no Cloudflare Access (run `wrangler secret put ADMIN_TOKEN`, or set ACCESS_TEAM_DOMAIN and ACCESS_AUD)" });
  } else if (a.status === 401) {
    out.push({ level: "OK", subject: server.url, message: `admin API refuses calls without credentials${server.local ? " (local mesh)" : ""}` });
  } else if (a.status >= 200 && a.status < 300) {
    out.push({ level: "Error", subject: server.url, message: "the admin API answered a call without credentials: anyone can change the mesh" });
  } else {
    out.push({ level: "Warning", subject: server.url, message: `an admin call without credentials answered ${a.status} (expected 401): is this an Isthmus gateway, and is the prefix right?` });
  }
  return out;
}

/** `binding:NAME` addresses in the registry and MESH_CONFIG that the gateway has no service binding for. */
function registryBindings({ file, config }: VerifyInput["gateway"], registry: readonly RegistryResource[] | undefined): VerifyFinding[] {
  const out: VerifyFinding[] = [];
  const bound = new Set(config.services.map((s) => s.binding));
  const check = (address: unknown, subject: string, path: string) => {
    if (typeof address !== "string" || !address.startsWith("binding:")) return;
    const name = address.slice("binding:".length);
    if (bound.has(name)) out.push({ level: "OK", subject, message: `${path} ${address} is a service binding of the gateway` });
    else out.push({ level: "Error", subject, message: `${path} ${address}: ${file} has no service binding ${name}, so requests routed there fail (add { binding = "${name}", service = "<worker>" } to services)` });
  };
  for (const r of registry ?? []) {
    const subject = `${r.kind} ${r.metadata.namespace ?? "default"}/${r.metadata.name}`;
    if (r.kind === "ServiceEntry") {
      ((r.spec?.endpoints as { address?: unknown }[] | undefined) ?? []).forEach((e, i) => check(e.address, subject, `spec.endpoints[${i}].address`));
    } else if (r.kind === "WorkloadEntry") check(r.spec?.address, subject, "spec.address");
  }
  const meshConfig = config.vars.MESH_CONFIG;
  if (typeof meshConfig === "string") {
    for (const m of meshConfig.matchAll(/"(binding:[^"]+)"/g)) check(m[1], `${file} [vars] MESH_CONFIG`, "extension provider service");
  }
  return out;
}

function member({ file, config }: VerifyInput["members"][number], gateway: WranglerConfig, registry: readonly RegistryResource[] | undefined): VerifyFinding[] {
  const out: VerifyFinding[] = [];
  const gatewayName = gateway.name ?? DEFAULT_GATEWAY_WORKER;
  const name = config.name ?? file;
  const subject = `member ${name} (${file})`;
  const memberWorkers = new Set(gateway.services.filter((s) => s.entrypoint === undefined).map((s) => s.service));
  const mesh = config.services.filter((s) => s.service === gatewayName && s.entrypoint === MESH_ENTRYPOINT);
  const direct = config.services.filter((s) => s.service !== gatewayName && memberWorkers.has(s.service));
  for (const s of config.services.filter((x) => x.service === gatewayName && x.entrypoint !== MESH_ENTRYPOINT)) {
    out.push({ level: "Warning", subject, message: `binding ${s.binding} reaches the gateway's edge listener, not its ${MESH_ENTRYPOINT}: its calls carry no identity and meet the gateway's edge policies (add entrypoint = "${MESH_ENTRYPOINT}" and props)` });
  }
  for (const s of direct) {
    out.push({ level: "Error", subject, message: `binding ${s.binding} calls the member ${s.service} directly, bypassing the mesh (no routing, retries, policies or telemetry): run \`isthmus inject ${file}\`` });
  }
  if (mesh.length === 0 && direct.length === 0) {
    out.push({ level: "Warning", subject, message: `no binding to the gateway's ${MESH_ENTRYPOINT}: it cannot call other services through the mesh` });
  }
  const accounts = new Set<string>();
  for (const s of mesh) {
    const props = (s.props ?? {}) as { namespace?: unknown; serviceAccount?: unknown; destination?: unknown };
    if (typeof props.namespace !== "string" || typeof props.serviceAccount !== "string") {
      out.push({ level: "Error", subject, message: `mesh binding ${s.binding} has no props.namespace and props.serviceAccount: its calls carry no workload identity (source.principal is empty, STRICT PeerAuthentication refuses them)` });
    } else {
      accounts.add(`${props.namespace}/${props.serviceAccount}`);
      out.push({ level: "OK", subject, message: `mesh binding ${s.binding} as spiffe://…/ns/${props.namespace}/sa/${props.serviceAccount}${typeof props.destination === "string" ? ` → ${props.destination}` : ""}` });
    }
    if (props.destination !== undefined && (typeof props.destination !== "string" || !parseMeshDestination(props.destination))) {
      out.push({ level: "Error", subject, message: `mesh binding ${s.binding}: props.destination ${JSON.stringify(props.destination)} is not host[:port]; every call on it answers 400` });
    }
  }
  // Registered: the gateway binds the member and a ServiceEntry endpoint names that binding.
  const gatewayBinding = gateway.services.find((s) => s.service === config.name && s.entrypoint === undefined);
  if (!gatewayBinding) {
    out.push({ level: "Warning", subject, message: `the gateway has no service binding to ${name}: nothing can route to it (isthmus inject ${file} prints the registration)` });
  } else if (registry) {
    const address = `binding:${gatewayBinding.binding}`;
    const endpoints = registry.flatMap((r) =>
      r.kind === "ServiceEntry"
        ? ((r.spec?.endpoints as { address?: string; serviceAccount?: string }[] | undefined) ?? []).filter((e) => e.address === address).map((e) => ({ ns: r.metadata.namespace ?? "default", sa: e.serviceAccount ?? "default" }))
        : r.kind === "WorkloadEntry" && r.spec?.address === address
          ? [{ ns: r.metadata.namespace ?? "default", sa: (r.spec?.serviceAccount as string | undefined) ?? "default" }]
          : [],
    );
    if (endpoints.length === 0) out.push({ level: "Warning", subject, message: `no ServiceEntry endpoint or WorkloadEntry has address ${address}: it is bound but not registered` });
    for (const e of endpoints) {
      const registered = `${e.ns}/${e.sa}`;
      if (accounts.size && !accounts.has(registered)) {
        out.push({ level: "Warning", subject, message: `registered as ${registered} but calls as ${[...accounts].join(", ")}: policies written for one identity do not match the other` });
      }
    }
  }
  return out;
}
