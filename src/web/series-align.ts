import type { AlignedData } from "uplot";
import type { RenderSeries } from "./api.js";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c", "#4f46e5"];
export const colorOf = (i: number) => COLORS[i % COLORS.length];

/** Several render series on one time axis: the union of their timestamps, null where a series has none. */
export function alignSeries(series: readonly RenderSeries[]): AlignedData {
  const times = [...new Set(series.flatMap((s) => s.datapoints.map((p) => p[1])))].sort((a, b) => a - b);
  const at = new Map(times.map((t, i) => [t, i]));
  const columns = series.map((s) => {
    const col: Array<number | null> = new Array(times.length).fill(null);
    for (const [v, t] of s.datapoints) col[at.get(t)!] = v;
    return col;
  });
  return [times, ...columns] as AlignedData;
}
