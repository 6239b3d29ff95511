/**
 * The command line both load generators take (closed-loop.mjs, fixed-rate.mjs): `--url` (required),
 * `--host`, `--header "name: value"` (repeatable), `--request-module`, and numeric options whose defaults
 * the caller gives (`--connections`, `--duration`, `--rate`, `--warmup`, ...).
 */
export function parseLoadArgs(argv, numericDefaults) {
  const out = { headers: {}, ...numericDefaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === "--url") out.url = v, i++;
    else if (a === "--host") out.host = v, i++;
    else if (a === "--request-module") out.requestModule = v, i++;
    else if (a === "--header") {
      const c = v.indexOf(":");
      out.headers[v.slice(0, c).trim().toLowerCase()] = v.slice(c + 1).trim();
      i++;
    } else if (a.startsWith("--") && a.slice(2) in numericDefaults) out[a.slice(2)] = Number(v), i++;
  }
  if (!out.url) throw new Error("--url is required");
  return out;
}
