/**
 * The chart itself: uPlot, loaded apart from the rest of the page (the tree
 * does not wait for it). It imports nothing else of the page, so no shared
 * file is split off that the page would have to load first.
 */
import uPlot from "uplot";
import type { RenderSeries } from "./api.js"; // a type: no code shared

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** Draw (or redraw) the chart; a drag selects a range, handed to `onZoom` in Unix seconds; `onDrawn` once it is painted. */
export function drawChart(el: HTMLElement, series: readonly RenderSeries[], colors: readonly string[], data: uPlot.AlignedData, onZoom: (from: number, until: number) => void, old: uPlot | null, onDrawn: () => void = () => {}): uPlot {
  old?.destroy();
  const axis = { stroke: cssVar("--fg"), grid: { stroke: cssVar("--line") }, ticks: { stroke: cssVar("--line") } };
  const opts: uPlot.Options = {
    width: Math.max(300, el.clientWidth),
    height: 360,
    legend: { show: false },
    cursor: { drag: { x: true, y: false, setScale: false } },
    // The value axis as wide as its longest label (uPlot's fixed 50 px cuts 1,764,000,000 to "0,000").
    axes: [axis, { ...axis, size: (_u: uPlot, values: string[] | null) => (values ? Math.max(40, 18 + 7 * Math.max(0, ...values.map((v) => v.length))) : 50) }],
    series: [{}, ...series.map((s, i) => ({ label: s.target, stroke: colors[i], width: 1.5, spanGaps: false }))],
    hooks: {
      // uPlot paints after its constructor returns (in a microtask): this is when the lines are on the canvas.
      draw: [() => onDrawn()],
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
