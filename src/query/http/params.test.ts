import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { one, parseBoolean, parseChoice, parseSteps } from "./params.js";
import { QueryError } from "../query-error.js";

/** The error a call throws, or null. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return null;
  } catch (err) {
    return err;
  }
}

const WORDS: Record<string, boolean> = { true: true, false: false, "1": true, "0": false, yes: true, no: false };

describe("parseBoolean", () => {
  it.each([
    ...Object.entries(WORDS).map(([w, b]) => [w, b] as const),
    ["TRUE", true],
    ["No", false],
    [" yes ", true],
    ["", undefined],
    [undefined, undefined],
  ] as const)("%j → %j", (input, expected) => {
    expect(parseBoolean(input, "condense")).toBe(expected);
  });

  it.each(["on", "off", "maybe", "2", "-1", "truee", "t", "y", "n", "null"])("%j is a 400 naming the parameter, quoting the value, listing the six words", (input) => {
    const err = thrown(() => parseBoolean(input, "collapse"));
    expect(err).toBeInstanceOf(QueryError);
    expect(err).toMatchObject({ status: 400, field: "collapse", message: `collapse: expected true/false/1/0/yes/no, got ${JSON.stringify(input)}` });
  });

  it("property: a text is accepted exactly when it is one of the six words in some case (or empty)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...Object.keys(WORDS)).map((w) => w.toUpperCase())), (s) => {
        const word = s.trim().toLowerCase();
        const err = thrown(() => parseBoolean(s, "b"));
        if (word === "") return err === null && parseBoolean(s, "b") === undefined;
        if (Object.hasOwn(WORDS, word)) return err === null && parseBoolean(s, "b") === WORDS[word];
        return err instanceof QueryError && err.status === 400;
      }),
      { numRuns: 500 },
    );
  });
});

describe("one: single-valued parameters", () => {
  it.each([
    [{ f: "json" }, "json"],
    [{ f: ["json"] }, "json"],
    [{}, undefined],
  ])("%j → %j", (params, expected) => {
    expect(one(params, "f")).toBe(expected);
  });

  it("property: given two or more times it is a 400 naming the parameter, whatever the values", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 10 }), { minLength: 2, maxLength: 6 }), (values) => {
        const err = thrown(() => one({ format: values }, "format"));
        return err instanceof QueryError && err.status === 400 && err.field === "format" && /^format: given (twice|\d+ times) \(/.test(err.message);
      }),
    );
  });
});

describe("parseChoice and parseSteps", () => {
  it("a closed set: the value, the default, or a 400 listing what is accepted", () => {
    expect(parseChoice("json", "format", ["graphite", "json"], "graphite")).toBe("json");
    expect(parseChoice(undefined, "format", ["graphite", "json"], "graphite")).toBe("graphite");
    expect(thrown(() => parseChoice("csv", "format", ["graphite", "json"], "graphite"))).toMatchObject({ status: 400, message: 'format: expected graphite or json, got "csv"' });
    expect(thrown(() => parseChoice("d", "x", ["a", "b", "c"], "a"))).toMatchObject({ message: 'x: expected one of a, b, c, got "d"' });
  });

  it.each([
    ["1", 1],
    ["100", 100],
    [" 7 ", 7],
    [5, 5],
    [undefined, undefined],
    ["", undefined],
  ] as const)("steps %j → %j", (input, expected) => {
    expect(parseSteps(input, 100)).toBe(expected);
  });

  it.each([["0"], ["-1"], ["1.5"], ["1e3"], ["abc"], ["0x10"], [0], [2.5]])("steps %j is a 400", (input) => {
    expect(thrown(() => parseSteps(input, 100))).toMatchObject({ status: 400, message: expect.stringMatching(/^steps: expected a positive whole number, got /) });
  });

  it("steps past MAX_BUCKETS names the setting", () => {
    expect(thrown(() => parseSteps("101", 100))).toMatchObject({ status: 400, code: "TORUS_ERR_QUERY_TOO_MANY_BUCKETS", message: "steps: 101 buckets is more than the configured maximum of 100 (MAX_BUCKETS)" });
  });
});
