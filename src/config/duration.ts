/**
 * Istio durations (protobuf `Duration` in its JSON form as kubectl accepts it): a decimal number with a
 * unit, or several concatenated as Go's time.ParseDuration reads them: `1h`, `1.5s`, `100ms`, `1m30s`.
 * Units: h, m, s, ms, us (µs), ns.
 */

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, "µs": 0.001, ns: 0.000001 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/y;

/** Milliseconds in the duration, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== "string" || text.length === 0 || text.length > 64) return undefined;
  let ms = 0;
  PART.lastIndex = 0;
  let matched = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== at) return undefined;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched++;
  }
  return matched > 0 ? ms : undefined;
}

