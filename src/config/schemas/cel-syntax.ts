/**
 * CEL syntax check for Telemetry `accessLogging[].filter.expression`. Istio's webhook parses the filter
 * with cel-go and refuses what does not parse; this is a recursive-descent reading of the CEL grammar
 * (cel-spec `CEL.g4`) that answers the same question without evaluating anything. Macro argument
 * shapes and types are not checked (cel-go does not check types at admission either).
 */

type Tok = { t: string; v: string; at: number };

const RESERVED = new Set([
  "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop",
  "package", "namespace", "return", "var", "void", "while",
]);
const PUNCT = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}"];
const MAX_DEPTH = 250;

class CelSyntaxError extends Error {}

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new CelSyntaxError(`${msg} at offset ${i}`);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (src.startsWith("//", i)) { while (i < src.length && src[i] !== "\n") i++; continue; }
    const at = i;
    // String and bytes literals, with optional r/b prefixes.
    const pre = /^(?:[rR][bB]?|[bB][rR]?)?(?=["'])/.exec(src.slice(i, i + 3));
    if (pre) {
      const raw = /[rR]/.test(pre[0]);
      i += pre[0].length;
      const q = src[i]!;
      const triple = src.startsWith(q.repeat(3), i);
      const close = triple ? q.repeat(3) : q;
      i += close.length;
      for (;;) {
        if (i >= src.length) fail("unterminated string literal");
        if (src.startsWith(close, i)) { i += close.length; break; }
        const ch = src[i]!;
        if (!triple && (ch === "\n" || ch === "\r")) fail("newline in string literal");
        if (ch === "\\" && !raw) {
          const e = src[i + 1] ?? "";
          if ("abfnrtv\\?\"'`".includes(e) && e !== "") i += 2;
          else if (/^[xX][0-9a-fA-F]{2}/.test(src.slice(i + 1, i + 4))) i += 4;
          else if (/^u[0-9a-fA-F]{4}/.test(src.slice(i + 1, i + 6))) i += 6;
          else if (/^U[0-9a-fA-F]{8}/.test(src.slice(i + 1, i + 10))) i += 10;
          else if (/^[0-3][0-7]{2}/.test(src.slice(i + 1, i + 4))) i += 4;
          else fail(`invalid escape sequence \\${e}`);
          continue;
        }
        i++;
      }
      out.push({ t: "lit", v: src.slice(at, i), at });
      continue;
    }
    const num = /^(?:0[xX][0-9a-fA-F]+[uU]?|[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|[0-9]+[uU]?)/.exec(src.slice(i));
    if (num && (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? "")))) {
      i += num[0].length;
      if (/[A-Za-z_0-9.]/.test(src[i] ?? "")) fail(`malformed number ${JSON.stringify(src.slice(at, i + 1))}`);
      out.push({ t: "lit", v: num[0], at });
      continue;
    }
    const id = /^[_a-zA-Z][_a-zA-Z0-9]*/.exec(src.slice(i));
    if (id) {
      i += id[0].length;
      const w = id[0];
      if (w === "true" || w === "false" || w === "null") out.push({ t: "lit", v: w, at });
      else if (w === "in") out.push({ t: "in", v: w, at });
      else if (RESERVED.has(w)) fail(`reserved word ${JSON.stringify(w)}`);
      else out.push({ t: "id", v: w, at });
      continue;
    }
    const p = PUNCT.find((s) => src.startsWith(s, i));
    if (!p) fail(`unexpected character ${JSON.stringify(c)}`);
    i += p!.length;
    out.push({ t: p!, v: p!, at });
  }
  out.push({ t: "eof", v: "", at: src.length });
  return out;
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.pos]!;
  }
  private is(t: string): boolean {
    return this.peek().t === t;
  }
  private take(t: string): boolean {
    if (!this.is(t)) return false;
    this.pos++;
    return true;
  }
  private expect(t: string): void {
    if (!this.take(t)) this.fail(`expected ${JSON.stringify(t)}`);
  }
  fail(msg: string): never {
    const tok = this.peek();
    throw new CelSyntaxError(`${msg}, found ${tok.t === "eof" ? "end of input" : JSON.stringify(tok.v)} at offset ${tok.at}`);
  }

  parse(): void {
    this.expr();
    if (!this.is("eof")) this.fail("unexpected token");
  }

  private expr(): void {
    if (++this.depth > MAX_DEPTH) this.fail("expression nests too deeply");
    this.binary(0);
    if (this.take("?")) {
      this.binary(0);
      this.expect(":");
      this.expr();
    }
    this.depth--;
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [
    ["||"], ["&&"], ["<", "<=", ">", ">=", "==", "!=", "in"], ["+", "-"], ["*", "/", "%"],
  ];

  private binary(level: number): void {
    const ops = Parser.LEVELS[level];
    if (!ops) return this.unary();
    this.binary(level + 1);
    while (ops.includes(this.peek().t)) {
      this.pos++;
      this.binary(level + 1);
    }
  }

  private unary(): void {
    if (this.is("!") || this.is("-")) {
      while (this.take("!") || this.take("-"));
    }
    this.member();
  }

  private member(): void {
    let chain = this.primary();
    for (;;) {
      if (this.take(".")) {
        if (!this.is("id")) this.fail("expected a field name after '.'");
        this.pos++;
        if (this.take("(")) {
          this.list(")");
          chain = false;
        } else if (chain && this.is("{")) {
          this.messageInit();
          chain = false;
        }
      } else if (this.take("[")) {
        this.expr();
        this.expect("]");
        chain = false;
      } else return;
    }
  }

  /** Returns whether what was read is a plain (possibly qualified) name, which may start a message literal. */
  private primary(): boolean {
    const tok = this.peek();
    if (tok.t === "lit") {
      this.pos++;
      return false;
    }
    if (tok.t === "." || tok.t === "id") {
      this.take(".");
      if (!this.is("id")) this.fail("expected an identifier");
      this.pos++;
      if (this.take("(")) {
        this.list(")");
        return false;
      }
      if (this.is("{")) {
        this.messageInit();
        return false;
      }
      return true;
    }
    if (this.take("(")) {
      this.expr();
      this.expect(")");
      return false;
    }
    if (this.take("[")) {
      this.list("]");
      return false;
    }
    if (this.take("{")) {
      while (!this.take("}")) {
        this.expr();
        this.expect(":");
        this.expr();
        if (!this.take(",")) {
          this.expect("}");
          break;
        }
      }
      return false;
    }
    this.fail("expected an expression");
  }

  /** `expr, expr, ...` with an optional trailing comma, up to `close`. */
  private list(close: string): void {
    while (!this.take(close)) {
      this.expr();
      if (!this.take(",")) {
        this.expect(close);
        break;
      }
    }
  }

  private messageInit(): void {
    this.expect("{");
    while (!this.take("}")) {
      if (!this.is("id")) this.fail("expected a field name");
      this.pos++;
      this.expect(":");
      this.expr();
      if (!this.take(",")) {
        this.expect("}");
        break;
      }
    }
  }
}

/** Why `source` is not a syntactically valid CEL expression, or undefined when it is. */
export function celSyntaxError(source: string): string | undefined {
  try {
    new Parser(tokenize(source)).parse();
    return undefined;
  } catch (e) {
    if (e instanceof CelSyntaxError) return e.message;
    if (e instanceof RangeError) return "expression nests too deeply";
    throw e;
  }
}
