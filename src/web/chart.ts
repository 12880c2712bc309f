import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { RenderSeries } from "./api.js";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c", "#4f46e5"];
export const colorOf = (i: number) => COLORS[i % COLORS.length];

/** Several render series on one time axis: the union of their timestamps, null where a series has none. */
export function alignSeries(series: readonly RenderSeries[]): uPlot.AlignedData {
  const times = [...new Set(series.flatMap((s) => s.datapoints.map((p) => p[1])))].sort((a, b) => a - b);
  const at = new Map(times.map((t, i) => [t, i]));
  const columns = series.map((s) => {
    const col: Array<number | null> = new Array(times.length).fill(null);
    for (const [v, t] of s.datapoints) col[at.get(t)!] = v;
    return col;
  });
  return [times, ...columns] as uPlot.AlignedData;
}

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** Draw (or redraw) the chart; a drag selects a range, handed to `onZoom` in Unix seconds. */
export function drawChart(el: HTMLElement, series: readonly RenderSeries[], data: uPlot.AlignedData, onZoom: (from: number, until: number) => void, old: uPlot | null): uPlot {
  old?.destroy();
  const axis = { stroke: cssVar("--fg"), grid: { stroke: cssVar("--line") }, ticks: { stroke: cssVar("--line") } };
  const opts: uPlot.Options = {
    width: Math.max(300, el.clientWidth),
    height: 360,
    legend: { show: false },
    cursor: { drag: { x: true, y: false, setScale: false } },
    axes: [axis, axis],
    series: [{}, ...series.map((s, i) => ({ label: s.target, stroke: colorOf(i), width: 1.5, spanGaps: false }))],
    hooks: {
      setSelect: [
        (u: uPlot) => {
          if (u.select.width < 2) return;
          const from = Math.floor(u.posToVal(u.select.left, "x"));
          const until = Math.ceil(u.posToVal(u.select.left + u.select.width, "x"));
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          onZoom(from, until);
        },
      ],
    },
  };
  return new uPlot(opts, data, el);
}
