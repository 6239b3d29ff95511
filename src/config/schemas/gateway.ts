/**
 * Gateway (networking.istio.io): the listeners of the gateway Worker. Schema follows
 * istio/api networking/v1alpha3/gateway.proto as served by Istio's CRD (JSON names, strict objects);
 * the rules follow the validation webhook (pkg/config/validation validateServer / validateTLSOptions).
 */
import { z } from "zod";
import type { RuleContext } from "./registry.js";
import {
  isDNS1123Label, isHTTPProtocol, isIP, isTLSProtocol, parseProtocol, partialWildcardError, stringMap,
  SUPPORTED_PROTOCOLS, u32, UNIX_PREFIX, unixAddressError, wildcardDomainError,
} from "./networking-fields.js";

/** `Port` of a Gateway server. */
export const port = z.strictObject({
  number: u32,
  protocol: z.string(),
  name: z.string(),
  targetPort: u32.optional(),
});
export type Port = z.infer<typeof port>;

export const serverTLSMode = z.enum(["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"]);
export type ServerTLSMode = z.infer<typeof serverTLSMode>;

export const tlsProtocol = z.enum(["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"]);
export type TLSProtocol = z.infer<typeof tlsProtocol>;

export const tlsCertificate = z.strictObject({
  serverCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
});
export type TLSCertificate = z.infer<typeof tlsCertificate>;

export const serverTLSSettings = z.strictObject({
  httpsRedirect: z.boolean().optional(),
  mode: serverTLSMode.optional(),
  serverCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
  caCrl: z.string().optional(),
  credentialName: z.string().optional(),
  credentialNames: z.array(z.string()).optional(),
  caCertCredentialName: z.string().optional(),
  tlsCertificates: z.array(tlsCertificate).optional(),
  subjectAltNames: z.array(z.string()).optional(),
  verifyCertificateSpki: z.array(z.string()).optional(),
  verifyCertificateHash: z.array(z.string()).optional(),
  minProtocolVersion: tlsProtocol.optional(),
  maxProtocolVersion: tlsProtocol.optional(),
  cipherSuites: z.array(z.string()).optional(),
  ecdhCurves: z.array(z.string()).optional(),
  insecureSkipVerify: z.boolean().optional(),
});
export type ServerTLSSettings = z.infer<typeof serverTLSSettings>;

export const server = z.strictObject({
  port,
  bind: z.string().optional(),
  hosts: z.array(z.string()),
  tls: serverTLSSettings.optional(),
  defaultEndpoint: z.string().optional(),
  name: z.string().optional(),
});
export type Server = z.infer<typeof server>;
/** Alias of {@link Server}. */
export type ServerSpec = Server;

export const gatewaySpec = z.strictObject({
  servers: z.array(server).optional(),
  selector: stringMap.optional(),
});
export type GatewaySpec = z.infer<typeof gatewaySpec>;

/**
 * Webhook rules for a Gateway (Istio ValidateGateway): at least one server; each server has hosts of
 * the form `[namespace/]dnsName`, a port with a known protocol, a number and a name (names unique across
 * servers); TLS settings that fit the protocol and the mode.
 */
export function gatewayRules(spec: GatewaySpec, ctx: RuleContext): void {
  if (!isDNS1123Label(ctx.metadata.name))
    ctx.error("metadata.name", `invalid gateway name ${JSON.stringify(ctx.metadata.name)}: a Gateway name must be a DNS-1123 label (no dots)`);
  const servers = spec.servers ?? [];
  if (servers.length === 0) {
    ctx.error("spec.servers", "gateway must have at least one server", "FieldValueRequired");
    return;
  }
  const portNames = new Map<string, number>();
  servers.forEach((server, i) => {
    const path = `spec.servers[${i}]`;
    serverRules(server, path, ctx);
    const prev = portNames.get(server.port.name);
    if (prev !== undefined)
      ctx.error(`${path}.port.name`, `port names in servers must be unique: ${JSON.stringify(server.port.name)} is also used by spec.servers[${prev}]`, "Duplicate");
    else portNames.set(server.port.name, i);
  });
}

function serverRules(server: Server, path: string, ctx: RuleContext): void {
  if (server.hosts.length === 0) ctx.error(`${path}.hosts`, "server config must contain at least one host", "FieldValueRequired");
  server.hosts.forEach((h, j) => {
    const err = serverHostError(h);
    if (err) ctx.error(`${path}.hosts[${j}]`, err);
  });

  const { port, bind } = server;
  let portOk = true;
  if (parseProtocol(port.protocol) === undefined) {
    portOk = false;
    ctx.error(`${path}.port.protocol`, `invalid protocol ${JSON.stringify(port.protocol)}, supported protocols are ${SUPPORTED_PROTOCOLS}`);
  }
  const unixBind = bind?.startsWith(UNIX_PREFIX) ?? false;
  if (port.number > 0 || !unixBind) {
    if (port.number < 1 || port.number > 65535) {
      portOk = false;
      ctx.error(`${path}.port.number`, `port number ${port.number} must be in the range 1..65535`);
    }
  }
  if (port.targetPort !== undefined && port.targetPort > 0) ctx.error(`${path}.port.targetPort`, "targetPort has no impact on Gateways");
  if (port.name === "") {
    portOk = false;
    ctx.error(`${path}.port.name`, "port name must be set", "FieldValueRequired");
  }
  if (bind !== undefined && bind !== "") {
    if (unixBind) {
      const err = unixAddressError(bind);
      if (err) ctx.error(`${path}.bind`, err);
      if (port.number !== 0) ctx.error(`${path}.port.number`, `port number must be 0 for unix domain socket bind ${JSON.stringify(bind)}, got ${port.number}`);
    } else if (!isIP(bind)) {
      ctx.error(`${path}.bind`, `bind ${JSON.stringify(bind)} is not a valid IP address or unix:// path`);
    }
  }

  if (server.tls) tlsRules(server.tls, `${path}.tls`, ctx);

  if (portOk) {
    if (isTLSProtocol(port.protocol) && !server.tls) {
      ctx.error(`${path}.tls`, `server must have TLS settings for HTTPS/TLS protocols (port protocol ${JSON.stringify(port.protocol)})`, "FieldValueRequired");
    } else if (!isTLSProtocol(port.protocol) && server.tls) {
      const tls = server.tls;
      if (isHTTPProtocol(port.protocol)) {
        // Plain HTTP servers may carry `tls` only for httpsRedirect: the (default) passthrough mode and no certificates.
        const mode = tls.mode ?? "PASSTHROUGH";
        const passthrough = mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH";
        if (!passthrough || tls.caCertificates || tls.privateKey || tls.serverCertificate)
          ctx.error(`${path}.tls`, `server cannot have TLS settings for plain text HTTP ports (protocol ${JSON.stringify(port.protocol)}, tls.mode ${mode}); only tls.httpsRedirect is allowed`);
      } else {
        ctx.error(`${path}.tls`, `server cannot have TLS settings for non HTTPS/TLS ports (protocol ${JSON.stringify(port.protocol)})`);
      }
    }
  }
}

/** Istio's ValidateNamespaceSlashWildcardHostname for gateways: `[ns/]dnsName`, ns `*`, `.` or a namespace. */
export function serverHostError(host: string): string | undefined {
  const slash = host.indexOf("/");
  if (slash < 0) return serverHostnamePartError(host);
  const ns = host.slice(0, slash);
  const name = host.slice(slash + 1);
  if (ns === "" || name === "") return `invalid host ${JSON.stringify(host)}: namespace and dnsName in host entry cannot be empty`;
  if (ns !== "*" && ns !== "." && !isDNS1123Label(ns)) return `invalid host ${JSON.stringify(host)}: invalid namespace value ${JSON.stringify(ns)} in gateway`;
  return serverHostnamePartError(name);
}

function serverHostnamePartError(hostname: string): string | undefined {
  if (hostname !== "*" && !hostname.includes(".")) return `invalid host ${JSON.stringify(hostname)}: short names (non FQDN) are not allowed`;
  const err = wildcardDomainError(hostname);
  if (err && !isIP(hostname)) return `invalid host ${JSON.stringify(hostname)}: ${err}`;
  return partialWildcardError(hostname);
}

/** Istio's validateTLSOptions (server side). The mode defaults to PASSTHROUGH (the proto default). */
function tlsRules(tls: ServerTLSSettings, path: string, ctx: RuleContext): void {
  const mode = tls.mode ?? "PASSTHROUGH";
  // CRD rules: one certificate list form at a time.
  if (tls.credentialName !== undefined && tls.credentialNames !== undefined)
    ctx.error(`${path}.credentialNames`, "only one of credentialName or credentialNames can be set", "FieldMutuallyExclusive");
  if (tls.credentialNames !== undefined && tls.tlsCertificates !== undefined)
    ctx.error(`${path}.tlsCertificates`, "only one of credentialNames or tlsCertificates can be set", "FieldMutuallyExclusive");
  for (const [field, list] of [["credentialNames", tls.credentialNames], ["tlsCertificates", tls.tlsCertificates]] as const) {
    if (list !== undefined && (list.length < 1 || list.length > 2)) ctx.error(`${path}.${field}`, `${field} must have 1 or 2 entries (RSA and ECDSA), got ${list.length}`);
  }

  if (mode === "ISTIO_MUTUAL") {
    const forbidden = [
      ["serverCertificate", tls.serverCertificate, "server certificate"],
      ["privateKey", tls.privateKey, "private key"],
      ["caCertificates", tls.caCertificates, "CA bundle"],
      ["tlsCertificates", tls.tlsCertificates?.length ? tls.tlsCertificates : undefined, "tlsCertificates"],
      ["credentialName", tls.credentialName, "credentialName"],
      ["credentialNames", tls.credentialNames?.length ? tls.credentialNames : undefined, "credentialNames"],
    ] as const;
    for (const [field, value, what] of forbidden) {
      if (value) ctx.error(`${path}.${field}`, `ISTIO_MUTUAL TLS cannot have associated ${what}`);
    }
    return;
  }

  let sources = 0;
  if (tls.serverCertificate && tls.privateKey) sources++;
  if (tls.credentialName) sources++;
  if (tls.credentialNames?.length) sources++;
  if (tls.tlsCertificates?.length) sources++;
  if (sources > 1)
    ctx.error(path, "only one of credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates should be specified", "FieldMutuallyExclusive");

  const terminates = mode === "SIMPLE" || mode === "MUTUAL" || mode === "OPTIONAL_MUTUAL";
  if (terminates && (tls.credentialName || tls.credentialNames?.length)) return; // credentials come from the named secret

  if (terminates) {
    const prefix = mode === "SIMPLE" ? "SIMPLE TLS" : "MUTUAL TLS";
    if (mode !== "SIMPLE" && !tls.caCertificates)
      ctx.error(`${path}.caCertificates`, `${prefix} (mode ${mode}) requires a client CA bundle (caCertificates), or a credentialName`, "FieldValueRequired");
    if (tls.tlsCertificates?.length) {
      tls.tlsCertificates.forEach((c, k) => {
        if (!c.serverCertificate) ctx.error(`${path}.tlsCertificates[${k}].serverCertificate`, `${prefix} requires a server certificate`, "FieldValueRequired");
        if (!c.privateKey) ctx.error(`${path}.tlsCertificates[${k}].privateKey`, `${prefix} requires a private key`, "FieldValueRequired");
      });
    } else {
      if (!tls.serverCertificate)
        ctx.error(`${path}.serverCertificate`, `${prefix} (mode ${mode}) requires a credentialName, or a serverCertificate and privateKey`, "FieldValueRequired");
      if (!tls.privateKey)
        ctx.error(`${path}.privateKey`, `${prefix} (mode ${mode}) requires a credentialName, or a serverCertificate and privateKey`, "FieldValueRequired");
    }
  }
  if (tls.caCrl) {
    if (tls.credentialName) ctx.error(`${path}.caCrl`, "CRL is not supported with credentialName. CRL has to be specified in the credential");
    if (mode === "SIMPLE") ctx.error(`${path}.caCrl`, "CRL is not supported with SIMPLE TLS");
  }
}
