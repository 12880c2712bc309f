import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { QueryError } from "../../query-error.js";
import { parseEventBody } from "./event-input.js";
import { eventDetailJson, eventJson, matchTags } from "./event-output.js";

const NOW = 1_795_737_600;
const body = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v));

describe("parseEventBody", () => {
  const GOOD: Array<[string, unknown, object]> = [
    ["the four fields", { what: "deploy", tags: ["prod", "web"], when: 1_795_737_900, data: "v1.2" }, { what: "deploy", tags: ["prod", "web"], when: 1_795_737_900, data: "v1.2" }],
    ["only what: now, no tags, empty data", { what: "restart" }, { what: "restart", tags: [], when: NOW, data: "" }],
    ["tags as a space-separated string, repeated and unsorted", { what: "x", tags: "web prod web" }, { tags: ["prod", "web"] }],
    ["tags with commas keep inner spaces", { what: "x", tags: "deploy, two words" }, { tags: ["deploy", "two words"] }],
    ["a list is joined with spaces first, as graphite-web does", { what: "x", tags: ["a b", "c"] }, { tags: ["a", "b", "c"] }],
    ["tags null", { what: "x", tags: null }, { tags: [] }],
    ["a fractional when", { what: "x", when: 1_795_737_900.25 }, { when: 1_795_737_900.25 }],
    ["a when as digits in a string", { what: "x", when: " 1795737900 " }, { when: 1_795_737_900 }],
    ["when null is now", { what: "x", when: null }, { when: NOW }],
    ["data that is not text is kept as its JSON", { what: "x", data: { sha: "3f2a", n: 1 } }, { data: '{"sha":"3f2a","n":1}' }],
    ["unknown keys are ignored", { what: "x", colour: "red" }, { what: "x" }],
    ["255 characters of what, astral ones counted once", { what: "🚀".repeat(255) }, { what: "🚀".repeat(255) }],
    ["a UTF-8 byte order mark", "\uFEFF{\"what\": \"bom\"}", { what: "bom" }],
  ];
  it.each(GOOD)("%s", (_name, input, want) => {
    expect(parseEventBody(body(input), NOW)).toMatchObject(want);
  });

  const BAD: Array<[string, unknown, string, RegExp]> = [
    ["no what", { tags: "a" }, "what", /"what" is required/],
    ["what a list", { what: ["a"] }, "what", /must be a string/],
    ["256 characters of what", { what: "w".repeat(256) }, "what", /256 characters/],
    ["a lone surrogate", '{"what": "\\ud800"}', "what", /surrogate/],
    ["when a date", { what: "x", when: "2026-11-27" }, "when", /Unix seconds/],
    ["when NaN-ish", { what: "x", when: "NaN" }, "when", /Unix seconds/],
    ["when past year 9999", { what: "x", when: 253_402_300_800 }, "when", /out of range/],
    ["tags a number", { what: "x", tags: 5 }, "tags", /array or space-separated string/],
    ["a NUL in a tag", { what: "x", tags: ["a\u0000b"] }, "tags", /NUL/],
  ];
  it.each(BAD)("refuses %s, naming the field", (_name, input, field, message) => {
    const err = (() => {
      try {
        parseEventBody(body(input), NOW);
      } catch (e) {
        return e;
      }
      return null;
    })() as QueryError;
    expect(err).toBeInstanceOf(QueryError);
    expect(err).toMatchObject({ status: 400, code: "TORUS_ERR_QUERY_BAD_EVENT", field });
    expect(err.message).toMatch(message);
  });

  it("property: arbitrary bytes are an event or a 400, never another error", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.json().map((j) => new TextEncoder().encode(j))), (bytes) => {
        try {
          parseEventBody(Buffer.from(bytes), NOW);
        } catch (err) {
          expect(err).toBeInstanceOf(QueryError);
          expect((err as QueryError).status).toBe(400);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("property: an event's fields come back as posted (tags sorted and unique)", () => {
    const tag = fc.stringMatching(/^[a-z0-9._-]{1,12}$/);
    fc.assert(
      fc.property(fc.stringMatching(/^\S.{0,40}$/), fc.array(tag, { maxLength: 6 }), fc.integer({ min: 0, max: 4_000_000_000 }), fc.string(), (what, tags, when, data) => {
        fc.pre(!/[\uD800-\uDFFF]/.test(what + data) && !(what + data).includes("\u0000") && what.trim() !== "");
        const got = parseEventBody(body({ what, tags, when, data }), NOW);
        expect(got).toEqual({ what, tags: [...new Set(tags)].sort(), when, data });
      }),
    );
  });
});

describe("event output", () => {
  const e = { id: 7, when: 1_795_737_900.9876, what: "deploy", data: "v1", tags: ["prod", "web"] };
  it("get_data: whole seconds, rounded down as graphite-web's epoch()", () => {
    expect(eventJson(e)).toEqual({ when: 1_795_737_900, what: "deploy", data: "v1", tags: ["prod", "web"], id: 7 });
  });
  it("the detail: an ISO date, milliseconds truncated and shown only when there is a fraction", () => {
    expect(eventDetailJson(e).when).toBe("2026-11-27T00:05:00.987Z");
    expect(eventDetailJson({ ...e, when: 1_795_737_900 }).when).toBe("2026-11-27T00:05:00Z");
    expect(eventDetailJson({ ...e, when: 1_795_737_900.001 }).when).toBe("2026-11-27T00:05:00.001Z");
  });
  it("matchTags: all by default, any with set=union, nothing for empty words", () => {
    const evs = [{ ...e, id: 1, tags: ["a", "b"] }, { ...e, id: 2, tags: ["b"] }, { ...e, id: 3, tags: [] }];
    const ids = (tags: string | undefined, set?: string) => matchTags(evs, tags, set).map((x) => x.id);
    expect(ids(undefined)).toEqual([1, 2, 3]);
    expect(ids("b")).toEqual([1, 2]);
    expect(ids("a b")).toEqual([1]);
    expect(ids("a b", "intersection")).toEqual([1]);
    expect(ids("a c", "union")).toEqual([1]);
    expect(ids("a c")).toEqual([]);
    expect(ids("")).toEqual([]);
    expect(ids(" ")).toEqual([]);
  });
});
