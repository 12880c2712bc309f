import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalTaggedName, compareCodePoints, isTaggedName, parseTaggedName, tagsOfCanonical } from "./tagged-name.js";

describe("tagged names as graphite-web's TaggedSeries reads them", () => {
  // From graphite-web's test_tags.py (test_taggedseries and the parse cases) and the reference §3.3.
  const good: Array<[string, string]> = [
    ["test.a;hello=tiger;blah=blah", "test.a;blah=blah;hello=tiger"],
    ["disk.used;host=web01;datacenter=dc1", "disk.used;datacenter=dc1;host=web01"],
    ["test.a", "test.a"],
    ["~~test.a;x=y", "test.a;x=y"],
    ["a;k=v=w", "a;k=v=w"], // split('=', 1): the value keeps later `=`
    ["a;k=1;k=2", "a;k=2"], // the last wins
    ["a;name=other;z=1", "a;z=1"], // the path part is the name
    ["a;k=v~", "a;k=v~"],
    ['test.a{hello="tiger",blah="blah"}', "test.a;blah=blah;hello=tiger"],
    ['test.a{hello="ti\\"ger"}', 'test.a;hello=ti"ger'],
    ['test.a{x="1":,y="2"}', "test.a;x=1;y=2"], // graphite-web's `(:?,|$)`
    ["a;a-b=2;a=1", "a;a-b=2;a=1"], // sorted as `;k=v` strings: `-` < `=`
  ];
  it.each(good)("%s → %s", (raw, canonical) => expect(canonicalTaggedName(raw)).toBe(canonical));

  const bad: Array<[string, RegExp]> = [
    [";k=v", /no metric found/],
    ["a;k", /invalid segment k/],
    ["a;=v", /invalid segment =v/],
    ["a;k=", /Value for tag "k" may not be empty/],
    ["a;k!x=v", /Character "!" is not allowed in tag "k!x"/],
    ["a;k^=v", /Character "\^" is not allowed/],
    ["a;k=~v", /not allowed to start with "~"/],
    ["a;k=v;", /invalid segment $/],
    ["~~~;k=v", /results in emptry string/],
    ['a{b{c="d"}', /expected one/],
    ['a{c=d"}', /invalid segment/],
    ['a{c="d" }x"}', /invalid segment/],
  ];
  it.each(bad)("%s is refused", (raw, message) => expect(() => canonicalTaggedName(raw)).toThrow(message));

  it("a 4 KB value and a thousand tags are read, not a crash", () => {
    expect(canonicalTaggedName(`a;k=${"v".repeat(4096)}`)).toHaveLength(4096 + 4);
    const many = Array.from({ length: 1000 }, (_, i) => `;t${i}=v`).join("");
    expect(Object.keys(parseTaggedName(`a${many}`))).toHaveLength(1001);
  });

  it("isTaggedName: `;` or the OpenMetrics ending, nothing else", () => {
    expect(isTaggedName("a.b")).toBe(false);
    expect(isTaggedName("a.b}")).toBe(false);
    expect(isTaggedName("a;b=c")).toBe(true);
    expect(isTaggedName('a{b="c"}')).toBe(true);
  });

  const key = fc.stringMatching(/^[a-z0-9_.-]{1,6}$/).filter((k) => k !== "name");
  const value = fc.stringMatching(/^[a-zA-Z0-9_.=~-]{1,6}$/).filter((v) => v[0] !== "~");
  const tagsArb = fc.dictionary(key, value, { maxKeys: 6 });

  it("canonical: independent of the order tags are written in, and a fixed point", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z.]{1,8}$/), tagsArb, fc.integer(), (metric, tags, seed) => {
        const pairs = Object.entries(tags);
        const shuffled = [...pairs].sort((a, b) => ((a[0].charCodeAt(0) * seed) % 7) - ((b[0].charCodeAt(0) * seed) % 7));
        const raw = metric + shuffled.map(([k, v]) => `;${k}=${v}`).join("");
        const canonical = canonicalTaggedName(raw);
        const model = metric + pairs.map(([k, v]) => `;${k}=${v}`).sort().join("");
        expect(canonical).toBe(model);
        expect(canonicalTaggedName(canonical)).toBe(canonical);
        expect({ ...tagsOfCanonical(canonical) }).toEqual({ ...tags, name: metric });
      }),
    );
  });

  it("compareCodePoints orders as Python does", () => {
    expect(compareCodePoints("\u{1F600}", "\uFFFD")).toBeGreaterThan(0);
    expect(compareCodePoints("a", "b")).toBeLessThan(0);
    expect(compareCodePoints("ab", "a")).toBeGreaterThan(0);
  });
});
