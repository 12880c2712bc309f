/** Series made from nothing over the request range: sinFunction, timeFunction, randomWalkFunction. */
import { createSeries, type Series } from "../series.js";
import { checkPoints } from "./agg.js";
import { argError } from "./errors.js";
import { opt, req } from "./params.js";
import { defineFunction, type EvalContext } from "./registry.js";

function generated(ctx: EvalContext, fn: string, name: string, step: number, f: (t: number) => number): Series {
  const n = Math.max(0, Math.ceil((ctx.until - ctx.from) / step));
  checkPoints(ctx, fn, "step", n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = f(ctx.from + i * step);
  return { ...createSeries({ name, start: ctx.from, end: ctx.until, step, values }), xFilesFactor: ctx.xFilesFactor ?? 0 };
}

defineFunction({
  name: "sinFunction",
  aliases: ["sin"],
  group: "Transform",
  description: "sin(t)·amplitude over the request range.",
  params: [req("name", "string"), opt("amplitude", "integer", 1), opt("step", "integer", 60)],
  chargesOutput: true,
  impl: (ctx, name: string, amplitude: number, step: number) => {
    if (step <= 0) throw argError("sinFunction", "step", `must be positive, got ${step}`);
    return [generated(ctx, "sinFunction", name, step, (t) => Math.sin(t) * amplitude)];
  },
});

defineFunction({
  name: "timeFunction",
  aliases: ["time"],
  group: "Transform",
  description: "The timestamp itself as the value, over the request range.",
  params: [req("name", "string"), opt("step", "integer", 60)],
  chargesOutput: true,
  impl: (ctx, name: string, step: number) => {
    if (step <= 0) throw argError("timeFunction", "step", `must be positive, got ${step}`);
    return [generated(ctx, "timeFunction", name, step, (t) => t)];
  },
});

defineFunction({
  name: "randomWalkFunction",
  aliases: ["randomWalk"],
  group: "Special",
  description: "A random walk from 0 over the request range.",
  params: [req("name", "string"), opt("step", "integer", 60)],
  chargesOutput: true,
  impl: (ctx, name: string, step: number) => {
    if (step <= 0) throw argError("randomWalkFunction", "step", `must be positive, got ${step}`);
    let current = 0;
    return [
      generated(ctx, "randomWalkFunction", name, step, () => {
        const v = current;
        current += Math.random() - 0.5;
        return v;
      }),
    ];
  },
});
