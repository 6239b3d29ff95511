/**
 * `isthmus inject`'s pure half (istioctl kube-inject for Workers): rewrites a member's wrangler config so
 * that each service binding to another member becomes a binding to the gateway's mesh entrypoint, with
 * props naming the caller's identity and the destination service
 * (`{ namespace, serviceAccount, destination = "details.default.svc.cluster.local:9080" }`), and says how
 * the member itself is registered. The code of the member does not change: `env.DETAILS.fetch(request)`
 * goes through the mesh from then on (src/gateway/runtime/mesh-destination.ts).
 *
 * A member binding `{ binding = B, service = S }` maps to a destination through the gateway's own config:
 * the gateway's service binding G to the same Worker S, then the ServiceEntry whose endpoint (or the
 * WorkloadEntry it selects) has `address: binding:G`, its first host and HTTP port. The edit replaces only
 * the text of each rewritten binding: comments and the order of everything else stay as written.
 *
 * @example
 *   const r = injectMember({ file: "wrangler.toml", text }, { gateway, registry, namespace: "default" });
 *   r.text          // the rewritten config
 *   r.registration  // ServiceEntry YAML registering the member, and the gateway binding it needs
 */
import { stringify } from "yaml";
import { readWranglerConfig, type ServiceBinding, type WranglerConfig } from "./wrangler-config.js";

export const MESH_ENTRYPOINT = "MeshEntrypoint";
export const DEFAULT_GATEWAY_WORKER = "isthmus-gateway";

/** The part of a stored resource inject reads (ServiceEntry and WorkloadEntry). */
export interface RegistryResource {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}

export interface InjectOptions {
  /** The gateway's wrangler config (its service bindings to members, its Worker name). */
  gateway: WranglerConfig;
  /** ServiceEntries and WorkloadEntries (from files or the server). */
  registry: readonly RegistryResource[];
  /** The member's namespace (props.namespace). */
  namespace: string;
  /** props.serviceAccount; default: the member's Worker name. */
  serviceAccount?: string;
  /** Port of the member's own ServiceEntry (default 80). */
  port?: number;
}

export interface InjectedBinding {
  binding: string;
  service: string;
  destination: string;
}

export interface SkippedBinding {
  binding: string;
  service: string;
  reason: string;
}

export interface InjectResult {
  memberName: string;
  text: string;
  injected: InjectedBinding[];
  skipped: SkippedBinding[];
  /** YAML (with comments) registering the member, or a note that it is registered. */
  registration: string;
}

export function injectMember(member: { file: string; text: string }, opts: InjectOptions): InjectResult {
  const config = readWranglerConfig(member.text, member.file);
  const memberName = config.name ?? "";
  const gatewayName = opts.gateway.name ?? DEFAULT_GATEWAY_WORKER;
  const serviceAccount = opts.serviceAccount ?? memberName;
  const injected: InjectedBinding[] = [];
  const skipped: SkippedBinding[] = [];
  const edits: { start: number; end: number; text: string }[] = [];

  for (const b of config.services) {
    if (b.service === gatewayName) {
      if (b.entrypoint !== MESH_ENTRYPOINT) skipped.push({ binding: b.binding, service: b.service, reason: `a binding to the gateway itself, not to its ${MESH_ENTRYPOINT}: left as it is` });
      continue; // already a mesh binding
    }
    const found = destinationOf(b.service, opts);
    if ("reason" in found) {
      skipped.push({ binding: b.binding, service: b.service, reason: found.reason });
      continue;
    }
    const props = { namespace: opts.namespace, serviceAccount, destination: found.destination };
    edits.push({ ...b.span, text: rewriteBinding(member.text, b, config.format, gatewayName, props) });
    injected.push({ binding: b.binding, service: b.service, destination: found.destination });
  }

  let text = member.text;
  for (const e of edits.sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  return { memberName, text, injected, skipped, registration: registration(memberName, opts, serviceAccount) };
}

// ---- binding → destination ------------------------------------------------------------------------

function destinationOf(service: string, opts: InjectOptions): { destination: string } | { reason: string } {
  const gatewayBinding = opts.gateway.services.find((g) => g.service === service && g.entrypoint === undefined);
  if (!gatewayBinding) {
    return { reason: `the gateway's wrangler config has no service binding to ${JSON.stringify(service)}, so the mesh cannot reach it: add one and register it (isthmus inject on that Worker prints how)` };
  }
  const address = `binding:${gatewayBinding.binding}`;
  const entry = serviceEntryFor(address, opts.registry);
  if (!entry) return { reason: `no ServiceEntry endpoint or WorkloadEntry has address ${address}: register ${JSON.stringify(service)} first` };
  const hosts = (entry.spec?.hosts as string[] | undefined) ?? [];
  const ports = (entry.spec?.ports as { number?: number; protocol?: string; name?: string }[] | undefined) ?? [];
  const port = ports.find((p) => /^(HTTP|HTTP2|GRPC)$/i.test(p.protocol ?? "") || (p.name ?? "").startsWith("http")) ?? ports[0];
  if (!hosts[0]) return { reason: `ServiceEntry ${entry.metadata.namespace ?? "default"}/${entry.metadata.name} has no hosts` };
  return { destination: port?.number ? `${hosts[0]}:${port.number}` : hosts[0] };
}

function serviceEntryFor(address: string, registry: readonly RegistryResource[]): RegistryResource | undefined {
  const entries = registry.filter((r) => r.kind === "ServiceEntry");
  const inline = entries.find((se) => ((se.spec?.endpoints as { address?: string }[] | undefined) ?? []).some((e) => e.address === address));
  if (inline) return inline;
  for (const we of registry.filter((r) => r.kind === "WorkloadEntry" && r.spec?.address === address)) {
    const labels = (we.spec?.labels as Record<string, string> | undefined) ?? {};
    const ns = we.metadata.namespace ?? "default";
    const se = entries.find((s) => {
      const selector = (s.spec?.workloadSelector as { labels?: Record<string, string> } | undefined)?.labels;
      return (s.metadata.namespace ?? "default") === ns && selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);
    });
    if (se) return se;
  }
  return undefined;
}

// ---- the text edit --------------------------------------------------------------------------------

type Props = { namespace: string; serviceAccount: string; destination: string };

function rewriteBinding(text: string, b: ServiceBinding, format: "toml" | "json", gateway: string, props: Props): string {
  const original = text.slice(b.span.start, b.span.end);
  if (format === "json") return jsonBinding(original, b.binding, gateway, props);
  if (b.form === "inline") return tomlInline(b.binding, gateway, props);
  return tomlTable(original, gateway, props);
}

const tq = (s: string) => JSON.stringify(s);

function tomlProps(p: Props): string {
  return `{ namespace = ${tq(p.namespace)}, serviceAccount = ${tq(p.serviceAccount)}, destination = ${tq(p.destination)} }`;
}

function tomlInline(binding: string, gateway: string, p: Props): string {
  return `{ binding = ${tq(binding)}, service = ${tq(gateway)}, entrypoint = ${tq(MESH_ENTRYPOINT)}, props = ${tomlProps(p)} }`;
}

/** A `[[services]]` section: its `service` line becomes the gateway, `entrypoint` and `props` follow. */
function tomlTable(original: string, gateway: string, p: Props): string {
  const lines = original.split("\n");
  const out: string[] = [];
  const key = (line: string) => /^\s*"?([A-Za-z_]+)"?\s*=/.exec(line)?.[1];
  for (const line of lines) {
    const k = key(line);
    if (k === "entrypoint" || k === "props") continue;
    if (k === "service") {
      const indent = /^\s*/.exec(line)![0];
      out.push(`${indent}service = ${tq(gateway)}`, `${indent}entrypoint = ${tq(MESH_ENTRYPOINT)}`, `${indent}props = ${tomlProps(p)}`);
      continue;
    }
    out.push(line);
  }
  return out.join("\n");
}

/** A JSON(C) object: written on one line if it was, else one key per line with its indentation. */
function jsonBinding(original: string, binding: string, gateway: string, p: Props): string {
  const value = { binding, service: gateway, entrypoint: MESH_ENTRYPOINT, props: p };
  if (!original.includes("\n")) {
    const props = `{ "namespace": ${tq(p.namespace)}, "serviceAccount": ${tq(p.serviceAccount)}, "destination": ${tq(p.destination)} }`;
    return `{ "binding": ${tq(binding)}, "service": ${tq(gateway)}, "entrypoint": ${tq(MESH_ENTRYPOINT)}, "props": ${props} }`;
  }
  const lines = original.split("\n");
  const inner = /^\s*/.exec(lines[1] ?? "")![0] || "  ";
  const outer = /^\s*/.exec(lines[lines.length - 1] ?? "")![0];
  const step = inner.slice(outer.length) || "  ";
  return JSON.stringify(value, null, step).split("\n").map((l, i) => (i === 0 ? l : outer + l)).join("\n");
}

// ---- registration ---------------------------------------------------------------------------------

/** The gateway binding name for a member Worker: `plain-member` → `PLAIN_MEMBER`. */
export function bindingNameFor(worker: string): string {
  return worker.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_+|_+$/g, "") || "MEMBER";
}

function registration(memberName: string, opts: InjectOptions, serviceAccount: string): string {
  const existing = opts.gateway.services.find((g) => g.service === memberName && g.entrypoint === undefined);
  if (existing) {
    const se = serviceEntryFor(`binding:${existing.binding}`, opts.registry);
    if (se) {
      const host = ((se.spec?.hosts as string[] | undefined) ?? [])[0] ?? "";
      return `# ${memberName} is registered: ServiceEntry ${se.metadata.namespace ?? "default"}/${se.metadata.name} (${host}) names binding:${existing.binding}\n`;
    }
  }
  const binding = existing?.binding ?? bindingNameFor(memberName);
  const se = {
    apiVersion: "networking.istio.io/v1",
    kind: "ServiceEntry",
    metadata: { name: memberName, namespace: opts.namespace },
    spec: {
      hosts: [`${memberName}.${opts.namespace}.svc.cluster.local`],
      location: "MESH_INTERNAL",
      resolution: "STATIC",
      ports: [{ number: opts.port ?? 80, name: "http", protocol: "HTTP" }],
      endpoints: [{ address: `binding:${binding}`, labels: { app: memberName }, serviceAccount }],
    },
  };
  const head = existing
    ? `# Registers ${memberName} (the gateway already binds it as ${binding}). Apply with: isthmus apply -f FILE\n`
    : `# Registers ${memberName}: add to the gateway's wrangler config\n#   services = [ ..., { binding = ${tq(binding)}, service = ${tq(memberName)} } ]\n# then apply this with: isthmus apply -f FILE\n`;
  return head + stringify(se);
}

// ---- diff -----------------------------------------------------------------------------------------

/** A unified diff of two texts (3 lines of context), empty when they are equal. */
export function unifiedDiff(a: string, b: string, fromName: string, toName: string): string {
  if (a === b) return "";
  const x = a.split("\n");
  const y = b.split("\n");
  // LCS table (configs are small).
  const n = x.length;
  const m = y.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  type Op = { t: " " | "-" | "+"; line: string; ai: number; bi: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) ops.push({ t: " ", line: x[i]!, ai: i++, bi: j++ });
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ t: "-", line: x[i]!, ai: i++, bi: j });
    else ops.push({ t: "+", line: y[j]!, ai: i, bi: j++ });
  }
  const out = [`--- ${fromName}`, `+++ ${toName}`];
  const CONTEXT = 3;
  for (let k = 0; k < ops.length; ) {
    if (ops[k]!.t === " ") {
      k++;
      continue;
    }
    let start = Math.max(0, k - CONTEXT);
    let end = k;
    // Extend the hunk while changes are within 2*CONTEXT lines of each other.
    for (;;) {
      while (end < ops.length && ops[end]!.t !== " ") end++;
      let next = end;
      while (next < ops.length && ops[next]!.t === " " && next - end < 2 * CONTEXT) next++;
      if (next < ops.length && ops[next]!.t !== " ") end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + CONTEXT);
    const hunk = ops.slice(start, stop);
    const aLen = hunk.filter((o) => o.t !== "+").length;
    const bLen = hunk.filter((o) => o.t !== "-").length;
    out.push(`@@ -${hunk[0]!.ai + 1},${aLen} +${hunk[0]!.bi + 1},${bLen} @@`);
    for (const o of hunk) out.push(`${o.t}${o.line}`);
    k = stop;
    start = stop;
  }
  return out.join("\n") + "\n";
}
