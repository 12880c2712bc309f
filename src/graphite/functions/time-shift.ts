/** Functions that re-fetch their argument over a shifted range, or cut it (reference §6.2): timeShift, timeStack, timeSlice. */
import { derive, NULL, type Series } from "../series.js";
import { dateArg, parseInterval } from "./agg.js";
import { opt, req, seriesList } from "./params.js";
import { defineFunction, refetch } from "./registry.js";

/** `'1d'` → `'-1d'`: a shift with no sign means the past. */
function signedShift(text: string): string {
  return /^[0-9]/.test(text) ? `-${text}` : text;
}

defineFunction({
  name: "timeShift",
  group: "Transform",
  description: "Re-fetches the series shifted in time (no sign means the past) and re-bases it to the original start.",
  params: [seriesList, req("timeShift", "interval"), opt("resetEnd", "boolean", true), opt("alignDst", "boolean", false, { argName: "alignDST" })],
  impl: async (ctx, list: Series[], shiftText: string, resetEnd: boolean) => {
    if (list.length === 0) return [];
    const shift = signedShift(shiftText);
    const delta = parseInterval(shift, "timeShift", "timeShift");
    const first = list[0];
    return (await refetch(ctx, list, ctx.from + delta, ctx.until + delta)).map((s) => {
      const out = derive(s, s.values, `timeShift(${s.name}, "${shift}")`, {
        keepPath: true,
        start: first.start,
        end: resetEnd === false ? s.end - s.start + first.start : first.end,
      });
      out.tags.timeShift = shift;
      return out;
    });
  },
});

defineFunction({
  name: "timeStack",
  group: "Transform",
  description: "timeShift by unit×k for k in [start, end), all in one list.",
  params: [seriesList, opt("timeShiftUnit", "interval", "1d"), opt("timeShiftStart", "integer", 0), opt("timeShiftEnd", "integer", 7)],
  impl: async (ctx, list: Series[], unitText: string, from: number, to: number) => {
    if (list.length === 0) return [];
    const unit = signedShift(unitText);
    const delta = parseInterval(unit, "timeStack", "timeShiftUnit");
    const first = list[0];
    const out: Series[] = [];
    for (let k = Math.trunc(from); k < Math.trunc(to); k++) {
      for (const s of await refetch(ctx, list, ctx.from + delta * k, ctx.until + delta * k)) {
        const r = derive(s, s.values, `timeShift(${s.name}, ${unit}, ${k})`, { start: first.start, end: first.end });
        r.tags.timeShiftUnit = unit;
        r.tags.timeShift = String(k);
        out.push(r);
      }
    }
    return out;
  },
});

defineFunction({
  name: "timeSlice",
  group: "Transform",
  description: "Values outside [startSliceAt, endSliceAt] become null.",
  params: [seriesList, req("startSliceAt", "date"), opt("endSliceAt", "date", "now")],
  impl: (ctx, list: Series[], startAt: string | number, endAt: string | number) => {
    const start = Math.trunc(dateArg(ctx, startAt, "timeSlice", "startSliceAt"));
    const end = Math.trunc(dateArg(ctx, endAt, "timeSlice", "endSliceAt"));
    return list.map((s) => {
      // graphite-web counts from the request start, not the series start.
      const values = Float64Array.from(s.values, (v, i) => {
        const t = ctx.from + i * s.step;
        return t < start || t > end ? NULL : v;
      });
      const r = derive(s, values, `timeSlice(${s.name}, ${start}, ${end})`, { keepPath: true });
      r.tags.timeSliceStart = String(start);
      r.tags.timeSliceEnd = String(end);
      return r;
    });
  },
});
