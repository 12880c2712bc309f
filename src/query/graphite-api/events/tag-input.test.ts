import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shouldRun } from "../../../timeseries/testing/must-run.js";
import { parseTagInput } from "./tag-input.js";

/** Answers of django-tagging 0.5's `parse_tag_input` (graphite-web reads an event's tags with it), captured from it. */
const TABLE: Array<[string, string[]]> = [
  ["", []],
  ["a b", ["a", "b"]],
  ["prod web prod", ["prod", "web"]],
  [" x  y ", ["x", "y"]],
  ["a,b c", ["a", "b c"]],
  ["deploy, prod", ["deploy", "prod"]],
  ['"a b" c', ["a b", "c"]],
  ['a "b', ["a", "b"]],
  ['a, "b,c', ["a", "b", "c"]],
  [",", []],
  ['""', []],
  ['"a,b" c', ["a,b", "c"]],
  ['"a,b", c d', ["a,b", "c d"]],
  ["b a", ["a", "b"]],
  ["\tx\ny", ["x\ny"]],
];

describe("parseTagInput", () => {
  it.each(TABLE)("%j reads as %j", (input, want) => {
    expect(parseTagInput(input)).toEqual(want);
  });

  it("never throws, and gives sorted unique non-empty words without edge spaces", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const out = parseTagInput(s);
        expect(new Set(out).size).toBe(out.length);
        for (const t of out) expect(t).toBe(t.trim());
        expect(out.every((t) => t !== "")).toBe(true);
      }),
    );
  });

  const PYTHON = "/usr/bin/python3";
  const oracle = existsSync(PYTHON) && (() => {
    try {
      execFileSync(PYTHON, ["-c", "import django, tagging"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
  const run = shouldRun("django-tagging oracle", oracle, `no django-tagging for ${PYTHON}`, "apt-get install python3-django-tagging.");
  it.runIf(run)("property: equals django-tagging's parse_tag_input on inputs of spaces, commas, quotes and letters", () => {
    const inputs = fc.sample(fc.string({ unit: fc.constantFrom("a", "b", "c", " ", ",", '"', "\t", "é"), maxLength: 14 }), { numRuns: 600, seed: 11 });
    const script = `import django, json, sys
from django.conf import settings
settings.configure()
django.setup()
from tagging.utils import parse_tag_input
print(json.dumps([parse_tag_input(s) for s in json.load(sys.stdin)]))`;
    const want = JSON.parse(execFileSync(PYTHON, ["-c", script], { input: JSON.stringify(inputs), encoding: "utf8" })) as string[][];
    inputs.forEach((input, i) => expect(parseTagInput(input), JSON.stringify(input)).toEqual(want[i]));
  });
});
