/**
 * Finds the first matching route of a virtual host without scanning every route (DESIGN §5). Routes
 * are bucketed by their uri: exact paths in a map, prefixes in a character trie walked once along the
 * request path, and regexes in the same trie under the literal text every full match must start with
 * (`/api/v[0-9]+` under `/api/v`; a regex with no such text sits at the root). The candidate lists
 * are merged in route order and checked one by one, so the answer is always the first route that
 * matches — the same as a linear scan, which the property tests check.
 */
import type { Route } from "../config/snapshot.js";
import { describeMatch } from "./match-description.js";
import { asciiLower, type RequestView } from "./request-view.js";
import { compilePathMatch, compileRestMatch, type Predicate, type RegexCache } from "./route-matcher.js";

interface TrieNode {
  next?: Map<number, TrieNode>;
  /** Routes whose prefix ends here, ascending. */
  routes?: number[];
}

export interface CompiledRoute<R = unknown> {
  route: Route;
  /** What the caller hydrated for this route once per snapshot (see buildRouter). */
  runtime: R;
  /** The winning match block in words, for explain (built once). */
  description: string;
  /** The full uri condition. */
  path: Predicate;
  /** Whether being found in the index does not settle the uri (regexes). */
  needsPath: boolean;
  /** Every other condition; undefined when there is none. */
  rest: Predicate | undefined;
}

export class RouteIndex<R = unknown> {
  readonly routes: CompiledRoute<R>[];
  private readonly exact = new Map<string, number[]>();
  private readonly exactCI = new Map<string, number[]>();
  private readonly trie: TrieNode = {};
  private readonly trieCI: TrieNode = {};
  private hasTrieCI = false;

  constructor(routes: readonly Route[], regexes: RegexCache, hydrate: (route: Route) => R) {
    this.routes = routes.map((route) => ({
      route,
      runtime: hydrate(route),
      description: describeMatch(route.match),
      path: compilePathMatch(route.match, regexes),
      needsPath: route.match.uri?.regex !== undefined || (route.match.pathSeparatedPrefix === true && route.match.uri?.prefix !== undefined && route.match.uri.prefix !== "/"),
      rest: compileRestMatch(route.match, regexes),
    }));
    routes.forEach((route, i) => this.insert(route, i));
  }

  private insert(route: Route, i: number): void {
    const uri = route.match.uri;
    const ci = route.match.ignoreUriCase === true;
    if (!uri) return addTo(trieNode(this.trie, "/"), i);
    if (uri.exact !== undefined) {
      const map = ci ? this.exactCI : this.exact;
      const key = ci ? asciiLower(uri.exact) : uri.exact;
      const list = map.get(key);
      if (list) list.push(i);
      else map.set(key, [i]);
      return;
    }
    if (uri.prefix !== undefined) {
      if (ci) {
        this.hasTrieCI = true;
        return addTo(trieNode(this.trieCI, asciiLower(uri.prefix)), i);
      }
      return addTo(trieNode(this.trie, uri.prefix), i);
    }
    if (uri.regex !== undefined) return addTo(trieNode(this.trie, regexLiteralPrefix(uri.regex)), i);
  }

  /** Index of the first route that matches, or -1. */
  find(req: RequestView): number {
    const lists: number[][] = [];
    const e = this.exact.get(req.path);
    if (e) lists.push(e);
    if (this.exactCI.size > 0) {
      const ec = this.exactCI.get(req.lowerPath);
      if (ec) lists.push(ec);
    }
    walk(this.trie, req.path, lists);
    if (this.hasTrieCI) walk(this.trieCI, req.lowerPath, lists);

    const routes = this.routes;
    if (lists.length === 1) {
      const only = lists[0]!;
      for (let j = 0; j < only.length; j++) {
        const idx = only[j]!;
        if (accepts(routes[idx]!, req)) return idx;
      }
      return -1;
    }
    // k-way merge by route order; k is small (exact + a few trie nodes + scan list).
    const cursors = new Array<number>(lists.length).fill(0);
    for (;;) {
      let best = -1;
      let bestIdx = Number.MAX_SAFE_INTEGER;
      for (let k = 0; k < lists.length; k++) {
        const list = lists[k]!;
        const c = cursors[k]!;
        if (c < list.length && list[c]! < bestIdx) {
          bestIdx = list[c]!;
          best = k;
        }
      }
      if (best < 0) return -1;
      cursors[best]!++;
      if (accepts(routes[bestIdx]!, req)) return bestIdx;
    }
  }
}

function accepts(r: CompiledRoute, req: RequestView): boolean {
  if (r.needsPath && !r.path(req)) return false;
  return r.rest === undefined || r.rest(req);
}

const REGEX_META = "\\^$.|?*+()[]{}";

/**
 * The literal text every full match of an RE2 pattern starts with, conservatively: nothing when the
 * pattern has an alternation anywhere or starts with a group/flags; a literal followed by `*`, `?` or
 * `{` is optional, so it ends the prefix (a `+` keeps one).
 */
export function regexLiteralPrefix(pattern: string): string {
  if (pattern.includes("|")) return "";
  let out = "";
  let i = pattern.startsWith("^") ? 1 : 0;
  while (i < pattern.length) {
    let ch = pattern[i]!;
    let width = 1;
    if (ch === "\\") {
      const next = pattern[i + 1];
      if (next === undefined || /[0-9A-Za-z]/.test(next)) break; // \d, \b, \pL, \Q...: not a literal
      ch = next;
      width = 2;
    } else if (REGEX_META.includes(ch)) break;
    const after = pattern[i + width];
    if (after === "*" || after === "?" || after === "{") break;
    out += ch;
    if (after === "+") break;
    i += width;
  }
  return out;
}

function trieNode(root: TrieNode, prefix: string): TrieNode {
  let node = root;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    node.next ??= new Map();
    let n = node.next.get(c);
    if (!n) {
      n = {};
      node.next.set(c, n);
    }
    node = n;
  }
  return node;
}

function addTo(node: TrieNode, i: number): void {
  (node.routes ??= []).push(i);
}

/** Collects the route lists of every trie node on `path` (every prefix of it that is a route prefix). */
function walk(root: TrieNode, path: string, lists: number[][]): void {
  let node: TrieNode | undefined = root;
  if (node.routes) lists.push(node.routes);
  for (let i = 0; i < path.length; i++) {
    node = node.next?.get(path.charCodeAt(i));
    if (!node) return;
    if (node.routes) lists.push(node.routes);
  }
}
