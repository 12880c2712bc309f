/**
 * Render-function benchmark (in memory, no store): the function part of the render targets on
 * 1,000 series × 1,440 minute points — sumSeries + maxDataPoints 1000, aliasByNode(movingAverage(…,10),1),
 * and a 20-target panel of one series each. Fetching from a store is not measured here.
 *
 *   npx tsx bench/graphite-functions.ts [--runs 9]
 */
import { consolidateForMaxDataPoints } from "../src/graphite/consolidate.js";
import { callFunction, type EvalContext } from "../src/graphite/functions/index.js";
import { createSeries, type Series } from "../src/graphite/series.js";
import { median, printTable } from "./bench-util.js";

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 9;
const T0 = 1_795_737_600;
const DAY = 86_400;

function series(count: number, from: number): Series[] {
  return Array.from({ length: count }, (_v, k) => {
    const start = from - (from % 60);
    const n = (T0 + DAY - start) / 60;
    const values = Float64Array.from({ length: n }, (_x, i) => (i % 13 === 0 ? Number.NaN : (i * (k + 1)) % 97));
    return createSeries({ name: `app.h${k}.latency`, pathExpression: "app.*.latency", start, step: 60, values });
  });
}

const wide = series(1000, T0);
const widePreview = series(1000, T0 - 600);
const ctx: EvalContext = { from: T0, until: T0 + DAY, now: T0 + DAY, fetch: async () => widePreview };
const one = series(1, T0);

const cases: [string, () => Promise<unknown>][] = [
  ["sumSeries(app.*.latency), maxDataPoints=1000", async () => consolidateForMaxDataPoints(await callFunction(ctx, "sumSeries", [wide]), 1000)],
  ["aliasByNode(movingAverage(app.*.latency,10),1)", async () => callFunction(ctx, "aliasByNode", [await callFunction(ctx, "movingAverage", [wide, 10]), 1])],
  [
    "20 targets aliasSub(scale(x,2),…), 1,440 points",
    async () => {
      for (let i = 0; i < 20; i++) await callFunction(ctx, "aliasSub", [await callFunction(ctx, "scale", [one, 2]), "(^.*$)", "\\1 A"]);
    },
  ],
];

const rows: (string | number)[][] = [];
for (const [label, run] of cases) {
  await run();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  rows.push([label, median(times), Math.min(...times)]);
}
printTable(["functions only", "median ms", "min ms"], rows);
