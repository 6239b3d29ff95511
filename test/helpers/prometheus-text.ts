/**
 * A checker for the Prometheus text exposition format (0.0.4) with the rules `promtool check metrics`
 * applies: the text parser's (HELP/TYPE before a family's samples, one TYPE per family, families not
 * interleaved, valid metric and label names, escaped label values, float values, no duplicate series)
 * and its lint (counters end in `_total`, other types do not; HELP present), plus histogram integrity
 * (`le` ascending with `+Inf` last, cumulative buckets, `+Inf` equal to `_count`). Returns the problems
 * (empty: valid) and the parsed samples.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function checkPrometheusText(text: string): { problems: string[]; samples: Sample[] } {
  const problems: string[] = [];
  const samples: Sample[] = [];
  if (text !== "" && !text.endsWith("\n")) problems.push("text must end with a newline");
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const finished = new Set<string>();
  const seen = new Set<string>();
  let current: string | undefined;
  const family = (name: string) => {
    for (const suffix of ["_bucket", "_sum", "_count"]) if (name.endsWith(suffix) && types.get(name.slice(0, -suffix.length)) === "histogram") return name.slice(0, -suffix.length);
    return name;
  };
  const enter = (fam: string, at: string) => {
    if (current === fam) return;
    if (finished.has(fam)) problems.push(`${at}: family ${fam} appears twice (interleaved)`);
    if (current) finished.add(current);
    current = fam;
  };
  text.split("\n").forEach((line, i) => {
    const at = `line ${i + 1}`;
    if (line === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // plain comment
      const [, kw, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) problems.push(`${at}: invalid metric name ${name}`);
      enter(name, at);
      if (kw === "TYPE") {
        if (types.has(name)) problems.push(`${at}: second TYPE line for ${name}`);
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) problems.push(`${at}: unknown type ${rest}`);
        if ([...seen].some((k) => family(k.slice(0, k.indexOf("{"))) === name)) problems.push(`${at}: TYPE for ${name} after its samples`);
        types.set(name, rest);
        if (rest === "counter" && !name.endsWith("_total")) problems.push(`${name}: counter metrics should have "_total" suffix`);
        if (rest !== "counter" && name.endsWith("_total")) problems.push(`${name}: non-counter metrics should not have "_total" suffix`);
      } else {
        if (helps.has(name)) problems.push(`${at}: second HELP line for ${name}`);
        helps.add(name);
      }
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) {
      problems.push(`${at}: not a sample: ${line.slice(0, 120)}`);
      return;
    }
    const name = m[1]!;
    const labels: Record<string, string> = {};
    const body = m[3] ?? "";
    const re = /\s*([^=\s]+)="((?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)/y;
    let pos = 0;
    while (pos < body.length) {
      re.lastIndex = pos;
      const l = re.exec(body);
      if (!l) {
        problems.push(`${at}: bad label syntax near ${JSON.stringify(body.slice(pos, pos + 40))}`);
        break;
      }
      if (!LABEL.test(l[1]!) || l[1]!.startsWith("__")) problems.push(`${at}: invalid label name ${l[1]}`);
      if (l[1]! in labels) problems.push(`${at}: duplicate label ${l[1]}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
      pos = re.lastIndex;
    }
    const raw = m[4]!;
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : raw === "NaN" ? NaN : Number(raw);
    if (!/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+|Inf|NaN)$/.test(raw) || Number.isNaN(value) && raw !== "NaN") problems.push(`${at}: bad value ${raw}`);
    const fam = family(name);
    enter(fam, at);
    if (!types.has(fam)) problems.push(`${at}: sample of ${fam} without TYPE`);
    if (!helps.has(fam)) problems.push(`${fam}: no help text`);
    const key = name + "{" + Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(",") + "}";
    if (seen.has(key)) problems.push(`${at}: duplicate series ${key}`);
    seen.add(key);
    samples.push({ name, labels, value });
  });
  // Histogram integrity.
  for (const [fam, type] of types) {
    if (type !== "histogram") continue;
    const groups = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${fam}_bucket`)) {
      const { le, ...rest } = s.labels;
      if (le === undefined) problems.push(`${fam}_bucket without le`);
      const k = JSON.stringify(Object.entries(rest).sort());
      groups.set(k, [...(groups.get(k) ?? []), s]);
    }
    for (const [k, buckets] of groups) {
      const les = buckets.map((b) => (b.labels.le === "+Inf" ? Infinity : Number(b.labels.le)));
      if (les.at(-1) !== Infinity) problems.push(`${fam}${k}: last bucket is not +Inf`);
      for (let i = 1; i < buckets.length; i++) {
        if (!(les[i]! > les[i - 1]!)) problems.push(`${fam}${k}: le not ascending`);
        if (buckets[i]!.value < buckets[i - 1]!.value) problems.push(`${fam}${k}: buckets not cumulative`);
      }
      const count = samples.find((s) => s.name === `${fam}_count` && JSON.stringify(Object.entries(s.labels).sort()) === k);
      if (!count) problems.push(`${fam}${k}: no _count`);
      else if (count.value !== buckets.at(-1)!.value) problems.push(`${fam}${k}: +Inf bucket ${buckets.at(-1)!.value} != _count ${count.value}`);
      if (!samples.some((s) => s.name === `${fam}_sum` && JSON.stringify(Object.entries(s.labels).sort()) === k)) problems.push(`${fam}${k}: no _sum`);
    }
  }
  return { problems, samples };
}
