import asciichart from "asciichart";
import { ERROR_CATALOGUE, type TorusErrorCode } from "../errors/catalogue.js";
import { TorusError } from "../timeseries/errors.js";

/** One `/series` entry in graphite format, as the query tool reads it. */
export interface SeriesEntry {
  stat: string;
  stat_name: string;
  schema: string | null;
  interval: string | null;
  function: string | null;
  datapoints: Array<[number | null, number]>;
}

export interface QueryRequest {
  url: string;
  stats: readonly string[];
  start?: string;
  end?: string;
  steps?: string;
  interval?: string;
  schema?: string;
}

/**
 * The `/series` URL for a request (graphite format: one number per bucket).
 * With only a start, the range ends now: the server would otherwise count
 * the interval's default number of buckets from the start, reaching into
 * the future ("2 hours ago" at an hourly interval: 48 buckets, two days on).
 */
export function seriesUrl(req: QueryRequest): string {
  const u = new URL("/series", req.url);
  for (const s of req.stats) u.searchParams.append("stat", s);
  const end = req.end ?? (req.start !== undefined && req.steps === undefined ? "now" : undefined);
  for (const [key, v] of [["start", req.start], ["end", end], ["steps", req.steps], ["interval", req.interval], ["schema", req.schema]] as const) {
    if (v !== undefined) u.searchParams.set(key, v);
  }
  return u.toString();
}

/** Fetch entries from a running torus; errors are one line naming the server's answer. */
export async function fetchSeries(req: QueryRequest): Promise<SeriesEntry[]> {
  const url = seriesUrl(req);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new TorusError("TORUS_ERR_CLIENT_UNREACHABLE", `cannot reach ${req.url}: ${cause?.code === "ECONNREFUSED" ? "connection refused (is torus running?)" : (cause?.message ?? (err as Error).message)}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new TorusError("TORUS_ERR_CLIENT_BAD_ANSWER", `${req.url} answered ${res.status} with something other than JSON`);
  }
  if (!res.ok) {
    // The server's own code when it gave one, so a script can tell a bad stat from a down store.
    const code = (body as { code?: unknown }).code;
    const known = typeof code === "string" && Object.hasOwn(ERROR_CATALOGUE, code) ? (code as TorusErrorCode) : "TORUS_ERR_CLIENT_BAD_ANSWER";
    throw new TorusError(known, `${res.status}: ${(body as { error?: string }).error ?? text.slice(0, 200)}`);
  }
  return body as SeriesEntry[];
}

const isoMinute = (ts: number) => new Date(ts * 1000).toISOString().replace(".000Z", "Z");

function cell(v: number | null): string {
  if (v === null) return "-";
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString();
}

/** A table: one row per bucket (UTC time), one column per stat. */
export function formatTable(entries: readonly SeriesEntry[]): string {
  const times = [...new Set(entries.flatMap((e) => e.datapoints.map((d) => d[1])))].sort((a, b) => a - b);
  const byStat = entries.map((e) => new Map(e.datapoints.map(([v, t]) => [t, v])));
  const headers = ["time", ...entries.map((e) => (e.schema ? e.stat : `${e.stat} (no schema matches)`))];
  const rows = times.map((t) => [isoMinute(t), ...byStat.map((m) => cell(m.get(t) ?? null))]);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n") + "\n";
}

const COLORS = [asciichart.default, asciichart.green, asciichart.blue, asciichart.red, asciichart.magenta, asciichart.cyan, asciichart.yellow];
/** Without colours, series are told apart by their line: light, heavy, then dashed box drawing. */
const SYMBOLS = [
  ["┼", "┤", "╶", "╴", "─", "╰", "╭", "╮", "╯", "│"],
  ["┼", "┤", "╶", "╴", "━", "┗", "┏", "┓", "┛", "┃"],
  ["┼", "┤", "╶", "╴", "┄", "╰", "╭", "╮", "╯", "┆"],
];
/** asciichart's default left margin (labels and axis). */
const OFFSET = 3;

/** Colours on a terminal unless NO_COLOR is set (https://no-color.org), never into a pipe or a file. */
export function useColor(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

export interface PlotOptions {
  height?: number;
  color?: boolean;
}

/**
 * One series drawn alone by asciichart, as a grid of characters, with the
 * stretches that touch an empty bucket erased: asciichart only draws
 * continuous lines, and a line through buckets never measured would be a
 * value nobody recorded. Column `i + OFFSET` is the step from bucket i to
 * i + 1; a bucket with no neighbour to join gets a short mark of its own.
 */
function drawSeries(values: ReadonlyArray<number | null>, range: { min: number; max: number; height: number }, symbols: string[]): string[][] {
  const firstValue = values.find((v) => v !== null) ?? 0;
  let last = firstValue;
  const held = values.map((v) => (v === null ? last : (last = v)));
  const grid = asciichart.plot(held, { ...range, offset: OFFSET, symbols }).split("\n").map((row) => [...row]);
  // The same row arithmetic as asciichart's, to find where a lone bucket sits.
  const ratio = range.max !== range.min ? range.height / Math.abs(range.max - range.min) : 1;
  const min2 = Math.round(range.min * ratio);
  const rows = Math.abs(Math.round(range.max * ratio) - min2);
  const rowOf = (v: number) => rows - (Math.round(v * ratio) - min2);
  const labelWidth = grid[0].length - values.length - OFFSET; // asciichart's labels can widen the margin
  const col = (i: number) => labelWidth + i + OFFSET;
  for (let i = 0; i < values.length - 1; i++) {
    if (values[i] !== null && values[i + 1] !== null) continue;
    for (const row of grid) row[col(i)] = " ";
  }
  if (values[0] === null) for (const row of grid) if (row[col(-1)] === symbols[0]) row[col(-1)] = symbols[1];
  values.forEach((v, i) => {
    if (v !== null && (i === 0 || values[i - 1] === null) && (i === values.length - 1 || values[i + 1] === null)) grid[rowOf(v)][col(i)] = symbols[4];
  });
  return grid;
}

/** A terminal chart of every entry, with a legend and the time span; empty buckets are gaps. */
export function formatPlot(entries: readonly SeriesEntry[], options: PlotOptions | number = {}): string {
  const { height = 12, color = false } = typeof options === "number" ? { height: options } : options;
  const withData = entries.filter((e) => e.datapoints.some(([v]) => typeof v === "number"));
  if (withData.length === 0) return "no data in range\n";
  const values = withData.map((e) => e.datapoints.map(([v]) => (typeof v === "number" ? v : null)));
  const all = values.flat().filter((v): v is number => v !== null);
  const range = { min: Math.min(...all), max: Math.max(...all), height };
  const symbolsOf = (i: number) => (color ? SYMBOLS[0] : SYMBOLS[i % SYMBOLS.length]);
  const colorOf = (i: number) => COLORS[i % COLORS.length];
  const grids = values.map((v, i) => drawSeries(v, range, symbolsOf(i)));
  // Overlay the series; the labels and the axis are the same in every grid, but for where each series starts.
  const axis = grids[0][0].length - Math.max(...values.map((v) => v.length)) - 1;
  const chart = grids[0]
    .map((row, r) =>
      row
        .map((base, c) => {
          if (c < axis) return base;
          for (let i = grids.length - 1; i >= 0; i--) {
            const ch = grids[i][r]?.[c];
            if (ch === undefined || ch === " " || (c === axis && ch !== symbolsOf(i)[0])) continue;
            return color ? `${colorOf(i)}${ch}${asciichart.reset}` : ch;
          }
          return base === undefined || c > axis ? " " : base;
        })
        .join("")
        .trimEnd(),
    )
    .join("\n");
  const times = withData.flatMap((e) => e.datapoints.map((d) => d[1]));
  const span = `${isoMinute(Math.min(...times))} .. ${isoMinute(Math.max(...times))}`;
  const legend = withData
    .map((e, i) => {
      const line = symbolsOf(i)[4].repeat(2);
      const empty = values[i].filter((v) => v === null).length;
      return `${color ? `${colorOf(i)}${line}${asciichart.reset}` : line} ${e.stat}${empty ? ` (${empty} of ${values[i].length} buckets empty, left blank)` : ""}`;
    })
    .join("   ");
  const empty = entries.filter((e) => !withData.includes(e)).map((e) => `${e.stat}: no data`);
  return `${chart}\n${span}\n${legend}\n${empty.length ? `${empty.join("\n")}\n` : ""}`;
}
