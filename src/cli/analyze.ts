/**
 * `isthmus analyze FILE...`: `istioctl analyze --use-kube=false` for Isthmus. Offline by default, with
 * the same code the server runs (validation → IST0106, then the analyzers), printed in istioctl's form:
 * `Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host not found: "reviews"`.
 * `--use-server` analyzes the files on top of the stored config instead (`POST {prefix}/analyze`).
 *
 * Exit codes are istioctl's: 79 when a message reaches --failure-threshold (default Error), 65 when an
 * input could not be parsed, 0 otherwise.
 */
import { analyzeDocuments } from "../config/analyzer/index.js";
import { formatMessage, type AnalyzerMessage, type Level } from "../config/errors.js";
import { meshOptions } from "../config/mesh-options.js";
import { serverErrorLines } from "./admin-client.js";
import { CliError, EXIT, type Command } from "./command.js";
import { boolFlag, stringFlag, UsageError } from "./flags.js";
import { loadInputs, sourceLocator, withNamespace } from "./inputs.js";
import { toJson, toYaml } from "./resource-printer.js";

const LEVELS: readonly Level[] = ["Info", "Warning", "Error"];
const rank = (l: Level) => LEVELS.indexOf(l);

export const ANALYSIS_DOCS = "https://istio.io/latest/docs/reference/config/analysis";

/** istioctl's documentation link for a code: `.../analysis/ist0101/`. */
export function documentationUrl(code: string): string {
  return `${ANALYSIS_DOCS}/${code.toLowerCase()}/`;
}

export const analyzeCommand: Command = {
  name: "analyze",
  summary: "Validate and analyze config files offline (istioctl analyze)",
  usage: "isthmus analyze FILE|DIR|-... [-R] [-n NS] [--use-server] [-o log|json|yaml]",
  description: `Runs, without a server, the validation and analyzers the gateway runs on apply, and prints
each finding as istioctl does. The files are analyzed together as one self-contained config set.
With --use-server they are analyzed on top of the config stored in the gateway (no files: the
stored config alone); nothing is stored either way.

The gateway workload that selectors are checked against is the one wrangler.toml describes:
labels --gateway-labels (ISTHMUS_GATEWAY_LABELS, default istio=ingressgateway) in namespace
--gateway-namespace (ISTHMUS_GATEWAY_NAMESPACE, default istio-system).

Exit code: 79 when a message reaches --failure-threshold, 65 when a file could not be parsed.

Examples:
  isthmus analyze examples/bookinfo/
  isthmus analyze route.yaml --failure-threshold Warning
  isthmus analyze --use-server route.yaml`,
  flags: [
    { name: "recursive", short: "R", kind: "boolean", help: "Also read the subfolders of folders" },
    { name: "namespace", short: "n", kind: "string", value: "NS", help: "Namespace for resources that name none (default: default)" },
    { name: "use-server", kind: "boolean", help: "Analyze on top of the config stored in the gateway" },
    { name: "output", short: "o", kind: "string", value: "FORMAT", choices: ["log", "json", "yaml"], help: "Output format", default: "log" },
    { name: "failure-threshold", kind: "string", value: "LEVEL", choices: LEVELS, help: "Lowest level that makes the exit code non-zero", default: "Error" },
    { name: "output-threshold", kind: "string", value: "LEVEL", choices: LEVELS, help: "Lowest level printed", default: "Info" },
    { name: "gateway-labels", kind: "string", value: "K=V,...", help: "Labels of the gateway workload (offline only)" },
    { name: "gateway-namespace", kind: "string", value: "NS", help: "Namespace of the gateway workload (offline only)" },
  ],
  async run(ctx) {
    const useServer = boolFlag(ctx.flags, "use-server");
    const paths = ctx.positionals;
    if (paths.length === 0 && !useServer) {
      throw new UsageError("give the files to analyze (FILE, DIR or - for stdin), or --use-server to analyze the stored config");
    }
    const inputs = await loadInputs(ctx.io, paths, { recursive: boolFlag(ctx.flags, "recursive") });
    if (paths.length && inputs.files.length === 0) {
      // An empty set would pass; a CI job pointed at the wrong folder must not.
      throw new CliError(`error: no config files (*.yaml, *.yml, *.json) found in ${paths.join(", ")}`);
    }
    const failedFiles = new Set(inputs.parseErrors.map((e) => e.file ?? "<input>"));
    for (const e of inputs.parseErrors) ctx.err(`Error(s) adding files: ${e.file ?? "<input>"}${e.line ? `:${e.line}` : ""}: ${e.message}`);
    const namespace = stringFlag(ctx.flags, "namespace");
    const docs = withNamespace(inputs.documents, namespace);

    let messages: AnalyzerMessage[];
    let target: string;
    if (useServer) {
      const client = await ctx.client();
      const res = await client.request("POST", "/analyze", docs.length ? docs.map((d) => d.raw) : "");
      if (!res.ok) {
        for (const line of serverErrorLines(res)) ctx.err(line);
        return EXIT.error;
      }
      const body = res.body as { messages?: AnalyzerMessage[] } | AnalyzerMessage[] | undefined;
      const list = Array.isArray(body) ? body : (body?.messages ?? []);
      messages = list.map(sourceLocator(docs));
      target = inputs.files.length ? inputs.files.join(", ") : `the config stored at ${client.target.server}`;
    } else {
      const mesh = meshOptions({
        GATEWAY_LABELS: stringFlag(ctx.flags, "gateway-labels") ?? ctx.io.env.ISTHMUS_GATEWAY_LABELS,
        GATEWAY_NAMESPACE: stringFlag(ctx.flags, "gateway-namespace") ?? ctx.io.env.ISTHMUS_GATEWAY_NAMESPACE,
      });
      messages = analyzeDocuments(docs, { gatewayLabels: mesh.gatewayLabels, gatewayNamespace: mesh.gatewayNamespace, defaultNamespace: namespace });
      target = inputs.files.join(", ");
    }

    const outputLevel = rank((stringFlag(ctx.flags, "output-threshold") ?? "Info") as Level);
    const failureLevel = rank((stringFlag(ctx.flags, "failure-threshold") ?? "Error") as Level);
    const shown = messages.filter((m) => rank(m.level) >= outputLevel);
    const format = stringFlag(ctx.flags, "output") ?? "log";
    if (format === "log") {
      for (const m of shown) ctx.out(formatMessage(m));
    } else {
      const withDocs = shown.map((m) => ({ ...m, documentationUrl: documentationUrl(m.code) }));
      ctx.io.stdout(format === "json" ? toJson(withDocs) : toYaml(withDocs));
    }

    const failed = messages.some((m) => rank(m.level) >= failureLevel);
    if (shown.length === 0 && format === "log") {
      if (failedFiles.size === 0) ctx.err(`\u2714 No validation issues found when analyzing ${target}.`);
      else ctx.err(`No validation issues found when analyzing ${target} (but ${failedFiles.size} ${failedFiles.size === 1 ? "file" : "files"} could not be parsed).`);
    }
    if (failed) {
      if (format === "log") {
        ctx.err(`Error: Analyzers found issues when analyzing ${target}.`);
        ctx.err(`See ${ANALYSIS_DOCS} for more information about causes and resolutions.`);
      }
      return EXIT.analyzerIssues;
    }
    if (failedFiles.size) {
      if (format === "log") ctx.err("Error: Some files couldn't be parsed.");
      return EXIT.dataError;
    }
    return EXIT.ok;
  },
};
