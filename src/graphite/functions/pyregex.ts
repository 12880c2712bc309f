/** Python `re` syntax to JavaScript: named groups `(?P<n>…)`, back-references `(?P=n)`, and replacements. */
import { argError } from "./errors.js";

const NAMED = /\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/y;
const BACKREF = /\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/y;

/**
 * Python `re` syntax as JavaScript source: `(?P<n>…)` → `(?<n>…)`, `(?P=n)` → `\k<n>`, `\A` → `^`,
 * `\Z` → end of input, and leading global flags `(?ims)` → RegExp flags. Escapes are copied as they are,
 * so `\\A` stays a literal backslash and `A`.
 */
export function translatePattern(pattern: string): { source: string; flags: string } {
  let flags = "";
  let rest = pattern;
  const lead = /^\(\?([aiLmsux]+)\)/.exec(rest);
  if (lead) {
    for (const f of lead[1]) {
      if (f === "i" || f === "m" || f === "s") flags += f;
      else if (f === "x" || f === "L") throw new SyntaxError(`inline flag (?${f}) is not supported`);
    }
    rest = rest.slice(lead[0].length);
  }
  let out = "";
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === "\\" && i + 1 < rest.length) {
      const n = rest[i + 1];
      out += n === "A" ? "^" : n === "Z" ? "(?![\\s\\S])" : c + n;
      i++;
      continue;
    }
    const py = c === "(" && rest.startsWith("(?P", i);
    NAMED.lastIndex = i;
    BACKREF.lastIndex = i;
    const named = py ? NAMED.exec(rest) : null;
    const backref = py ? BACKREF.exec(rest) : null;
    if (named) {
      out += `(?<${named[1]}>`;
      i += named[0].length - 1;
    } else if (backref) {
      out += `\\k<${backref[1]}>`;
      i += backref[0].length - 1;
    } else out += c;
  }
  return { source: out, flags };
}

/** Compiles a Python regex (search semantics, not anchored); a bad pattern is the user's mistake. */
export function pyRegex(pattern: string, fn: string, param: string, flags = ""): RegExp {
  try {
    const t = translatePattern(pattern);
    return new RegExp(t.source, [...new Set(flags + t.flags)].join(""));
  } catch (err) {
    throw argError(fn, param, `invalid regular expression "${pattern}": ${(err as Error).message}`);
  }
}

/**
 * Python `re.sub` replacement text as a function of a match: `\1`–`\99`, `\g<1>`, `\g<name>`, and the
 * escapes `\\`, `\n`, `\t`; every other character is literal (so `$` needs no escaping, unlike JS).
 */
export function pyReplacer(replacement: string, fn: string): (match: string, ...rest: any[]) => string {
  type Part = string | { group: number | string };
  const parts: Part[] = [];
  let lit = "";
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i];
    if (c !== "\\" || i === replacement.length - 1) {
      lit += c;
      continue;
    }
    const n = replacement[i + 1];
    const g = /^\\g<([^>]*)>/.exec(replacement.slice(i));
    const d = /^\\([0-9]{1,2})/.exec(replacement.slice(i));
    if (g) {
      parts.push(lit, { group: /^[0-9]+$/.test(g[1]) ? Number(g[1]) : g[1] });
      lit = "";
      i += g[0].length - 1;
    } else if (d) {
      parts.push(lit, { group: Number(d[1]) });
      lit = "";
      i += d[0].length - 1;
    } else if (n === "\\") {
      lit += "\\";
      i++;
    } else if (n === "n") {
      lit += "\n";
      i++;
    } else if (n === "t") {
      lit += "\t";
      i++;
    } else {
      lit += c;
    }
  }
  parts.push(lit);
  return (match: string, ...rest: any[]) => {
    const hasGroups = typeof rest[rest.length - 1] === "object" && rest[rest.length - 1] !== null;
    const named: Record<string, string | undefined> = hasGroups ? rest[rest.length - 1] : {};
    const groups = rest.slice(0, hasGroups ? -3 : -2) as (string | undefined)[];
    return parts
      .map((p) => {
        if (typeof p === "string") return p;
        if (typeof p.group === "number") {
          if (p.group === 0) return match;
          if (p.group > groups.length) throw argError(fn, "replace", `invalid group reference ${p.group}`);
          return groups[p.group - 1] ?? "";
        }
        if (!(p.group in named)) throw argError(fn, "replace", `unknown group name "${p.group}"`);
        return named[p.group] ?? "";
      })
      .join("");
  };
}
