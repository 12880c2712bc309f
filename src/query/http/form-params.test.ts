import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OVER_LIMIT, countParams, parseParams } from "./form-params.js";

/** What a repeated key should become: one value, or every value in order. */
function grouped(pairs: ReadonlyArray<readonly [string, string]>): Record<string, string | string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of pairs) out.set(k, [...(out.get(k) ?? []), v]);
  return Object.fromEntries([...out].map(([k, vs]) => [k, vs.length === 1 ? vs[0] : vs]));
}

describe("parseParams", () => {
  it.each([
    ["", {}],
    ["a=1", { a: "1" }],
    ["a=1&a=2&b=&a=3", { a: ["1", "2", "3"], b: "" }],
    ["a&&b=2&", { a: "", b: "2" }],
    ["x=%20y+z&%E2%9C%93=ok", { x: " y z", "✓": "ok" }],
    ["?a=1", { "?a": "1" }],
    ["__proto__=p&__proto__=q&constructor=c", Object.fromEntries([["__proto__", ["p", "q"]], ["constructor", "c"]])],
    ["bad=%zz", { bad: "%zz" }],
  ])("%j", (text, expected) => {
    const parsed = parseParams(text, 1000);
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect({ ...parsed }).toEqual(expected);
  });

  it("any key/value pairs round-trip, repeated keys in order", () => {
    const key = fc.string({ minLength: 0, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(key, fc.constantFrom("a", "b", "__proto__")), fc.string({ maxLength: 6 })), { maxLength: 40 }), (pairs) => {
        const text = new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, v])).toString();
        expect({ ...parseParams(text, 1000) }).toEqual(grouped(pairs));
      }),
    );
  });

  it("counts parameters as URLSearchParams finds them, for any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "=", "&", "?", "%", "+", "b") }), (text) => {
        expect(countParams(text)).toBe([...new URLSearchParams(text.startsWith("?") ? `&${text}` : text)].length);
      }),
    );
  });

  it("over the limit: nothing parsed, the count kept for the 400", () => {
    const parsed = parseParams("a=&".repeat(11), 10);
    expect(Object.keys(parsed)).toEqual([]);
    expect(parsed[OVER_LIMIT]).toBe(11);
    expect(parseParams("a=&".repeat(10), 10).a).toHaveLength(10);
  });

  it("a megabyte of one repeated key is one linear pass (the former parser copied the array per value)", () => {
    const parsed = parseParams("a=&".repeat(350_000), 1_000_000);
    expect(parsed.a).toHaveLength(350_000);
  });
});
