/**
 * Row runner for rule-matching tables: each rule is evaluated both as an ALLOW policy (a match
 * allows) and as a DENY policy (a match denies), so every row checks both actions agree on "match".
 */
import { expect, it } from "vitest";
import type { Rule } from "../../../src/config/schemas/authorization-policy.js";
import { ap, authorizer, view, type ViewInput } from "./fixtures.js";

export interface RuleRow {
  name: string;
  rule: Rule;
  request: ViewInput;
  match: boolean;
}

export function ruleMatches(rule: Rule, request: ViewInput): { asAllow: boolean; asDeny: boolean } {
  const allow = authorizer([ap("allow-it", { action: "ALLOW", rules: [rule] })]).authorize(view(request));
  const deny = authorizer([ap("deny-it", { action: "DENY", rules: [rule] })]).authorize(view(request));
  return { asAllow: allow.allowed, asDeny: !deny.allowed };
}

export function runRows(rows: RuleRow[]): void {
  for (const row of rows) {
    it(`${row.match ? "matches" : "does not match"}: ${row.name}`, () => {
      expect(ruleMatches(row.rule, row.request)).toEqual({ asAllow: row.match, asDeny: row.match });
    });
  }
}
