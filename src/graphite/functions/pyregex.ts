/** Python `re` syntax to JavaScript: named groups `(?P<n>…)`, back-references `(?P=n)`, and replacements. */
import { argError } from "./errors.js";

/** Compiles a Python regex (search semantics, not anchored); a bad pattern is the user's mistake. */
export function pyRegex(pattern: string, fn: string, param: string, flags = ""): RegExp {
  const js = pattern.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, "(?<$1>").replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, "\\k<$1>");
  try {
    return new RegExp(js, flags);
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
