/**
 * The syntax of Envoy header values with `%COMMAND(args)%` substitutions, shared by validation
 * (src/config/schemas) and evaluation (src/policy/header-value.ts) so the two never disagree.
 */

/** Index of the `%` closing a command that starts at `from`, skipping parentheses and quoted strings; -1 if none. */
export function commandEnd(value: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let j = from; j < value.length; j++) {
    const c = value[j];
    if (inString) {
      if (c === "\\") j++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"' && depth > 0) inString = true;
    else if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (c === "%" && depth === 0) return j;
  }
  return -1;
}
