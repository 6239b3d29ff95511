/**
 * Command-line flags the way kubectl and istioctl users type them (pflag conventions):
 * `--name value`, `--name=value`, `-n value`, `-nvalue`, `-n=value`, grouped booleans (`-AR`), repeatable
 * list flags (`-f a.yaml -f b.yaml`) and `--` to end flags. Flags and positionals may be interleaved.
 */

export type FlagKind = "boolean" | "string" | "list";

export interface FlagSpec {
  /** Long name without dashes, e.g. `dry-run`. */
  name: string;
  /** One-letter short name, e.g. `f`. */
  short?: string;
  kind: FlagKind;
  /** Placeholder in help, e.g. `FILE`. */
  value?: string;
  help: string;
  /** Allowed values (string flags). */
  choices?: readonly string[];
  /** For a string flag that may also appear bare (`--dry-run`): the value it then takes. */
  bare?: string;
  /** Default shown in help and returned when the flag is absent. */
  default?: string;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedArgs {
  flags: FlagValues;
  positionals: string[];
}

/** A mistake in how the command was called (exit code 64, like istioctl's ExitIncorrectUsage). */
export class UsageError extends Error {}

/**
 * Parses `argv` against `specs`. Unknown flags are usage errors; `-` alone is a positional (stdin).
 *
 * @example parseArgs(["-f", "a.yaml", "--dry-run"], applyFlags) // { flags: { filename: ["a.yaml"], "dry-run": "server" }, positionals: [] }
 */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags: FlagValues = {};
  const positionals: string[] = [];

  const set = (spec: FlagSpec, value: string | boolean, shown: string) => {
    if (spec.kind === "list") {
      const list = (flags[spec.name] as string[] | undefined) ?? [];
      list.push(String(value));
      flags[spec.name] = list;
      return;
    }
    if (spec.kind === "string" && spec.choices && !spec.choices.includes(String(value))) {
      throw new UsageError(`invalid value ${JSON.stringify(value)} for ${shown}: must be one of ${spec.choices.join(", ")}`);
    }
    flags[spec.name] = value;
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
      if (spec.kind === "boolean") {
        set(spec, inline === undefined ? true : parseBool(inline, `--${name}`), `--${name}`);
      } else if (inline !== undefined) {
        set(spec, inline, `--${name}`);
      } else if (spec.bare !== undefined) {
        set(spec, spec.bare, `--${name}`);
      } else {
        set(spec, takeValue(argv, ++i, `--${name}`), `--${name}`);
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // A run of short flags: booleans may be grouped; a value flag takes the rest of the token or the next one.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const spec = byShort.get(letter);
        if (!spec) throw new UsageError(`unknown shorthand flag: '${letter}' in ${arg}`);
        if (spec.kind === "boolean") {
          if (arg[j + 1] === "=") {
            set(spec, parseBool(arg.slice(j + 2), `-${letter}`), `-${letter}`);
            break;
          }
          set(spec, true, `-${letter}`);
          continue;
        }
        let rest = arg.slice(j + 1);
        if (rest.startsWith("=")) rest = rest.slice(1);
        set(spec, rest !== "" ? rest : takeValue(argv, ++i, `-${letter}`), `-${letter}`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }

  for (const spec of specs) {
    if (flags[spec.name] === undefined && spec.default !== undefined) flags[spec.name] = spec.default;
  }
  return { flags, positionals };
}

function takeValue(argv: readonly string[], i: number, shown: string): string {
  const v = argv[i];
  if (v === undefined) throw new UsageError(`flag needs an argument: ${shown}`);
  return v;
}

function parseBool(text: string, shown: string): boolean {
  if (["true", "1", "t", "T", "TRUE", "True"].includes(text)) return true;
  if (["false", "0", "f", "F", "FALSE", "False"].includes(text)) return false;
  throw new UsageError(`invalid boolean ${JSON.stringify(text)} for ${shown}`);
}

export function stringFlag(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === "string" ? v : undefined;
}

export function boolFlag(flags: FlagValues, name: string): boolean {
  return flags[name] === true;
}

export function listFlag(flags: FlagValues, name: string): string[] {
  const v = flags[name];
  return Array.isArray(v) ? v : [];
}

/** Help lines for flags, aligned: `  -f, --filename FILE   Files ...`. */
export function flagHelp(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => {
    const names = s.short ? `-${s.short}, --${s.name}` : `    --${s.name}`;
    const value = s.kind === "boolean" ? "" : s.bare !== undefined ? `[=${s.value ?? "VALUE"}]` : ` ${s.value ?? "VALUE"}`;
    return `  ${names}${value}`;
  });
  const width = Math.max(...left.map((l) => l.length));
  return specs
    .map((s, i) => {
      const extra = s.default !== undefined && s.default !== "" ? ` (default ${JSON.stringify(s.default)})` : "";
      return `${left[i]!.padEnd(width)}   ${s.help}${extra}`;
    })
    .join("\n");
}
