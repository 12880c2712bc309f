/**
 * aliasSub's Python `re.sub` semantics in JavaScript, checked case by case against Python's own re.sub
 * (fixture python-re-sub.json from test/graphite-oracle/generate.py), plus properties.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GraphiteFunctionError } from "./errors.js";
import { pyRegex, pyReplacer } from "./pyregex.js";

const fixture = JSON.parse(readFileSync(new URL("./fixtures/python-re-sub.json", import.meta.url), "utf8")) as {
  python: string;
  cases: { pattern: string; replace: string; name: string; result: string | { error: string } }[];
};

const sub = (pattern: string, replace: string, name: string) => name.replace(pyRegex(pattern, "aliasSub", "search", "g"), pyReplacer(replace, "aliasSub"));

describe(`re.sub as Python ${fixture.python} does it`, () => {
  for (const c of fixture.cases) {
    it(`re.sub(${JSON.stringify(c.pattern)}, ${JSON.stringify(c.replace)}, ${JSON.stringify(c.name)})`, () => {
      if (typeof c.result === "string") expect(sub(c.pattern, c.replace, c.name)).toBe(c.result);
      else expect(() => sub(c.pattern, c.replace, c.name)).toThrow(GraphiteFunctionError);
    });
  }
});

describe("properties", () => {
  it("a replacement without backslashes is inserted literally, $ included", () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !s.includes("\\")), fc.string({ minLength: 1 }), (repl, name) => {
        return sub("^", repl, name) === repl + name;
      }),
    );
  });
  it("any pattern either compiles or raises a GraphiteFunctionError, never another error", () => {
    fc.assert(
      fc.property(fc.string(), (pattern) => {
        try {
          pyRegex(pattern, "aliasSub", "search", "g");
          return true;
        } catch (err) {
          return err instanceof GraphiteFunctionError;
        }
      }),
    );
  });
});

describe("named groups of any length", () => {
  it("(?P<…>) and (?P=…) with a 60-character name", () => {
    const n = "g".repeat(60);
    expect(sub(`(?P<${n}>web\\d)\\.(?P=${n})?`, `[\\g<${n}>]`, "servers.web1.cpu")).toBe("servers.[web1]cpu");
  });
});
