/**
 * CEL (Common Expression Language) as Istio's Telemetry uses it: `accessLogging[].filter.expression`
 * and `metrics[].overrides[].tagOverrides[].value` are CEL over Envoy's request attributes
 * (`request.headers['x-user']`, `response.code >= 400`, `xds.route_name`...). Parsed and planned once
 * per snapshot with @bufbuild/cel (a conformance-tested CEL implementation); evaluation never throws.
 *
 * Admission runs both the hand-written grammar check (`celSyntaxError`: it also refuses what cel-go
 * refuses and @bufbuild/cel lets pass, such as invalid escapes and reserved words as field names, with
 * an offset in the message) and the library's own parser (what actually runs).
 *
 * @example
 *   const p = compileCel("response.code >= 400");
 *   p.eval({ response: { code: 503 } }); // true
 */
import { celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { celSyntaxError } from "./schemas/cel-syntax.js";

const env = celEnv();

export interface CelProgram {
  readonly source: string;
  /** The value, or `undefined` when evaluation fails (a missing header or attribute, a type error). */
  eval(activation: Record<string, unknown>): unknown;
}

/** Why `expr` is not a CEL expression Isthmus can run, or undefined. */
export function celExpressionError(expr: string): string | undefined {
  if (expr.trim() === "") return "expression is empty";
  const syntax = celSyntaxError(expr);
  if (syntax) return syntax;
  try {
    parse(expr);
    return undefined;
  } catch (e) {
    return String((e as Error)?.message ?? e);
  }
}

/** Compiles an expression already admitted by `celExpressionError` (throws otherwise). */
export function compileCel(expr: string): CelProgram {
  const run = plan(env, parse(expr)) as (ctx: Record<string, unknown>) => unknown;
  return {
    source: expr,
    eval(activation) {
      try {
        const v = run(activation);
        return isCelError(v) ? undefined : v;
      } catch {
        return undefined;
      }
    },
  };
}

/** A CEL value as a label or log string (Istio writes `unknown` when there is none). */
export function celString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (typeof v === "object" && v !== null && "value" in v && typeof (v as { value: unknown }).value === "bigint") return String((v as { value: bigint }).value);
  return undefined;
}
