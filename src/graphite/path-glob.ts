/**
 * Graphite path patterns, matched one node at a time as graphite-web's
 * standard finder does (reference §3.1): braces are expanded first
 * (`{a,b}`, empty and nested alternatives), then each variant is matched
 * fnmatch-style (`*`, `?`, `[abc]`, `[a-z]`, `[!a]`). A wildcard never crosses
 * a `.` because the path is split into nodes before anything is matched.
 *
 * A node pattern is compiled once into a small token program; matching is a
 * loop over char codes (no RegExp, so no backtracking blow-up on `*a*a*a*b`),
 * and a node without metacharacters is a plain string comparison.
 */

import { TorusError } from "../timeseries/errors.js";

/** Stable code of a pattern that cannot be compiled (too many brace variants). */
export const PATH_PATTERN_ERROR_CODE = "TORUS_ERR_GRAPHITE_BAD_PATTERN";

/** Most plain patterns one node's braces may expand to: `{a,b}{c,d}…` grows as a product. */
export const MAX_BRACE_VARIANTS = 10_000;

export class PathPatternError extends TorusError {
  declare readonly code: typeof PATH_PATTERN_ERROR_CODE;
  readonly pattern: string;

  constructor(pattern: string, message: string) {
    super(PATH_PATTERN_ERROR_CODE, message, { value: pattern });
    this.name = "PathPatternError";
    this.pattern = pattern;
  }
}

/** Split a dot-separated path into its nodes (`a.b.c` → `["a","b","c"]`). */
export function splitPath(path: string): string[] {
  return path.split(".");
}

/**
 * Whether a node pattern needs matching rather than an exact lookup. The same
 * test as graphite-web's finder (`{`, `[`, `*` or `?` present): a lone `]`
 * or `}` is a literal character.
 */
export function hasWildcard(node: string): boolean {
  for (let i = 0; i < node.length; i++) {
    const c = node.charCodeAt(i);
    if (c === 0x2a || c === 0x3f || c === 0x5b || c === 0x7b) return true;
  }
  return false;
}

/**
 * Expand the braces of one node pattern into plain patterns, as
 * graphite-web's `expand_braces`: the last `{` that has a `}` after it is
 * expanded first, so nested and repeated groups both work; a group without
 * a comma loses its braces (`{a}` → `a`); an unclosed `{` stays a literal.
 * The result is de-duplicated, in first-seen order.
 */
export function expandBraces(pattern: string, limit = MAX_BRACE_VARIANTS): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  // A work list instead of recursion: a pattern of thousands of groups must not overflow the stack.
  const work = [pattern];
  while (work.length > 0) {
    const s = work.pop()!;
    const group = lastGroup(s);
    if (group === null) {
      const plain = s.replaceAll("\\}", "}");
      if (!seen.has(plain)) {
        seen.add(plain);
        out.push(plain);
        if (out.length > limit) throw new PathPatternError(pattern, `path pattern ${JSON.stringify(pattern.slice(0, 120))}: its braces expand to more than ${limit} patterns`);
      }
      continue;
    }
    const [open, close] = group;
    const head = s.slice(0, open);
    const tail = s.slice(close + 1);
    const alternatives = s.slice(open + 1, close).split(",");
    // Pushed in reverse so they are expanded (and listed) left to right.
    for (let k = alternatives.length - 1; k >= 0; k--) work.push(head + alternatives[k] + tail);
    if (work.length > limit * 4) throw new PathPatternError(pattern, `path pattern ${JSON.stringify(pattern.slice(0, 120))}: its braces expand to more than ${limit} patterns`);
  }
  return out;
}

/** The innermost-last `{…}` group: graphite-web's `.*(\{.*?\})`. */
function lastGroup(s: string): [number, number] | null {
  let open = s.lastIndexOf("{");
  while (open >= 0) {
    const close = s.indexOf("}", open + 1);
    if (close >= 0) return [open, close];
    open = open === 0 ? -1 : s.lastIndexOf("{", open - 1);
  }
  return null;
}

// Token program of one plain (brace-free) pattern. Each entry is one of:
const STAR = -1; // any run of characters, including none
const ANY = -2; // exactly one character
// >= 0: a literal char code; an object: a character set.
interface CharSet {
  readonly negate: boolean;
  /** Pairs [lo, hi] of inclusive char-code ranges (a single char is lo === hi). */
  readonly ranges: readonly number[];
}
type Token = number | CharSet;

function inSet(set: CharSet, c: number): boolean {
  const r = set.ranges;
  let hit = false;
  for (let i = 0; i < r.length; i += 2) {
    if (c >= r[i] && c <= r[i + 1]) {
      hit = true;
      break;
    }
  }
  return hit !== set.negate;
}

/**
 * fnmatch's set syntax: `!` first negates; a `]` right after `[` or `[!` is a
 * member; `a-z` is a range (a reversed range matches nothing, as Python ≥ 3.9);
 * `-` first or last is literal; `^` is an ordinary member; a `[` with no
 * closing `]` is a literal `[`.
 */
function parseSet(p: string, i: number): [CharSet, number] | null {
  let j = i;
  if (j < p.length && p[j] === "!") j++;
  if (j < p.length && p[j] === "]") j++;
  while (j < p.length && p[j] !== "]") j++;
  if (j >= p.length) return null;
  let body = p.slice(i, j);
  let negate = false;
  if (body[0] === "!") {
    negate = true;
    body = body.slice(1);
  }
  const ranges: number[] = [];
  const cps = Array.from(body, (ch) => ch.codePointAt(0)!); // by code point, as Python
  for (let k = 0; k < cps.length; k++) {
    const lo = cps[k];
    if (k + 2 < cps.length && cps[k + 1] === 0x2d) {
      const hi = cps[k + 2];
      if (lo <= hi) ranges.push(lo, hi);
      k += 2;
    } else {
      ranges.push(lo, lo);
    }
  }
  return [{ negate, ranges }, j + 1];
}

function compileTokens(p: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < p.length; ) {
    const ch = p[i];
    if (ch === "*") {
      // `**` within one node is the same as `*`; keeping one keeps matching linear.
      if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
      i++;
    } else if (ch === "?") {
      tokens.push(ANY);
      i++;
    } else if (ch === "[") {
      const set = parseSet(p, i + 1);
      if (set === null) {
        tokens.push(0x5b);
        i++;
      } else {
        tokens.push(set[0]);
        i = set[1];
      }
    } else {
      const cp = p.codePointAt(i)!;
      tokens.push(cp);
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return tokens;
}

function tokenMatches(t: Token, c: number): boolean {
  return typeof t === "number" ? t === ANY || t === c : inSet(t, c);
}

/**
 * Glob match with one remembered star: on a mismatch, go back to the last `*`
 * and let it take one more character. Worst case O(pattern × name), never
 * exponential. Characters are code points (`?` takes a whole emoji), as in
 * Python.
 */
function matchTokens(tokens: readonly Token[], s: string): boolean {
  let ti = 0;
  let si = 0;
  let starTi = -1;
  let starSi = 0;
  while (si < s.length) {
    if (ti < tokens.length) {
      const t = tokens[ti];
      if (t === STAR) {
        starTi = ti++;
        starSi = si;
        continue;
      }
      const c = s.codePointAt(si)!;
      if (tokenMatches(t, c)) {
        ti++;
        si += c > 0xffff ? 2 : 1;
        continue;
      }
    }
    if (starTi < 0) return false;
    ti = starTi + 1;
    starSi += s.codePointAt(starSi)! > 0xffff ? 2 : 1;
    si = starSi;
  }
  while (ti < tokens.length && tokens[ti] === STAR) ti++;
  return ti === tokens.length;
}

/** One brace-free alternative of a node pattern. */
export interface NodeVariant {
  /** The plain pattern (after brace expansion). */
  readonly source: string;
  /** Literal text every match starts with: lets a sorted child list be searched by range. */
  readonly prefix: string;
  /** True when the variant has no wildcard: it matches exactly `source`. */
  readonly literal: boolean;
  test(name: string): boolean;
}

/** A compiled pattern for one path node. */
export interface NodePattern {
  readonly source: string;
  readonly variants: readonly NodeVariant[];
  /** When every variant is literal: the exact names, sorted and unique (lookup instead of scan). */
  readonly exact: readonly string[] | null;
  /** True when the pattern matches every node (`*`). */
  readonly matchesAll: boolean;
  test(name: string): boolean;
}

function compileVariant(source: string): NodeVariant {
  if (!/[*?[]/.test(source)) return { source, prefix: source, literal: true, test: (name) => name === source };
  const tokens = compileTokens(source);
  let prefixEnd = 0;
  let prefixUnits = 0;
  while (prefixEnd < tokens.length && typeof tokens[prefixEnd] === "number" && (tokens[prefixEnd] as number) >= 0) {
    prefixUnits += (tokens[prefixEnd] as number) > 0xffff ? 2 : 1;
    prefixEnd++;
  }
  // Before the first wildcard every token is one source character, so the prefix is a slice.
  const prefix = source.slice(0, prefixUnits);
  if (tokens.length === prefixEnd + 1 && tokens[prefixEnd] === STAR) {
    // `abc*`: the commonest wildcard (Grafana's type-ahead sends `*abc*`, browsing sends `*`).
    return { source, prefix, literal: false, test: prefix === "" ? () => true : (name) => name.startsWith(prefix) };
  }
  return { source, prefix, literal: false, test: (name) => matchTokens(tokens, name) };
}

/**
 * Compile one node pattern (no `.`) into a matcher. Compile once per query
 * node, then test it against as many names as needed.
 */
export function compileNodePattern(pattern: string, maxVariants = MAX_BRACE_VARIANTS): NodePattern {
  if (!hasWildcard(pattern)) {
    const v = compileVariant(pattern);
    return { source: pattern, variants: [v], exact: [pattern], matchesAll: false, test: v.test };
  }
  const variants = expandBraces(pattern, maxVariants).map(compileVariant);
  const allLiteral = variants.every((v) => v.literal);
  const exact = allLiteral ? [...new Set(variants.map((v) => v.source))].sort(compareNames) : null;
  const matchesAll = variants.some((v) => v.source === "*" || v.source === "**");
  let test: (name: string) => boolean;
  if (matchesAll) test = () => true;
  else if (variants.length === 1) test = variants[0].test;
  else if (exact !== null) {
    const set = new Set(exact);
    test = (name) => set.has(name);
  } else test = (name) => variants.some((v) => v.test(name));
  return { source: pattern, variants, exact, matchesAll, test };
}

/** A compiled whole-path pattern: one node pattern per level. */
export interface PathPattern {
  readonly source: string;
  readonly nodes: readonly NodePattern[];
  /** True when `path` has as many nodes as the pattern and every node matches. */
  test(path: string): boolean;
}

/**
 * Compile a full path pattern. As graphite-web's finder, backslashes are
 * dropped first (they only protected characters from the target parser).
 */
export function compilePathPattern(pattern: string, maxVariants = MAX_BRACE_VARIANTS): PathPattern {
  const clean = pattern.replaceAll("\\", "");
  const nodes = splitPath(clean).map((n) => compileNodePattern(n, maxVariants));
  return {
    source: pattern,
    nodes,
    test(path: string): boolean {
      const parts = splitPath(path);
      if (parts.length !== nodes.length) return false;
      for (let i = 0; i < parts.length; i++) if (!nodes[i].test(parts[i])) return false;
      return true;
    },
  };
}

/**
 * The order names are sorted in: plain `<` (UTF-16 code units). Python sorts
 * by code point; the two differ only between characters above U+FFFF and
 * those from U+E000 to U+FFFF.
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
