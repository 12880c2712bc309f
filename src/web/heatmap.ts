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

/** Draw columns on a canvas: rows of value ranges shaded by occurrences, and the p50/p90/p99 lines. */
export function drawHeatmap(canvas: HTMLCanvasElement, columns: readonly Column[], rows = 24): void {
  const ctx = canvas.getContext("2d")!;
  const w = (canvas.width = Math.max(300, canvas.clientWidth || 800));
  const h = (canvas.height = 320);
  ctx.clearRect(0, 0, w, h);
  const all = columns.flatMap((c) => [...c.cells.keys()]);
  if (all.length === 0 || columns.length === 0) return;
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const span = hi - lo || 1;
  const rowOf = (v: number) => Math.min(rows - 1, Math.floor(((v - lo) / span) * rows));
  const yOf = (v: number) => h - ((v - lo) / span) * (h - 10) - 5;
  const cw = w / columns.length;
  const grid = columns.map((c) => {
    const r = new Array<number>(rows).fill(0);
    for (const [v, n] of c.cells) r[rowOf(v)] += n;
    return r;
  });
  const max = Math.max(1, ...grid.flat());
  grid.forEach((r, i) =>
    r.forEach((n, j) => {
      if (n === 0) return;
      ctx.fillStyle = `rgba(37, 99, 235, ${0.15 + 0.85 * (n / max)})`;
      ctx.fillRect(i * cw, h - ((j + 1) * h) / rows, Math.ceil(cw), Math.ceil(h / rows));
    }),
  );
  PERCENTILES.forEach((p, k) => {
    ctx.strokeStyle = LINE[k];
    ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    columns.forEach((c, i) => {
      const v = cellPercentile(c.cells, p);
      if (v === null) return void (started = false);
      const x = i * cw + cw / 2;
      if (started) ctx.lineTo(x, yOf(v));
      else ctx.moveTo(x, yOf(v));
      started = true;
    });
    ctx.stroke();
    ctx.fillStyle = LINE[k];
    ctx.fillText(`p${p}`, 4 + 30 * k, 12);
  });
  ctx.fillStyle = getComputedStyle(canvas).color;
  ctx.fillText(String(hi), w - 40, 12);
  ctx.fillText(String(lo), w - 40, h - 4);
}
