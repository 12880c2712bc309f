/** A histogram schema's stored cells per bucket (`/series?format=json`), drawn as a heatmap with percentile lines. */

export type Cells = Map<number, number>;
export interface Column { t: number; cells: Cells }

/** `/series` datapoints — `{t: {value: n}}`, `[[{value: n}, t], ...]` or, with sub-buckets, `{t: {sub: {value: n}}}` — as one column per bucket. */
export function toColumns(datapoints: unknown): Column[] {
  const add = (into: Cells, data: unknown) => {
    if (data === null || typeof data !== "object") return;
    for (const [v, n] of Object.entries(data as Record<string, unknown>)) if (typeof n === "number" && Number.isFinite(Number(v))) into.set(Number(v), (into.get(Number(v)) ?? 0) + n);
  };
  const out: Column[] = [];
  if (Array.isArray(datapoints)) {
    for (const [data, t] of datapoints as Array<[unknown, number]>) {
      const cells: Cells = new Map();
      add(cells, data);
      out.push({ t, cells });
    }
  } else if (datapoints && typeof datapoints === "object") {
    for (const [t, subs] of Object.entries(datapoints as Record<string, Record<string, unknown>>)) {
      const cells: Cells = new Map();
      const inner = Object.values(subs ?? {});
      // Cells hold numbers; sub-buckets hold cells.
      if (inner.some((x) => typeof x === "number")) add(cells, subs);
      else for (const data of inner) add(cells, data);
      out.push({ t: Number(t), cells });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

/** The exact p-th percentile (nearest rank) of cells; null when empty. */
export function cellPercentile(cells: Cells, p: number): number | null {
  const values = [...cells.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = values.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [v, n] of values) if ((seen += n) >= rank) return v;
  return values[values.length - 1][0];
}

export const PERCENTILES = [50, 90, 99] as const;
const LINE = ["#16a34a", "#d97706", "#dc2626"];

/** Round tick values between lo and hi, about `count` of them (1, 2 or 5 times a power of ten apart). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  // Multiples of the step, rounded to 15 digits so 3 × 0.2 reads 0.6.
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(15)));
  return out;
}

/** Where the heatmap drew, in CSS pixels: the plot box (cells fill it), the value-axis labels and the rows. */
export interface HeatmapLayout { plot: { x: number; y: number; w: number; h: number }; valueTicks: Array<{ value: number; label: string; y: number }>; rows: number; lo: number; hi: number }

const MARGIN = { left: 56, right: 8, top: 18, bottom: 22 };

/**
 * Draw columns on a canvas: one row per value range, shaded by
 * occurrences, filling the whole plot box; the value axis labelled on the
 * left, times below; and the p50/p90/p99 lines through the rows they fall in.
 */
export function drawHeatmap(canvas: HTMLCanvasElement, columns: readonly Column[], maxRows = 24, label: (v: number) => string = String): HeatmapLayout | null {
  const ctx = canvas.getContext("2d")!;
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(300, canvas.clientWidth || 800);
  const h = Math.max(200, canvas.clientHeight || 320);
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const all = columns.flatMap((c) => [...c.cells.keys()]);
  if (all.length === 0 || columns.length === 0) return null;
  let lo = Infinity, hi = -Infinity;
  for (const v of all) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  // Rows are centred on evenly spaced values from lo to hi, so both ends get a whole row.
  // Whole-number values (milliseconds, counts) get a row each when there are few enough: no row holds two.
  const rows = hi === lo ? 1 : all.every(Number.isInteger) && hi - lo + 1 <= 3 * maxRows ? hi - lo + 1 : maxRows;
  const bw = rows === 1 ? 1 : (hi - lo) / (rows - 1);
  const bottom = lo - bw / 2, top = hi + bw / 2;
  const plot = { x: MARGIN.left, y: MARGIN.top, w: w - MARGIN.left - MARGIN.right, h: h - MARGIN.top - MARGIN.bottom };
  const yOf = (v: number) => plot.y + plot.h - ((v - bottom) / (top - bottom)) * plot.h;
  const rowOf = (v: number) => Math.min(rows - 1, Math.max(0, Math.round((v - lo) / bw)));
  const cw = plot.w / columns.length;
  const grid = columns.map((c) => {
    const r = new Array<number>(rows).fill(0);
    for (const [v, n] of c.cells) r[rowOf(v)] += n;
    return r;
  });
  let max = 1;
  for (const r of grid) for (const n of r) max = Math.max(max, n);
  const rh = plot.h / rows;
  grid.forEach((r, i) =>
    r.forEach((n, j) => {
      if (n === 0) return;
      ctx.fillStyle = `rgba(37, 99, 235, ${0.12 + 0.88 * (n / max)})`;
      // Whole pixels, overlapping by one, so no hairline gaps show between cells.
      const x0 = Math.floor(plot.x + i * cw), x1 = Math.ceil(plot.x + (i + 1) * cw);
      const y0 = Math.floor(plot.y + plot.h - (j + 1) * rh), y1 = Math.ceil(plot.y + plot.h - j * rh);
      ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    }),
  );
  const fg = getComputedStyle(canvas).color;
  const line = getComputedStyle(document.documentElement).getPropertyValue("--line").trim() || "#ccc";
  ctx.strokeStyle = line;
  ctx.lineWidth = 1;
  ctx.strokeRect(plot.x + 0.5, plot.y + 0.5, plot.w - 1, plot.h - 1);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = fg;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  const valueTicks = niceTicks(lo, hi, Math.max(2, Math.floor(plot.h / 40))).map((value) => ({ value, label: label(value), y: yOf(value) }));
  for (const t of valueTicks) {
    ctx.fillText(t.label, plot.x - 6, t.y);
    ctx.beginPath();
    ctx.moveTo(plot.x - 3, Math.round(t.y) + 0.5);
    ctx.lineTo(plot.x, Math.round(t.y) + 0.5);
    ctx.stroke();
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const every = Math.max(1, Math.ceil(columns.length / Math.max(1, Math.floor(plot.w / 80))));
  for (let i = 0; i < columns.length; i += every) {
    const d = new Date(columns[i].t * 1000);
    ctx.fillText(`${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`, plot.x + (i + 0.5) * cw, plot.y + plot.h + 5);
  }
  PERCENTILES.forEach((p, k) => {
    ctx.strokeStyle = LINE[k];
    ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    columns.forEach((c, i) => {
      const v = cellPercentile(c.cells, p);
      if (v === null) return void (started = false);
      const x = plot.x + (i + 0.5) * cw;
      if (started) ctx.lineTo(x, yOf(v));
      else ctx.moveTo(x, yOf(v));
      started = true;
    });
    ctx.stroke();
    ctx.fillStyle = LINE[k];
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    ctx.fillText(`p${p}`, plot.x + 4 + 30 * k, 12);
  });
  return { plot, valueTicks, rows, lo, hi };
}
