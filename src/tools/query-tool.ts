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

/** A terminal chart of every entry (gaps where nothing was stored), with a legend and the time span. */
export function formatPlot(entries: readonly SeriesEntry[], height = 12): string {
  const series = entries.map((e) => e.datapoints.map(([v]) => (v === null ? Number.NaN : v)));
  if (series.every((s) => s.every((v) => Number.isNaN(v)))) return "no data in range\n";
  const chart = asciichart.plot(series, { height, colors: entries.map((_, i) => COLORS[i % COLORS.length]) });
  const all = entries.flatMap((e) => e.datapoints.map((d) => d[1]));
  const span = all.length ? `${isoMinute(Math.min(...all))} .. ${isoMinute(Math.max(...all))}` : "";
  const legend = entries.map((e, i) => `${COLORS[i % COLORS.length]}━━${asciichart.reset} ${e.stat}`).join("   ");
  return `${chart}\n${span}\n${legend}\n`;
}
