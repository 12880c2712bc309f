import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_BRACE_VARIANTS,
  PathPatternError,
  compileNodePattern,
  compilePathPattern,
  expandBraces,
  hasWildcard,
  splitPath,
} from "./path-glob.js";

// Expected results were checked against Python 3's fnmatch.fnmatchcase and
// graphite-web's expand_braces on the same inputs.
describe("compileNodePattern: fnmatch semantics per node", () => {
  const NAMES = ["web1", "web2", "web3", "web10", "db1", "w", "", "web", "Web1", "a-b", "a]b", "^", "!", "x[y", "-", "b", "é", "😀", "é😀"];
  it.each<[string, string[]]>([
    ["web1", ["web1"]],
    ["*", NAMES],
    ["**", NAMES],
    ["w*1", ["web1"]],
    ["w*", ["web1", "web2", "web3", "web10", "w", "web"]],
    ["*1", ["web1", "db1", "Web1"]],
    ["*b*", ["web1", "web2", "web3", "web10", "db1", "web", "Web1", "a-b", "a]b", "b"]],
    ["web?", ["web1", "web2", "web3"]],
    ["???", ["web", "a-b", "a]b", "x[y", "db1"].sort()],
    ["web[12]", ["web1", "web2"]],
    ["web[1-2]", ["web1", "web2"]],
    ["web[!1]", ["web2", "web3"]],
    ["web[!1-2]", ["web3"]],
    ["web[2-1]", []], // a reversed range matches nothing
    ["[!w]*", ["db1", "Web1", "a-b", "a]b", "^", "!", "x[y", "-", "b", "é", "😀", "é😀"]],
    ["[Ww]eb1", ["web1", "Web1"]],
    ["a[]]b", ["a]b"]], // `]` first in a set is a member
    ["a[!]]b", ["a-b"]],
    ["a[-]b", ["a-b"]],
    ["a[x-]b", ["a-b"]],
    ["[^]", ["^"]], // `^` is an ordinary member, not negation
    ["[!]", []], // no closing `]` after the `!]`: a literal "[!]"
    ["x[y", ["x[y"]], // unclosed `[` is literal
    ["web{1,3}", ["web1", "web3"]],
    ["{web,db}1", ["web1", "db1"]],
    ["web{,1}", ["web1", "web"]],
    ["{w,web{1,2}}", ["w", "web1", "web2"]],
    ["{a,b}{-,]}b", ["a-b", "a]b"]],
    ["{web}1", ["web1"]],
    ["w{e,x}b{1,2,3}", ["web1", "web2", "web3"]],
    ["{web*,db?}", ["web1", "web2", "web3", "web10", "web", "db1"]],
    ["web{1", []], // unclosed brace: literal
    ["WEB1", []], // case-sensitive
    ["?", ["w", "^", "!", "-", "b", "é", "😀"]], // one character is one code point, as in Python
    ["??", ["é😀"]],
    ["*😀", ["😀", "é😀"]],
    ["[😀]", ["😀"]],
    ["[!a]", ["w", "^", "!", "-", "b", "é", "😀"]],
    ["[à-ÿ]", ["é"]],
  ])("%j", (pattern, expected) => {
    const p = compileNodePattern(pattern);
    expect(NAMES.filter((n) => p.test(n)).sort()).toEqual([...expected].sort());
  });

  it("reports literal patterns as exact names, sorted and unique", () => {
    expect(compileNodePattern("web1").exact).toEqual(["web1"]);
    expect(compileNodePattern("{b,a,b}").exact).toEqual(["a", "b"]);
    expect(compileNodePattern("w*").exact).toBeNull();
    expect(compileNodePattern("*").matchesAll).toBe(true);
    expect(compileNodePattern("{x,*}").matchesAll).toBe(true);
  });

  it("gives every variant its literal prefix", () => {
    expect(compileNodePattern("l2_5*").variants.map((v) => v.prefix)).toEqual(["l2_5"]);
    expect(compileNodePattern("*x").variants.map((v) => v.prefix)).toEqual([""]);
    expect(compileNodePattern("{ab?,c[d]}").variants.map((v) => v.prefix)).toEqual(["ab", "c"]);
  });

  it("stays linear on patterns that make backtracking regexes explode", () => {
    const p = compileNodePattern("*a*a*a*a*a*a*a*a*a*a*b");
    const name = "a".repeat(5_000);
    const t0 = performance.now();
    expect(p.test(name)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });
});

describe("expandBraces", () => {
  it.each<[string, string[]]>([
    ["abc", ["abc"]],
    ["{a,b}", ["a", "b"]],
    ["{a,b}{c,d}", ["ac", "ad", "bc", "bd"]],
    ["x{a,{b,c}}y", ["xay", "xby", "xcy"]],
    ["{,x}", ["", "x"]],
    ["{}", [""]],
    ["{a}", ["a"]],
    ["{a,a}", ["a"]],
    ["{a,b", ["{a,b"]],
    ["a}b", ["a}b"]],
  ])("%j", (pattern, expected) => {
    expect(expandBraces(pattern).sort()).toEqual([...expected].sort());
  });

  it("refuses a pattern that expands to too many alternatives", () => {
    const huge = "{0,1,2,3,4,5,6,7,8,9}".repeat(5); // 100,000 variants
    expect(() => expandBraces(huge)).toThrow(PathPatternError);
    expect(() => compileNodePattern(huge)).toThrow(/more than 10000 patterns/);
    expect(expandBraces("{0,1,2,3,4,5,6,7,8,9}".repeat(4)).length).toBe(MAX_BRACE_VARIANTS);
  });

  it("handles thousands of groups without recursion", () => {
    expect(expandBraces("{a}".repeat(5_000))).toEqual(["a".repeat(5_000)]);
  });
});

describe("compilePathPattern", () => {
  const PATHS = ["servers.web1.cpu.user", "servers.web2.cpu.user", "servers.web1.cpu", "test.a.cpu", "test.b.cpu", "test.ab.cpu", "a.b"];
  it.each<[string, string[]]>([
    ["servers.web1.cpu.user", ["servers.web1.cpu.user"]],
    ["servers.*.cpu.user", ["servers.web1.cpu.user", "servers.web2.cpu.user"]],
    ["servers.*", []], // depth must match exactly
    ["servers.w*1.cpu", ["servers.web1.cpu"]],
    ["test.?.cpu", ["test.a.cpu", "test.b.cpu"]],
    ["*.*", ["a.b"]],
    ["*", []],
    ["servers.{web1,web2}.cpu.user", ["servers.web1.cpu.user", "servers.web2.cpu.user"]],
    ["test.a*", []],
    ["servers.web\\1.cpu", ["servers.web1.cpu"]], // backslashes are dropped, as graphite-web's finder does
  ])("%j", (pattern, expected) => {
    const p = compilePathPattern(pattern);
    expect(PATHS.filter((x) => p.test(x))).toEqual(expected);
  });

  it("never lets * cross a dot", () => {
    expect(compilePathPattern("a*").test("ab.c")).toBe(false);
    expect(compilePathPattern("a*c").test("ab.c")).toBe(false);
  });
});

describe("helpers", () => {
  it("splits paths and detects wildcards", () => {
    expect(splitPath("a.b.c")).toEqual(["a", "b", "c"]);
    expect(splitPath("a")).toEqual(["a"]);
    for (const w of ["a*", "a?", "a[b]", "{a}", "["]) expect(hasWildcard(w)).toBe(true);
    for (const w of ["abc", "a]b", "a}b", "a-b:c=d@e#f"]) expect(hasWildcard(w)).toBe(false);
  });
});

describe("properties", () => {
  const nodeChar = fc.constantFrom(..."abcxyz019-_:=@#[]!^*?{},éü".split(""));
  const node = fc.string({ unit: nodeChar, maxLength: 12 });
  const plainNode = fc.string({ unit: fc.constantFrom(..."abcxyz019-_:=@#]}^!".split("")), maxLength: 12 });

  it("a literal pattern matches only itself", () => {
    fc.assert(
      fc.property(plainNode, plainNode, (pattern, other) => {
        const p = compileNodePattern(pattern);
        expect(p.test(pattern)).toBe(true);
        expect(p.test(other)).toBe(other === pattern);
      }),
    );
  });

  it("* matches every single node and no name with a dot", () => {
    const star = compilePathPattern("*");
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (name) => {
        expect(star.test(name)).toBe(!name.includes("."));
      }),
    );
  });

  it("a wildcard-free prefix plus * matches exactly the names starting with it", () => {
    fc.assert(
      fc.property(plainNode, plainNode, (prefix, name) => {
        expect(compileNodePattern(`${prefix}*`).test(name)).toBe(name.startsWith(prefix));
      }),
    );
  });

  it("agrees with an independent model: graphite-web's expand_braces regex and Python's fnmatch.translate", () => {
    fc.assert(
      fc.property(node, fc.array(fc.string({ unit: nodeChar, maxLength: 8 }), { maxLength: 10 }), (pattern, names) => {
        const p = compileNodePattern(pattern);
        const model = pyExpandBraces(pattern).map(pyTranslate);
        for (const name of names) expect(p.test(name)).toBe(model.some((re) => re.test(name)));
      }),
      { numRuns: 2_000 },
    );
  });
});

/** graphite-web's expand_braces, written as it is there: a regex and recursion. */
function pyExpandBraces(s: string): string[] {
  const m = /^.*(\{.*?[^\\]?\})/s.exec(s);
  if (m === null) return [s.replaceAll("\\}", "}")];
  const sub = m[1];
  const open = m[0].length - sub.length;
  const close = m[0].length;
  if (sub.includes(",")) {
    const inner = sub.replace(/^[{}]+|[{}]+$/g, "");
    return [...new Set(inner.split(",").flatMap((alt) => pyExpandBraces(s.slice(0, open) + alt + s.slice(close))))];
  }
  return pyExpandBraces(s.slice(0, open) + sub.slice(1, -1) + s.slice(close));
}

/** Python 3.12's fnmatch.translate, producing a JS RegExp. */
function pyTranslate(pat: string): RegExp {
  const esc = (c: string) => `\\u{${c.codePointAt(0)!.toString(16)}}`;
  let res = "";
  let i = 0;
  const n = pat.length;
  while (i < n) {
    const c = pat[i++];
    if (c === "*") res += "[^]*";
    else if (c === "?") res += "[^]";
    else if (c === "[") {
      let j = i;
      if (j < n && pat[j] === "!") j++;
      if (j < n && pat[j] === "]") j++;
      while (j < n && pat[j] !== "]") j++;
      if (j >= n) {
        res += esc("[");
        continue;
      }
      // chunks split at range hyphens, as Python does; empty (reversed) ranges removed
      const chunks: string[] = [];
      let k = pat[i] === "!" ? i + 2 : i + 1;
      let start = i;
      for (;;) {
        k = pat.indexOf("-", k);
        if (k < 0 || k >= j) break;
        chunks.push(pat.slice(start, k));
        start = k + 1;
        k = k + 3;
      }
      const last = pat.slice(start, j);
      if (last) chunks.push(last);
      else chunks[chunks.length - 1] += "-";
      for (let q = chunks.length - 1; q > 0; q--) {
        if (chunks[q - 1].at(-1)! > chunks[q][0]) {
          chunks[q - 1] = chunks[q - 1].slice(0, -1) + chunks[q].slice(1);
          chunks.splice(q, 1);
        }
      }
      let negate = false;
      if (chunks[0]?.startsWith("!")) {
        negate = true;
        chunks[0] = chunks[0].slice(1);
      }
      const body = chunks.map((ch) => [...ch].map(esc).join("")).join("-");
      i = j + 1;
      if (body === "") res += negate ? "[^]" : "(?!)";
      else res += `[${negate ? "^" : ""}${body}]`;
    } else res += esc(c);
  }
  return new RegExp(`^(?:${res})$`, "u");
}
