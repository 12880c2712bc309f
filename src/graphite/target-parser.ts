/**
 * The Graphite `target=` grammar (reference §4), as graphite-web 1.1.10's
 * pyparsing grammar reads it, parsed by hand into a typed AST.
 *
 *     target  := ws expr ws
 *     expr    := (template | call | path) (ws "|" ws call)*      a|f(x) is f(a,x)
 *     call    := name ws "(" ws [arg (ws "," ws arg)*] ws ")"   positional before keyword, no trailing comma
 *     arg     := [name ws "=" ws] value
 *     value   := boolean | number | none | string | inf | expr
 *     path    := node ("." node)*
 *     node    := (char | "\" special | "{" alt ("," alt)* "}")+
 *
 * Where graphite-web is silently lenient we are strict: it stops at the first
 * character it cannot read and evaluates the prefix (`sumSeries(a.b` becomes
 * the path `sumSeries`, which matches nothing); we answer with an error that
 * points at that character (reference §1.8 allows this). Where it is needlessly
 * strict we accept more: a brace group may be empty (`{,x}`) or nest, as the
 * `find` matcher already allows. A repeated keyword argument is an error
 * (graphite-web keeps the last one without a word). Non-ASCII characters are
 * path characters (graphite-web's `UTF8_METRICS`), since Torus names may
 * hold any Unicode.
 */

import { TorusError } from "../timeseries/errors.js";

/** Stable error codes of the target parser. */
export const TargetErrorCodes = {
  BAD_TARGET: "TORUS_ERR_GRAPHITE_BAD_TARGET",
  TARGET_TOO_LONG: "TORUS_ERR_GRAPHITE_TARGET_TOO_LONG",
  TARGET_TOO_DEEP: "TORUS_ERR_GRAPHITE_TARGET_TOO_DEEP",
} as const;

export type TargetErrorCode = (typeof TargetErrorCodes)[keyof typeof TargetErrorCodes];

/** Longest target parsed at all; checked before the first character is read. */
export const DEFAULT_MAX_TARGET_LENGTH = 64 * 1024;
/** Deepest nesting of calls and brace groups: recursion stays far from the stack limit. */
export const DEFAULT_MAX_TARGET_DEPTH = 100;

interface Span {
  /** Offset of the node's first character in the target (0-based). */
  readonly start: number;
  /** Offset just past the node's last character. */
  readonly end: number;
}

/** `f(args, kw=value)`. Piped calls (`a|f(x)`) come out as `f(a, x)`. */
export interface CallNode extends Span {
  readonly kind: "call";
  readonly name: string;
  readonly args: readonly TargetNode[];
  /** Keyword arguments by name (a prototype-free object: `__proto__` is a valid argument name). */
  readonly kwargs: Readonly<Record<string, TargetNode>>;
}

/**
 * A path expression. `text` is graphite-web's value: escapes are resolved
 * (`a\(b` is `a(b`) and brace groups are kept as written (`web{1,2}`).
 */
export interface PathNode extends Span {
  readonly kind: "path";
  readonly text: string;
}

/**
 * A quoted string. As graphite-web, the value is the text between the quotes
 * taken raw: backslash escapes and doubled quotes are kept as written.
 */
export interface StringNode extends Span {
  readonly kind: "string";
  readonly value: string;
  readonly quote: "'" | '"';
}

/** An int (`-3`), float (`2.5`), scientific number (`1e6`, `2.5E-3`) or `inf`. */
export interface NumberNode extends Span {
  readonly kind: "number";
  readonly value: number;
  /** True for an int literal: graphite-web passes a Python int, which some names print differently. */
  readonly integer: boolean;
  /** The literal as written (a huge int keeps its digits here). */
  readonly raw: string;
}

export interface BooleanNode extends Span {
  readonly kind: "boolean";
  readonly value: boolean;
}

export interface NoneNode extends Span {
  readonly kind: "none";
}

/** What a whole target (or a series argument) is. */
export type ExpressionNode = CallNode | PathNode;
/** Any argument value. */
export type TargetNode = ExpressionNode | StringNode | NumberNode | BooleanNode | NoneNode;

export interface ParseTargetOptions {
  /** Longest target accepted (default 64 KiB). */
  maxLength?: number;
  /** Deepest nesting of calls and brace groups accepted (default 100). */
  maxDepth?: number;
}

/**
 * A target that cannot be parsed. `position` is the 0-based offset of the
 * first character that could not be read; the message quotes the target (a
 * window of it when long) with a caret under that character.
 */
export class TargetSyntaxError extends TorusError {
  declare readonly code: TargetErrorCode;
  readonly position: number;
  readonly target: string;
  /** The one-line reason, without the quoted target. */
  override readonly reason: string;

  constructor(code: TargetErrorCode, target: string, position: number, reason: string) {
    super(code, `bad target: ${reason} at position ${position}\n${pointAt(target, position)}`, { field: "target" });
    this.name = "TargetSyntaxError";
    this.target = target;
    this.position = position;
    this.reason = reason;
  }
}

const WINDOW = 60;

/** The target as a JSON string (so control characters cannot break the line) and a caret line under `position`. */
function pointAt(target: string, position: number): string {
  const from = Math.max(0, position - WINDOW);
  const to = Math.min(target.length, position + WINDOW);
  const head = from > 0 ? "…" : "";
  const quoted = head + JSON.stringify(target.slice(from, to)) + (to < target.length ? "…" : "");
  const column = head.length + JSON.stringify(target.slice(from, position)).length - 1;
  return `  ${quoted}\n  ${" ".repeat(column)}^`;
}

// Character classes, as graphite-web's grammar defines them (ASCII printables).
const PATH_CHAR = new Uint8Array(128);
for (let c = 33; c <= 126; c++) PATH_CHAR[c] = 1;
for (const ch of "(){},.'\"\\|") PATH_CHAR[ch.charCodeAt(0)] = 0;
/** Characters a backslash may protect inside a path. */
const ESCAPABLE = "(){},.'\"\\|=";
const IDENT_START = /[A-Za-z_]/;
const IDENT_REST = /[A-Za-z0-9_]/;
/** pyparsing's CaselessKeyword must not be followed by one of these. */
const KEYWORD_CHAR = /[A-Za-z0-9_$]/;
const NUMBER = /-?\d+(\.\d+)?([eE]-?\d+)?/y;

const isWs = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r";
/**
 * A character allowed in a path node. Beyond ASCII, any character but
 * whitespace and C1 controls: Torus names may hold any Unicode (SPEC §2), so
 * this is graphite-web's grammar with its `UTF8_METRICS` setting on.
 */
const isPathChar = (c: string | undefined): boolean => {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 128) return PATH_CHAR[code] === 1;
  return code > 0x9f && !/\s/.test(c);
};

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
  ) {}

  parse(): ExpressionNode {
    this.skipWs();
    if (this.pos >= this.s.length) throw this.fail(this.s.trim() === "" ? "empty target" : "expected a path or a function call");
    const expr = this.expression();
    this.skipWs();
    if (this.pos < this.s.length) throw this.fail(`unexpected ${this.describe(this.pos)}`);
    return expr;
  }

  private fail(reason: string, at = this.pos, code: TargetErrorCode = TargetErrorCodes.BAD_TARGET): TargetSyntaxError {
    return new TargetSyntaxError(code, this.s, at, reason);
  }

  private describe(at: number): string {
    return at >= this.s.length ? "end of target" : JSON.stringify(this.s[at]);
  }

  private skipWs(): void {
    while (isWs(this.s[this.pos])) this.pos++;
  }

  private enter(at: number): void {
    if (++this.depth > this.maxDepth) throw this.fail(`nested more than ${this.maxDepth} levels deep`, at, TargetErrorCodes.TARGET_TOO_DEEP);
  }

  /** An identifier starting at `at`, or "" when there is none. */
  private identAt(at: number): string {
    if (!IDENT_START.test(this.s[at] ?? "")) return "";
    let end = at + 1;
    while (end < this.s.length && IDENT_REST.test(this.s[end])) end++;
    return this.s.slice(at, end);
  }

  private wsAfter(at: number): number {
    while (isWs(this.s[at])) at++;
    return at;
  }

  /**
   * `expr` with its pipes: each `|f(x)` wraps what came before as the first
   * argument. Each pipe counts as a level of nesting, since that is what it
   * adds to the AST that later stages walk recursively.
   */
  private expression(): ExpressionNode {
    let expr = this.base();
    let pipes = 0;
    for (;;) {
      const save = this.pos;
      this.skipWs();
      if (this.s[this.pos] !== "|") {
        this.pos = save;
        this.depth -= pipes;
        return expr;
      }
      this.pos++;
      this.skipWs();
      const at = this.pos;
      const name = this.identAt(at);
      if (name === "" || this.s[this.wsAfter(at + name.length)] !== "(") throw this.fail('expected a function call after "|"');
      this.pos = this.wsAfter(at + name.length);
      const call = this.callRest(name, at);
      this.enter(at);
      pipes++;
      expr = { kind: "call", name: call.name, args: [expr, ...call.args], kwargs: call.kwargs, start: expr.start, end: call.end };
    }
  }

  /** A call, a template or a path, without pipes. */
  private base(): ExpressionNode {
    const at = this.pos;
    const name = this.identAt(at);
    if (name !== "") {
      const paren = this.wsAfter(at + name.length);
      if (this.s[paren] === "(") {
        this.pos = paren;
        return name === "template" ? this.template(at) : this.callRest(name, at);
      }
    }
    return this.path();
  }

  /** After the name, at "(": the argument list and the ")". */
  private callRest(name: string, start: number): CallNode {
    this.enter(start);
    this.pos++; // "("
    const args: TargetNode[] = [];
    const kwargs: Record<string, TargetNode> = Object.create(null);
    let sawKeyword = false;
    this.skipWs();
    if (this.s[this.pos] !== ")") {
      for (;;) {
        const argAt = this.pos;
        const keyword = this.keywordName();
        if (keyword !== null) {
          if (Object.hasOwn(kwargs, keyword)) throw this.fail(`keyword argument ${JSON.stringify(keyword)} given twice`, argAt);
          kwargs[keyword] = this.value();
          sawKeyword = true;
        } else {
          if (sawKeyword) throw this.fail("positional argument after a keyword argument", argAt);
          args.push(this.value());
        }
        this.skipWs();
        const c = this.s[this.pos];
        if (c === ")") break;
        if (c !== ",") throw this.fail(`expected "," or ")" after an argument of ${name}(), found ${this.describe(this.pos)}`);
        this.pos++;
        this.skipWs();
        if (this.s[this.pos] === ")") throw this.fail(`expected an argument after "," (graphite-web allows no trailing comma)`);
      }
    }
    this.pos++; // ")"
    this.depth--;
    return { kind: "call", name, args, kwargs, start, end: this.pos };
  }

  /**
   * `name=` before a value makes a keyword argument. As graphite-web, `a=`
   * followed by something no value can start with is instead read as a path
   * (`=` is a path character): `f(a=)` passes the path "a=".
   */
  private keywordName(): string | null {
    const name = this.identAt(this.pos);
    if (name === "") return null;
    const eq = this.wsAfter(this.pos + name.length);
    if (this.s[eq] !== "=") return null;
    const valueAt = this.wsAfter(eq + 1);
    const c = this.s[valueAt];
    if (!(isPathChar(c) || c === "{" || c === "\\" || c === "'" || c === '"')) return null;
    this.pos = valueAt;
    return name;
  }

  /** One argument value, tried in graphite-web's order: boolean, number, None, string, inf, expression. */
  private value(): TargetNode {
    const at = this.pos;
    const c = this.s[at];
    if (c === undefined) throw this.fail("expected an argument, found end of target");
    const word = this.keywordAt(at);
    if (word === "true" || word === "false") {
      this.pos += word.length;
      return { kind: "boolean", value: word === "true", start: at, end: this.pos };
    }
    const number = this.numberAt(at);
    if (number !== null) return number;
    if (word === "none") {
      this.pos += 4;
      return { kind: "none", start: at, end: this.pos };
    }
    if (c === "'" || c === '"') return this.string();
    if (word === "inf") {
      this.pos += 3;
      return { kind: "number", value: Infinity, integer: false, raw: this.s.slice(at, this.pos), start: at, end: this.pos };
    }
    return this.expression();
  }

  /** A caseless keyword (true, false, none, inf) at `at`, lower-cased, or "". */
  private keywordAt(at: number): string {
    for (const word of ["true", "false", "none", "inf"]) {
      if (this.s.slice(at, at + word.length).toLowerCase() === word && !KEYWORD_CHAR.test(this.s[at + word.length] ?? "")) return word;
    }
    return "";
  }

  /** A number counts only when `,`, `)` or the end follows it; `1a` and `1.5.x` are paths. */
  private numberAt(at: number): NumberNode | null {
    NUMBER.lastIndex = at;
    const m = NUMBER.exec(this.s);
    if (m === null) return null;
    const end = at + m[0].length;
    const next = this.s[this.wsAfter(end)];
    if (next !== undefined && next !== "," && next !== ")") return null;
    this.pos = end;
    const integer = m[1] === undefined && m[2] === undefined;
    // `+ 0` turns the int -0 into 0, as Python's int("-0").
    const value = integer ? Number(m[0]) + 0 : Number(m[0]);
    return { kind: "number", value, integer, raw: m[0], start: at, end };
  }

  /**
   * A quoted string, as pyparsing's quotedString: no raw line breaks; a
   * backslash escapes the next character (`\x` needs hex digits); a doubled
   * quote stands for itself. The value keeps all of it as written.
   */
  private string(): StringNode {
    const start = this.pos;
    const q = this.s[start] as "'" | '"';
    let i = start + 1;
    for (;;) {
      const c = this.s[i];
      if (c === undefined) throw this.fail(`unterminated string (no closing ${q})`, start);
      if (c === "\n" || c === "\r") throw this.fail("line break inside a string", i);
      if (c === "\\") {
        const n = this.s[i + 1];
        if (n === undefined) throw this.fail(`unterminated string (no closing ${q})`, start);
        if (n === "x") {
          let j = i + 2;
          while (/[0-9a-fA-F]/.test(this.s[j] ?? "")) j++;
          if (j === i + 2) throw this.fail("\\x in a string needs hex digits", i);
          i = j;
        } else i += 2;
        continue;
      }
      if (c === q) {
        if (this.s[i + 1] === q) {
          i += 2;
          continue;
        }
        break;
      }
      i++;
    }
    this.pos = i + 1;
    return { kind: "string", value: this.s.slice(start + 1, i), quote: q, start, end: this.pos };
  }

  /** `template(expr[, literals | name=literal...])`: values for `$name`/`$1` in the expression. */
  private template(start: number): CallNode {
    this.enter(start);
    this.pos++; // "("
    this.skipWs();
    if (this.s[this.pos] === ")") throw this.fail("template() needs a path or a call");
    const args: TargetNode[] = [this.base()];
    const kwargs: Record<string, TargetNode> = Object.create(null);
    this.skipWs();
    let mode: "positional" | "keyword" | null = null;
    while (this.s[this.pos] === ",") {
      this.pos++;
      this.skipWs();
      const argAt = this.pos;
      const keyword = this.keywordName();
      const thisMode = keyword === null ? "positional" : "keyword";
      if (mode !== null && mode !== thisMode) throw this.fail("template() takes either positional or keyword values, not both", argAt);
      mode = thisMode;
      const valueAt = this.pos;
      const value = this.s[valueAt] === "'" || this.s[valueAt] === '"' ? this.string() : this.numberAt(valueAt);
      if (value === null) throw this.fail("template() values must be strings or numbers", valueAt);
      if (keyword === null) args.push(value);
      else {
        if (Object.hasOwn(kwargs, keyword)) throw this.fail(`keyword argument ${JSON.stringify(keyword)} given twice`, argAt);
        kwargs[keyword] = value;
      }
      this.skipWs();
    }
    if (this.s[this.pos] !== ")") throw this.fail(`expected "," or ")" in template(), found ${this.describe(this.pos)}`);
    this.pos++;
    this.depth--;
    return { kind: "call", name: "template", args, kwargs, start, end: this.pos };
  }

  /** A path expression: nodes separated by "." (no spaces inside). */
  private path(): PathNode {
    const start = this.pos;
    let text = "";
    for (;;) {
      const node = this.pathNode(false);
      if (node === "") {
        throw this.fail(this.pos === start ? `expected a path or a function call, found ${this.describe(this.pos)}` : "empty path node");
      }
      text += node;
      if (this.s[this.pos] !== ".") break;
      this.pos++;
      text += ".";
    }
    return { kind: "path", text, start, end: this.pos };
  }

  /** One node's text (escapes resolved, braces kept); inside braces "," and "}" end it. */
  private pathNode(inBraces: boolean): string {
    let text = "";
    for (;;) {
      const c = this.s[this.pos];
      if (isPathChar(c)) {
        text += c;
        this.pos++;
      } else if (c === "\\") {
        const n = this.s[this.pos + 1];
        if (n === undefined || !ESCAPABLE.includes(n)) throw this.fail(`a backslash in a path must be followed by one of ${ESCAPABLE}`);
        text += n;
        this.pos += 2;
      } else if (c === "{") {
        text += this.braces();
      } else {
        return text;
      }
      if (inBraces && (this.s[this.pos] === "," || this.s[this.pos] === "}")) return text;
    }
  }

  /** `{a,b,…}` with possibly empty or nested alternatives, kept as written. */
  private braces(): string {
    const open = this.pos;
    this.enter(open);
    this.pos++;
    let text = "{";
    for (;;) {
      const c = this.s[this.pos];
      if (c === "}") break;
      if (c === ".") throw this.fail('"." inside a brace group (braces apply within one path node)');
      if (c === ",") {
        text += ",";
        this.pos++;
        continue;
      }
      const before = this.pos;
      text += this.pathNode(true);
      if (this.pos === before) throw this.fail(`unclosed "{" (opened at position ${open})`, this.pos);
    }
    this.pos++;
    this.depth--;
    return text + "}";
  }
}

/**
 * Parse one `target=` value into its AST.
 *
 * @throws TargetSyntaxError on anything graphite-web would not read in full,
 *   on a target longer than `maxLength`, or nested deeper than `maxDepth`.
 */
export function parseTarget(target: string, options: ParseTargetOptions = {}): ExpressionNode {
  const maxLength = options.maxLength ?? DEFAULT_MAX_TARGET_LENGTH;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_TARGET_DEPTH;
  if (target.length > maxLength) {
    // Only the head is quoted: the message must stay small whatever was sent.
    throw new TargetSyntaxError(TargetErrorCodes.TARGET_TOO_LONG, target.slice(0, WINDOW), WINDOW, `target is ${target.length} characters long; the limit is ${maxLength}`);
  }
  return new Parser(target, maxDepth).parse();
}

// Characters printed with a backslash so the printed path reads back as the same text.
// `=` too: a path argument `a=b` would otherwise read back as a keyword argument.
const PRINT_ESCAPE = new Set("(){},'\"\\|=");

function printPath(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    // A "." that came from `\.` must stay escaped where a bare one would leave an empty node.
    if (c === ".") out += i === 0 || i === text.length - 1 || text[i - 1] === "." ? "\\." : ".";
    else out += PRINT_ESCAPE.has(c) ? `\\${c}` : c;
  }
  return out;
}

/**
 * Whether a path printed as an argument would read back as a literal
 * (`true`, `None`, `inf`, `5`, `1e3`). Such a path comes from a pipe
 * (`5|scale(2)`), printed piped again, or from an escaped dot (`f(a,0\.9)`:
 * graphite-web takes the longest reading, and `0` alone is no argument
 * there), printed with its dots escaped again (see `printArgPath`).
 */
const NUMBER_TEXT = new RegExp(`^(?:${NUMBER.source})$`);

function readsAsLiteral(text: string): boolean {
  if (NUMBER_TEXT.test(text)) return true;
  const lower = text.toLowerCase();
  return ["true", "false", "none", "inf"].some((w) => lower.startsWith(w) && !KEYWORD_CHAR.test(text[w.length] ?? ""));
}

function startsWithLiteralPath(node: TargetNode): boolean {
  for (let n = node; ; ) {
    if (n.kind === "path") return readsAsLiteral(n.text);
    if (n.kind !== "call" || n.args.length === 0) return false;
    n = n.args[0];
  }
}

function printArgs(node: CallNode, from: number): string {
  const parts = node.args.slice(from).map(printNode);
  for (const [k, v] of Object.entries(node.kwargs)) parts.push(`${k}=${printNode(v)}`);
  return parts.join(",");
}

/** A path in any position: a number-like text with a dot (`0.9`) keeps its dots escaped, or it would read back as a number. */
function printArgPath(text: string): string {
  return text.includes(".") && NUMBER_TEXT.test(text) ? text.replaceAll(".", "\\.") : printPath(text);
}

function printNode(node: TargetNode): string {
  switch (node.kind) {
    case "path":
      return printArgPath(node.text);
    case "string":
      return node.quote + node.value + node.quote;
    case "number":
      return node.raw;
    case "boolean":
      return node.value ? "true" : "false";
    case "none":
      return "None";
    case "call":
      return startsWithLiteralPath(node) ? printChain(node) : `${node.name}(${printArgs(node, 0)})`;
  }
}

/** Pipe form `5|f()|g()`, for a top-level chain whose innermost first argument would not read back as a path. */
function printChain(node: TargetNode): string {
  if (node.kind !== "call") return printPath((node as PathNode).text);
  return `${printChain(node.args[0])}|${node.name}(${printArgs(node, 1)})`;
}

/**
 * Print an AST back as a target string that parses to the same AST. Piped
 * calls print in nested form, except where the piped path would then read as
 * a literal (`5|scale(2)`).
 */
export function printTarget(node: TargetNode): string {
  return printNode(node);
}
