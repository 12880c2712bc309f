import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareCodePoints, prefixRange, tagPairs } from "./tag-pairs.js";

describe("tagPairs: how stores read a stored name's tags", () => {
  const cases: Array<[string, Array<[string, string]>]> = [
    ["disk.used;datacenter=dc1;host=web01", [["name", "disk.used"], ["datacenter", "dc1"], ["host", "web01"]]],
    ["plain.name", []],
    ["a;k=v=w", [["name", "a"], ["k", "v=w"]]],
    ["a;=v;k;;x=", [["name", "a"], ["x", ""]]], // no key, no `=`, empty segments: skipped
    [";k=v", [["name", ""], ["k", "v"]]],
  ];
  it.each(cases)("%j", (name, pairs) => expect(tagPairs(name)).toEqual(pairs));
});

describe("prefixRange: a prefix as a range of the code point order every store sorts by", () => {
  const text = fc.array(fc.constantFrom("a", "b", "\u00e9", "\uffff", "\ud7ff", "\ue000", "\u{1F600}", "\u{10FFFF}"), { maxLength: 4 }).map((cs) => cs.join(""));
  it("s starts with p exactly when low <= s < high", () => {
    fc.assert(
      fc.property(text, text, (p, s) => {
        const { low, high } = prefixRange(p);
        const inside = compareCodePoints(s, low) >= 0 && (high === null || compareCodePoints(s, high) < 0);
        expect(inside, `${JSON.stringify(p)} ${JSON.stringify(s)}`).toBe(s.startsWith(p));
      }),
      { numRuns: 3000 },
    );
  });
  it("compareCodePoints is the order of UTF-8 bytes", () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
  });
});
