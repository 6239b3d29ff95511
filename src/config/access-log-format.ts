/**
 * Envoy access-log format strings (`%COMMAND(arg):MAX%` command operators), parsed once when the
 * MeshConfig is read, never per request. Only operators that mean something at this gateway are
 * accepted; anything else is an error naming the operator (the caller adds the field path).
 * Istio's default text and JSON formats are here too.
 *
 * @example
 *   const { format, error } = parseLogFormat('[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%" %RESPONSE_CODE%\n');
 */

/** A piece of a format: literal text or one operator. */
export type FormatPart = string | FormatOperator;

export interface FormatOperator {
  op: string;
  /** `REQ(X?Y)`: header names (lower case), the second the fallback; `START_TIME(fmt)`: the strftime format; `CEL(expr)`, `ENVIRONMENT(name)`. */
  args?: string[];
  /** `:Z` truncation. */
  max?: number;
}

export interface LogFormat {
  parts: FormatPart[];
}

/** Operators with no argument. */
const PLAIN = new Set([
  "RESPONSE_CODE", "RESPONSE_CODE_DETAILS", "RESPONSE_FLAGS", "RESPONSE_FLAGS_LONG", "DURATION", "REQUEST_DURATION",
  "RESPONSE_DURATION", "BYTES_RECEIVED", "BYTES_SENT", "UPSTREAM_HOST", "UPSTREAM_CLUSTER", "UPSTREAM_CLUSTER_RAW",
  "ROUTE_NAME", "DOWNSTREAM_REMOTE_ADDRESS", "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT", "DOWNSTREAM_DIRECT_REMOTE_ADDRESS",
  "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT", "DOWNSTREAM_LOCAL_ADDRESS", "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT",
  "DOWNSTREAM_LOCAL_PORT", "UPSTREAM_LOCAL_ADDRESS", "UPSTREAM_REMOTE_ADDRESS", "UPSTREAM_TRANSPORT_FAILURE_REASON",
  "REQUESTED_SERVER_NAME", "PROTOCOL", "UPSTREAM_PROTOCOL", "CONNECTION_TERMINATION_DETAILS", "HOSTNAME", "STREAM_ID",
  "UPSTREAM_REQUEST_ATTEMPT_COUNT", "DOWNSTREAM_PEER_URI_SAN", "DOWNSTREAM_PEER_SUBJECT", "DOWNSTREAM_TLS_VERSION",
  "UPSTREAM_PEER_URI_SAN", "REQUEST_HEADERS_BYTES", "RESPONSE_HEADERS_BYTES", "DOWNSTREAM_TRANSPORT_FAILURE_REASON",
  "TRACE_ID", "UPSTREAM_TLS_VERSION", "CONNECTION_ID", "RESPONSE_CODE_CLASS",
]);
/** Operators that take `(args)`. */
const WITH_ARGS = new Set(["REQ", "RESP", "TRAILER", "START_TIME", "ENVIRONMENT", "CEL"]);
/** Operators whose value is a number (typed in JSON output). */
export const NUMERIC_OPERATORS = new Set([
  "RESPONSE_CODE", "DURATION", "REQUEST_DURATION", "RESPONSE_DURATION", "BYTES_RECEIVED", "BYTES_SENT",
  "UPSTREAM_REQUEST_ATTEMPT_COUNT", "DOWNSTREAM_LOCAL_PORT", "REQUEST_HEADERS_BYTES", "RESPONSE_HEADERS_BYTES", "CONNECTION_ID",
]);

/** Parses a format string; `error` names the first problem (with its offset). */
export function parseLogFormat(text: string, opts: { celError?: (expr: string) => string | undefined } = {}): { format?: LogFormat; error?: string } {
  const parts: FormatPart[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== "%") {
      literal += c;
      i++;
      continue;
    }
    if (text[i + 1] === "%") {
      literal += "%";
      i += 2;
      continue;
    }
    const m = /^%([A-Z][A-Z0-9_]*)/.exec(text.slice(i));
    if (!m) return { error: `a lone "%" at offset ${i} (write "%%" for a literal percent sign)` };
    const op = m[1]!;
    let j = i + m[0].length;
    const operator: FormatOperator = { op };
    if (text[j] === "(") {
      // Arguments run to the matching ")" that is followed by "%" or ":" (CEL and strftime may contain parentheses).
      const close = findClose(text, j);
      if (close < 0) return { error: `operator %${op}( at offset ${i} is not closed` };
      const raw = text.slice(j + 1, close);
      j = close + 1;
      if (!WITH_ARGS.has(op)) return { error: `operator %${op}% takes no arguments (offset ${i})` };
      if (op === "REQ" || op === "RESP" || op === "TRAILER") {
        const names = raw.split("?");
        if (names.length > 2 || names.some((n) => !/^:?[A-Za-z0-9!#$&'*+.^_`|~-]+$/.test(n))) return { error: `invalid header in %${op}(${raw})% at offset ${i}: expected HEADER or HEADER?ALTERNATIVE` };
        operator.args = names.map((n) => n.toLowerCase());
      } else if (op === "CEL") {
        const err = opts.celError?.(raw);
        if (err) return { error: `%CEL(${raw})% at offset ${i} is not a valid CEL expression: ${err}` };
        operator.args = [raw];
      } else {
        operator.args = [raw];
      }
    } else if (WITH_ARGS.has(op) && op !== "START_TIME") {
      return { error: `operator %${op}% needs an argument, e.g. %${op}(X-REQUEST-ID)% (offset ${i})` };
    } else if (!PLAIN.has(op) && op !== "START_TIME") {
      return { error: `unknown command operator %${op}% at offset ${i}` };
    }
    if (text[j] === ":") {
      const len = /^:([0-9]+)/.exec(text.slice(j));
      if (!len) return { error: `invalid length after %${op}...: at offset ${j}` };
      operator.max = Number(len[1]);
      j += len[0].length;
    }
    if (text[j] !== "%") return { error: `operator %${op} at offset ${i} is not closed with "%"` };
    j++;
    if (literal) parts.push(literal);
    literal = "";
    parts.push(operator);
    i = j;
  }
  if (literal) parts.push(literal);
  return { format: { parts } };
}

function findClose(text: string, open: number): number {
  let depth = 0;
  for (let k = open; k < text.length; k++) {
    if (text[k] === "(") depth++;
    else if (text[k] === ")") {
      depth--;
      if (depth === 0 && (text[k + 1] === "%" || text[k + 1] === ":")) return k;
    }
  }
  return -1;
}

/** Istio's default text access log format (`EnvoyTextLogFormat`). */
export const ISTIO_TEXT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% ' +
  '%DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" ' +
  '"%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% ' +
  "%DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n";

/** Istio's default JSON access log fields (`EnvoyJSONLogFormatIstio`). */
export const ISTIO_JSON_LABELS: Record<string, string> = {
  start_time: "%START_TIME%",
  route_name: "%ROUTE_NAME%",
  method: "%REQ(:METHOD)%",
  path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
  protocol: "%PROTOCOL%",
  response_code: "%RESPONSE_CODE%",
  response_flags: "%RESPONSE_FLAGS%",
  response_code_details: "%RESPONSE_CODE_DETAILS%",
  connection_termination_details: "%CONNECTION_TERMINATION_DETAILS%",
  bytes_received: "%BYTES_RECEIVED%",
  bytes_sent: "%BYTES_SENT%",
  duration: "%DURATION%",
  upstream_service_time: "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
  x_forwarded_for: "%REQ(X-FORWARDED-FOR)%",
  user_agent: "%REQ(USER-AGENT)%",
  request_id: "%REQ(X-REQUEST-ID)%",
  authority: "%REQ(:AUTHORITY)%",
  upstream_host: "%UPSTREAM_HOST%",
  upstream_cluster: "%UPSTREAM_CLUSTER_RAW%",
  upstream_local_address: "%UPSTREAM_LOCAL_ADDRESS%",
  downstream_local_address: "%DOWNSTREAM_LOCAL_ADDRESS%",
  downstream_remote_address: "%DOWNSTREAM_REMOTE_ADDRESS%",
  requested_server_name: "%REQUESTED_SERVER_NAME%",
  upstream_transport_failure_reason: "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
};
