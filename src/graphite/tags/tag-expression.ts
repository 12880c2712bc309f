/**
 * `seriesByTag` expressions (`tag=value`, `tag!=value`, `tag=~regex`,
 * `tag!=~regex`) and the matcher over tagged names, with graphite-web's
 * semantics (`tags/base.py` parse_tagspec, `tags/localdatabase.py`): a
 * missing tag has the value `''`; a regex is anchored at the start of the
 * value (`^(` is prepended unless it begins with `^`, then `re.match`);
 * at least one expression must not match the empty value.
 *
 * @module
 */
import { argError } from "../functions/errors.js";
import { pyRegex } from "../functions/pyregex.js";

export type TagOperator = "=" | "!=" | "=~" | "!=~";

export interface TagExpression {
  readonly tag: string;
  readonly operator: TagOperator;
  /** The spec as graphite-web keeps it: a regex already with its `^(...)` anchor. */
  readonly spec: string;
  /** Whether a series without the tag (value `''`) passes. */
  readonly matchesEmpty: boolean;
  /** Whether a value passes. */
  test(value: string): boolean;
}

const TAGSPEC = /^([^;!=]+)(!?=~?)([^;]*)$/;

/** graphite-web's `parse_tagspec` plus the compiled test; a malformed one is the user's mistake. */
export function parseTagExpression(text: string, fn = "seriesByTag"): TagExpression {
  const m = TAGSPEC.exec(text);
  if (m === null) throw argError(fn, "tagExpressions", `invalid tag expression ${JSON.stringify(text)} (expected tag=value, tag!=value, tag=~regex or tag!=~regex)`);
  const tag = m[1];
  const operator = m[2] as TagOperator;
  let spec = m[3];
  if (operator === "=") return { tag, operator, spec, matchesEmpty: spec === "", test: (v) => v === spec };
  if (operator === "!=") return { tag, operator, spec, matchesEmpty: spec !== "", test: (v) => v !== spec };
  if (!spec.startsWith("^")) spec = `^(${spec})`;
  // Sticky: a match must start at 0, as Python's re.match (even with an inline (?m)).
  const re = pyRegex(spec, fn, "tagExpressions", "y");
  const matches = (v: string) => {
    re.lastIndex = 0;
    return re.test(v);
  };
  const positive = operator === "=~";
  return { tag, operator, spec, matchesEmpty: positive ? matches("") : !matches(""), test: positive ? matches : (v) => !matches(v) };
}

/** A compiled list of expressions: every one must hold. */
export interface TagQuery {
  readonly expressions: readonly TagExpression[];
  /** Whether a series with these tags (`name` included) matches. */
  matches(tags: Readonly<Record<string, string>>): boolean;
}

export function compileTagQuery(texts: readonly string[], fn = "seriesByTag"): TagQuery {
  const expressions = texts.map((t) => parseTagExpression(t, fn));
  if (expressions.every((e) => e.matchesEmpty)) {
    throw argError(fn, "tagExpressions", "at least one tag expression must not match the empty string (must require a value)");
  }
  return {
    expressions,
    matches(tags) {
      for (const e of expressions) if (!e.test(Object.hasOwn(tags, e.tag) ? tags[e.tag] : "")) return false;
      return true;
    },
  };
}
