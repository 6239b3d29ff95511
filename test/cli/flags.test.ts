import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseArgs, UsageError, type FlagSpec } from "../../src/cli/flags.js";
import { runCli } from "../../src/cli/run.js";
import { memoryIO } from "./harness.js";

const SPECS: FlagSpec[] = [
  { name: "filename", short: "f", kind: "list", help: "" },
  { name: "namespace", short: "n", kind: "string", help: "", default: "default" },
  { name: "all-namespaces", short: "A", kind: "boolean", help: "" },
  { name: "recursive", short: "R", kind: "boolean", help: "" },
  { name: "output", short: "o", kind: "string", choices: ["yaml", "json"], help: "" },
  { name: "dry-run", kind: "string", bare: "server", choices: ["server", "none"], help: "" },
];

describe("parseArgs", () => {
  const rows: Array<[string, string[], Record<string, unknown>, string[]]> = [
    ["long flag with a separate value", ["--namespace", "prod"], { namespace: "prod" }, []],
    ["long flag with =", ["--namespace=prod"], { namespace: "prod" }, []],
    ["short flag with a separate value", ["-n", "prod"], { namespace: "prod" }, []],
    ["short flag glued to its value", ["-nprod"], { namespace: "prod" }, []],
    ["short flag with =", ["-n=prod"], { namespace: "prod" }, []],
    ["default when absent", [], { namespace: "default" }, []],
    ["repeatable list flag", ["-f", "a.yaml", "--filename", "b.yaml", "-f=c.yaml"], { filename: ["a.yaml", "b.yaml", "c.yaml"] }, []],
    ["- is stdin for a value", ["-f", "-"], { filename: ["-"] }, []],
    ["grouped booleans", ["-AR"], { "all-namespaces": true, recursive: true }, []],
    ["boolean then value flag in one group", ["-Rf", "x.yaml"], { recursive: true, filename: ["x.yaml"] }, []],
    ["boolean with =false", ["--recursive=false"], { recursive: false }, []],
    ["bare value flag takes its bare value", ["--dry-run"], { "dry-run": "server" }, []],
    ["bare value flag with =", ["--dry-run=none"], { "dry-run": "none" }, []],
    ["bare value flag does not eat the next word", ["--dry-run", "x"], { "dry-run": "server" }, ["x"]],
    ["positionals interleaved", ["vs", "-n", "prod", "reviews"], { namespace: "prod" }, ["vs", "reviews"]],
    ["lone - is a positional", ["-"], {}, ["-"]],
    ["-- ends flags", ["--", "-n", "x"], {}, ["-n", "x"]],
  ];
  for (const [name, argv, flags, positionals] of rows) {
    it(name, () => {
      const parsed = parseArgs(argv, SPECS);
      expect(parsed.flags).toMatchObject(flags);
      expect(parsed.positionals).toEqual(positionals);
    });
  }

  const errors: Array<[string, string[], RegExp]> = [
    ["unknown long flag", ["--nope"], /unknown flag: --nope/],
    ["unknown short flag", ["-z"], /unknown shorthand flag: 'z'/],
    ["missing value", ["-n"], /flag needs an argument: -n/],
    ["value not among the choices", ["-o", "xml"], /invalid value "xml" for -o: must be one of yaml, json/],
    ["bad boolean", ["--recursive=maybe"], /invalid boolean "maybe"/],
  ];
  for (const [name, argv, message] of errors) {
    it(`refuses: ${name}`, () => {
      expect(() => parseArgs(argv, SPECS)).toThrow(UsageError);
      expect(() => parseArgs(argv, SPECS)).toThrow(message);
    });
  }
});

describe("no argv crashes", () => {
  const word = fc.oneof(
    fc.constantFrom("apply", "delete", "get", "analyze", "explain", "history", "rollback", "version", "config-dump", "help", "vs", "-", "--", "-f", "-n", "-o", "-A", "-R", "--dry-run", "--server", "--token", "-h", "json", "x.yaml"),
    fc.string({ maxLength: 8 }),
  );
  it("parseArgs returns or throws UsageError", () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (argv) => {
        try {
          parseArgs(argv, SPECS);
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
        }
      }),
    );
  });
  it.each([
    [["get", "vs", "apply"], {}, "virtualservices/apply is not a resource"],
    [["history"], { items: [{}] }, "No config versions yet"],
  ])("a server answer of the wrong shape is an error, not a crash: %j", async (argv, body, message) => {
    const io = memoryIO({ files: {}, fetch: () => Response.json(body) });
    const code = await runCli(argv, io);
    expect(io.out + io.err).toContain(message);
    expect(io.out + io.err).not.toContain("Cannot read properties");
    expect([0, 1]).toContain(code);
  });
  it("runCli always returns an exit code and never writes 'undefined'", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(word, { maxLength: 6 }), async (argv) => {
        const io = memoryIO({ files: { "x.yaml": "kind: VirtualService\n" }, fetch: () => Response.json({}) });
        const code = await runCli(argv, io);
        expect([0, 1, 64, 65, 79]).toContain(code);
        expect(io.out + io.err).not.toContain("undefined");
      }),
      { numRuns: 200 },
    );
  });
});
