/**
 * Any arguments, to any function: the answer is series or a GraphiteFunctionError (a 400), never another
 * exception (a 500) and never a hang. Arguments are drawn from what an evaluator can hand over.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSeries, type Series } from "../series.js";
import { callFunction, functionNames, GraphiteFunctionError, type ArgValue, type EvalContext } from "./index.js";

const T0 = 1795737600;

const value = fc.oneof(fc.constant(null), fc.integer({ min: -5, max: 100 }), fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.constant(0));
const seriesArb = fc
  .record({
    node: fc.constantFrom("a.b.c", "a.x.c", "d;t=1", "scale(a.b,2)", "w.y.z.q"),
    step: fc.constantFrom(60, 120, 30),
    start: fc.constantFrom(T0, T0 + 60, T0 - 120),
    values: fc.array(value, { maxLength: 12 }),
  })
  .map(({ node, step, start, values }) => createSeries({ name: node, pathExpression: node, start, step, values }));
const listArb = fc.array(seriesArb, { maxLength: 4 });
const argArb: fc.Arbitrary<ArgValue> = fc.oneof(
  listArb,
  fc.integer({ min: -3, max: 5 }),
  fc.double({ noNaN: true, min: -10, max: 200 }),
  fc.constant(Infinity),
  fc.constantFrom("sum", "avg", "max", "5min", "1h", "-1d", "x", "", "(", "\\1", "^a", "name", "t", "now", "2d", "sumSeries", "*"),
  fc.boolean(),
  fc.constant(null),
);

function context(lists: Series[]): EvalContext {
  return {
    from: T0,
    until: T0 + 600,
    now: T0 + 600,
    fetch: async (_expr, from) => lists.map((s) => ({ ...s, start: from - (from % s.step) })),
  };
}

describe("no function crashes on arbitrary arguments", () => {
  for (const name of functionNames()) {
    if (name === "randomWalk" || name === "randomWalkFunction") continue; // random by design; covered below
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(listArb, fc.array(argArb, { maxLength: 4 }), async (first, rest) => {
          try {
            const out = await callFunction(context(first), name, [first, ...rest]);
            return Array.isArray(out);
          } catch (err) {
            if (err instanceof GraphiteFunctionError) return true;
            throw err;
          }
        }),
        { numRuns: Number(process.env.FC_RUNS ?? 40) },
      );
    });
  }
  it("randomWalk gives one series over the range", async () => {
    const [s] = await callFunction(context([]), "randomWalk", ["r"]);
    expect(s.values.length).toBe(10);
    expect(s.values[0]).toBe(0);
  });
});
