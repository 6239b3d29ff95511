/**
 * The subjectAltName URIs and DNS names of an X.509 certificate, read from its DER with a minimal,
 * bounds-checked ASN.1 walker (no signature check: Cloudflare verified the client certificate before
 * the request reached the Worker). Cloudflare hands the leaf certificate over as RFC 9440 bytes
 * (`request.cf.tlsClientAuth.certRFC9440`, `:<base64 DER>:`); its SANs carry the SPIFFE identity
 * (`spiffe://<trust-domain>/ns/<ns>/sa/<sa>`) that becomes `source.principal`.
 *
 * Anything malformed yields no names; it never throws.
 */

export interface SubjectAltNames {
  uris: string[];
  dnsNames: string[];
}

interface Tlv {
  tag: number;
  /** Start of the value. */
  start: number;
  /** End of the value (exclusive). */
  end: number;
}

/** One TLV at `at`, within `limit`; undefined when malformed (long tags, indefinite or overlong lengths). */
function readTlv(der: Uint8Array, at: number, limit: number): Tlv | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at]!;
  if ((tag & 0x1f) === 0x1f) return undefined; // multi-byte tags: never in the structures read here
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  const end = start + len;
  return end <= limit ? { tag, start, end } : undefined;
}

function children(der: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  let at = parent.start;
  while (at < parent.end) {
    const t = readTlv(der, at, parent.end);
    if (!t) return undefined;
    out.push(t);
    at = t.end;
    if (out.length > 1024) return undefined;
  }
  return out;
}

const SEQUENCE = 0x30;
const OID = 0x06;
const OCTET_STRING = 0x04;
const EXTENSIONS = 0xa3; // [3] EXPLICIT in TBSCertificate
const SAN_OID = [0x55, 0x1d, 0x11]; // 2.5.29.17
const GN_DNS = 0x82; // [2] IMPLICIT IA5String
const GN_URI = 0x86; // [6] IMPLICIT IA5String

export function subjectAltNames(der: Uint8Array): SubjectAltNames {
  const out: SubjectAltNames = { uris: [], dnsNames: [] };
  const cert = readTlv(der, 0, der.length);
  if (!cert || cert.tag !== SEQUENCE) return out;
  const tbs = children(der, cert)?.[0];
  if (!tbs || tbs.tag !== SEQUENCE) return out;
  const ext = children(der, tbs)?.find((t) => t.tag === EXTENSIONS);
  if (!ext) return out;
  const list = children(der, ext)?.[0];
  if (!list || list.tag !== SEQUENCE) return out;
  for (const extension of children(der, list) ?? []) {
    if (extension.tag !== SEQUENCE) continue;
    const parts = children(der, extension);
    if (!parts || parts.length < 2) continue;
    const oid = parts[0]!;
    if (oid.tag !== OID || !sameBytes(der.subarray(oid.start, oid.end), SAN_OID)) continue;
    const value = parts[parts.length - 1]!;
    if (value.tag !== OCTET_STRING) return out;
    const names = readTlv(der, value.start, value.end);
    if (!names || names.tag !== SEQUENCE) return out;
    for (const gn of children(der, names) ?? []) {
      const text = gn.tag === GN_URI || gn.tag === GN_DNS ? ia5(der, gn) : undefined;
      if (text === undefined) continue;
      (gn.tag === GN_URI ? out.uris : out.dnsNames).push(text);
    }
    return out;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: readonly number[]): boolean {
  return a.length === b.length && b.every((x, i) => a[i] === x);
}

/** IA5String (7-bit ASCII, printable); undefined for anything else, so no byte is reinterpreted. */
function ia5(der: Uint8Array, t: Tlv): string | undefined {
  let s = "";
  for (let i = t.start; i < t.end; i++) {
    const b = der[i]!;
    if (b < 0x21 || b > 0x7e) return undefined;
    s += String.fromCharCode(b);
  }
  return s;
}

/** RFC 9440 byte sequence (`:<base64>:`) or bare base64 → bytes; undefined when not base64. */
export function decodeRfc9440(text: string): Uint8Array | undefined {
  const b64 = text.trim().replace(/^:|:$/g, "");
  if (b64 === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  try {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}
