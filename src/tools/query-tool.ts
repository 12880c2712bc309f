import asciichart from "asciichart";

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

/** The `/series` URL for a request (graphite format: one number per bucket). */
export function seriesUrl(req: QueryRequest): string {
  const u = new URL("/series", req.url);
  for (const s of req.stats) u.searchParams.append("stat", s);
  for (const key of ["start", "end", "steps", "interval", "schema"] as const) {
    const v = req[key];
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
    throw new Error(`cannot reach ${req.url}: ${cause?.code === "ECONNREFUSED" ? "connection refused (is torus running?)" : (cause?.message ?? (err as Error).message)}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${req.url} answered ${res.status} with something other than JSON`);
  }
  if (!res.ok) throw new Error(`${res.status}: ${(body as { error?: string }).error ?? text.slice(0, 200)}`);
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

/**
 * asciichart draws continuous lines only, so an empty bucket is drawn at the
 * last known value (leading ones at the first), and the legend says how many
 * were filled so a flat stretch is not mistaken for data.
 */
function holdGaps(values: ReadonlyArray<number | null>): { line: number[]; filled: number } {
  const first = values.find((v) => v !== null) ?? 0;
  let last = first;
  let filled = 0;
  const line = values.map((v) => {
    if (v === null) {
      filled++;
      return last;
    }
    last = v;
    return v;
  });
  return { line, filled };
}

/** A terminal chart of every entry, with a legend and the time span. */
export function formatPlot(entries: readonly SeriesEntry[], height = 12): string {
  const withData = entries.filter((e) => e.datapoints.some(([v]) => v !== null));
  if (withData.length === 0) return "no data in range\n";
  const held = withData.map((e) => holdGaps(e.datapoints.map(([v]) => (typeof v === "number" ? v : null))));
  const all = held.flatMap((h) => h.line);
  const min = Math.min(...all);
  const max = Math.max(...all);
  const chart = asciichart.plot(
    held.map((h) => h.line),
    { height, min, max, colors: withData.map((_, i) => COLORS[i % COLORS.length]) },
  );
  const times = withData.flatMap((e) => e.datapoints.map((d) => d[1]));
  const span = `${isoMinute(Math.min(...times))} .. ${isoMinute(Math.max(...times))}`;
  const legend = withData
    .map((e, i) => `${COLORS[i % COLORS.length]}━━${asciichart.reset} ${e.stat}${held[i].filled ? ` (${held[i].filled} empty buckets drawn at the last value)` : ""}`)
    .join("   ");
  const empty = entries.filter((e) => !withData.includes(e)).map((e) => `${e.stat}: no data`);
  return `${chart}\n${span}\n${legend}\n${empty.length ? `${empty.join("\n")}\n` : ""}`;
}
