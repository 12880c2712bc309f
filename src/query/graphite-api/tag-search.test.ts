import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTagExpression } from "../../graphite/tags/tag-expression.js";
import { literalPrefix } from "./tag-search.js";

describe("literalPrefix: where a store may start listing a regex's values", () => {
  const cases: Array<[string, string]> = [
    ["web0000", "web0000"],
    ["^web0", "web0"],
    ["web.*", "web"],
    ["web?", "we"],
    ["web{2}", "we"],
    ["web+", "web"],
    ["(web)*x", ""],
    ["(web)?", ""],
    ["(web)+", "web"],
    ["a|b", ""],
    ["[ab]c", ""],
    ["\\dx", ""],
    ["", ""],
  ];
  it.each(cases)("%j → %j", (regex, prefix) => expect(literalPrefix(parseTagExpression(`t=~${regex}`).spec)).toBe(prefix));
  it("an inline flag gives no prefix", () => expect(literalPrefix("(?i)web")).toBe(""));

  it("every value a regex accepts starts with it", () => {
    const token = fc.constantFrom("a", "b", "ab", ".", "*", "?", "+", "|", "(", ")", "[ab]", "{2}", "^", "$", "\\.");
    fc.assert(
      fc.property(fc.array(token, { maxLength: 6 }), fc.array(fc.stringMatching(/^[ab.]{0,5}$/), { maxLength: 20 }), (parts, values) => {
        let e;
        try {
          e = parseTagExpression(`t=~${parts.join("")}`);
        } catch {
          return;
        }
        const prefix = literalPrefix(e.spec);
        for (const v of values) if (e.test(v)) expect(v.startsWith(prefix), `${e.spec} accepts ${v}, prefix ${prefix}`).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });
});
