/**
 * One AuthorizationPolicy rule → one predicate, with Istio's semantics: the rule matches when some
 * `from` source matches (or there is no `from`), some `to` operation matches (or there is no `to`),
 * and every `when` condition matches. Inside a source/operation every set field must match; a field
 * matches when the value is one of `values` (if any) and none of `notValues` (if any).
 *
 * Bad values (admission should have refused them) are handled as pilot does: an ALLOW rule with one is
 * dropped (it can only allow less); DENY/AUDIT/CUSTOM drop just the value (they can only match more).
 * A rule with an unknown `when` key is dropped for every action.
 */
import type { Condition, Operation, Rule, Source } from "../../config/schemas/authorization-policy.js";
import { attributeCompiler, HOST_KEY, METHOD_KEY, PATH_KEY, type Predicate } from "./attributes.js";

type Pair<T> = readonly [keyof T, keyof T, string];

/** `from.source` fields and the attribute each one tests. */
const SOURCE_KEYS: readonly Pair<Source>[] = [
  ["principals", "notPrincipals", "source.principal"],
  ["requestPrincipals", "notRequestPrincipals", "request.auth.principal"],
  ["namespaces", "notNamespaces", "source.namespace"],
  ["serviceAccounts", "notServiceAccounts", "source.serviceAccount"],
  ["trustDomains", "notTrustDomains", "source.trustDomain"],
  ["ipBlocks", "notIpBlocks", "source.ip"],
  ["remoteIpBlocks", "notRemoteIpBlocks", "remote.ip"],
];

/** `to.operation` fields and the attribute each one tests. */
const OPERATION_KEYS: readonly Pair<Operation>[] = [
  ["hosts", "notHosts", HOST_KEY],
  ["ports", "notPorts", "destination.port"],
  ["methods", "notMethods", METHOD_KEY],
  ["paths", "notPaths", PATH_KEY],
];

export interface RuleCompileOptions {
  /** The policy's namespace (`serviceAccounts` without a namespace mean this one). */
  namespace: string;
  /** DENY, AUDIT and CUSTOM: drop bad values instead of the whole rule. */
  lenient: boolean;
}

class RuleSkipped extends Error {}

/** The rule's predicate, or `{ skipped }` with the reason when pilot would drop the rule. */
export function compileRule(rule: Rule, opts: RuleCompileOptions): { match: Predicate } | { skipped: string } {
  try {
    const parts: Predicate[] = [];
    if (rule.from?.length) {
      const sources = rule.from.map((f) => (f.source ? all(fields(f.source, SOURCE_KEYS, opts)) : ALWAYS));
      parts.push(any(sources));
    }
    if (rule.to?.length) {
      const operations = rule.to.map((t) => (t.operation ? all(fields(t.operation, OPERATION_KEYS, opts)) : ALWAYS));
      parts.push(any(operations));
    }
    for (const c of rule.when ?? []) parts.push(...condition(c, opts));
    return { match: all(parts) };
  } catch (e) {
    if (e instanceof RuleSkipped) return { skipped: e.message };
    throw e;
  }
}

const ALWAYS: Predicate = () => true;

function all(preds: Predicate[]): Predicate {
  if (preds.length === 0) return ALWAYS;
  if (preds.length === 1) return preds[0]!;
  return (a) => {
    for (const p of preds) if (!p(a)) return false;
    return true;
  };
}

function any(preds: Predicate[]): Predicate {
  if (preds.length === 1) return preds[0]!;
  return (a) => {
    for (const p of preds) if (p(a)) return true;
    return false;
  };
}

function fields<T extends object>(obj: T, keys: readonly Pair<T>[], opts: RuleCompileOptions): Predicate[] {
  const out: Predicate[] = [];
  for (const [pos, neg, key] of keys) {
    out.push(...valueLists(key, obj[pos] as string[] | undefined, obj[neg] as string[] | undefined, opts));
  }
  return out;
}

function condition(c: Condition, opts: RuleCompileOptions): Predicate[] {
  return valueLists(c.key, c.values, c.notValues, opts);
}

function valueLists(key: string, values: string[] | undefined, notValues: string[] | undefined, opts: RuleCompileOptions): Predicate[] {
  if (!values?.length && !notValues?.length) return [];
  const compile = attributeCompiler(key, opts.namespace);
  if (!compile) throw new RuleSkipped(`unknown attribute ${key}`);
  const out: Predicate[] = [];
  const positive = compileValues(key, values, compile, opts);
  if (positive.length) {
    const m = any(positive);
    out.push(m);
  }
  const negative = compileValues(key, notValues, compile, opts);
  if (negative.length) {
    const m = any(negative);
    out.push((a) => !m(a));
  }
  return out;
}

function compileValues(key: string, values: string[] | undefined, compile: (v: string) => Predicate | undefined, opts: RuleCompileOptions): Predicate[] {
  const out: Predicate[] = [];
  for (const v of values ?? []) {
    const p = compile(v);
    if (p) out.push(p);
    else if (!opts.lenient) throw new RuleSkipped(`invalid value ${JSON.stringify(v)} for ${key}`);
  }
  return out;
}
