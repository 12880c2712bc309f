/**
 * The `/render` bodies, written as graphite-web 1.1.10's render/views.py writes them: `json` (Python's
 * `json.dumps` with its default separators, NaN as `null`, ±Infinity as `±1e9999`, so the body is strict
 * JSON), `csv` (Excel dialect, one row per point, the time in the request's zone) and `raw`
 * (`name,start,end,step|v1,v2,…`, Python reprs).
 */
import { consolidateForMaxDataPoints } from "../../graphite/consolidate.js";
import { pyFloat, type Series } from "../../graphite/series.js";
import { zoneOffsetMs } from "../../time/time-parse.js";
import { JsonBytes } from "./json-bytes.js";

/** Python's `repr(float)`, fast for the common case (JS and Python agree on the digits between 1e-4 and 1e16). */
export function pyRepr(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e16) return Number.isInteger(v) ? `${v}.0` : String(v);
  return pyFloat(v);
}

/** Python's `json.dumps` of a string: ASCII only, every character outside space..~ escaped. */
export function pyJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export interface JsonOptions {
  maxDataPoints?: number;
  noNullPoints?: boolean;
  /** `pretty=1`: indented two spaces, as graphite-web. */
  pretty?: boolean;
}

/** One output series: its (consolidated) values, point `i` at `start + i·step`; with `keep`, only those points. */
interface Rendered {
  target: string;
  tags: Record<string, string>;
  values: Float64Array;
  count: number;
  start: number;
  step: number;
  keep?: number[];
}

function rendered(list: Series[], opts: JsonOptions): Rendered[] {
  const all: Rendered[] =
    opts.maxDataPoints !== undefined
      ? consolidateForMaxDataPoints(list, opts.maxDataPoints).map(({ series, timestamps }) => ({
          target: series.name,
          tags: series.tags,
          values: series.values,
          count: Math.min(series.values.length, timestamps.length),
          start: timestamps.length ? timestamps[0] : series.start,
          step: series.step,
        }))
      : list.map((s) => ({
          target: s.name,
          tags: s.tags,
          values: s.values,
          // graphite-web's datapoints(): values paired with start, start+step, … up to end inclusive.
          count: s.step > 0 ? Math.max(0, Math.min(s.values.length, Math.floor((s.end - s.start) / s.step) + 1)) : s.values.length,
          start: s.start,
          step: s.step,
        }));
  if (!opts.noNullPoints) return all;
  const out: Rendered[] = [];
  for (const r of all) {
    const keep: number[] = [];
    for (let i = 0; i < r.count; i++) if (r.values[i] === r.values[i]) keep.push(i);
    if (keep.length > 0) out.push({ ...r, keep });
  }
  return out;
}

/**
 * `format=json`: an array with one object per series, in target order, as text (see `renderJsonBytes`).
 */
export function renderJson(list: Series[], opts: JsonOptions = {}): string {
  const body = renderJsonBytes(list, opts);
  return typeof body === "string" ? body : body.toString("latin1");
}

/**
 * `format=json` as the bytes sent: written point by point into one buffer (the text is ASCII, every
 * string through `pyJsonString`), so a large answer makes no string per point.
 */
export function renderJsonBytes(list: Series[], opts: JsonOptions = {}): Buffer | string {
  // graphite-web's `if any(data)`: series without a single value make an empty answer.
  if (!list.some((s) => s.values.length > 0)) return "[]";
  const series = rendered(list, opts);
  if (opts.pretty) return prettyJson(series);
  let size = 2;
  for (const s of series) size += 96 + s.target.length * 2 + (s.keep ? s.keep.length : s.count) * 24;
  const out = new JsonBytes(size);
  const grids = new Map<string, { bytes: Buffer; at: Int32Array }>();
  out.byte(0x5b);
  for (let n = 0; n < series.length; n++) {
    const s = series[n];
    let tags = "";
    for (const [k, v] of Object.entries(s.tags)) tags += `${tags ? ", " : ""}${pyJsonString(k)}: ${pyJsonString(String(v))}`;
    out.text(`${n > 0 ? ", " : ""}{"target": ${pyJsonString(s.target)}, "tags": {${tags}}, "datapoints": [`);
    const { values, keep, start, step } = s;
    const count = keep ? keep.length : s.count;
    const key = `${start}:${step}`;
    let grid = grids.get(key);
    if (grid === undefined || grid.at.length - 1 < s.count) grids.set(key, (grid = timeGrid(start, step, s.count)));
    for (let j = 0; j < count; j++) {
      const i = keep ? keep[j] : j;
      const v = values[i];
      out.room(64);
      if (j > 0) {
        out.buf[out.pos++] = 0x2c;
        out.buf[out.pos++] = 0x20;
      }
      out.buf[out.pos++] = 0x5b;
      if (v !== v) out.text("null");
      else if (v === Infinity) out.text("1e9999");
      else if (v === -Infinity) out.text("-1e9999");
      else out.float(v);
      // ", <t>]" copied from the grid's bytes, made once per answer.
      const b = out.buf;
      for (let c = grid.at[i], e = grid.at[i + 1]; c < e; c++) b[out.pos++] = grid.bytes[c];
    }
    out.text("]}");
  }
  out.byte(0x5d);
  return out.bytes();
}

/** The `, <t>]` texts of points 0 … count−1 of a grid, as bytes: point i's are bytes at[i] … at[i+1]. */
function timeGrid(start: number, step: number, count: number): { bytes: Buffer; at: Int32Array } {
  const out = new JsonBytes(count * 14 + 16);
  const at = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    at[i] = out.pos;
    out.text(", ");
    out.int(start + i * step);
    out.byte(0x5d);
  }
  at[count] = out.pos;
  return { bytes: out.bytes(), at };
}

function prettyJson(series: Rendered[]): string {
  const INF = "\u0000inf\u0000";
  const NINF = "\u0000-inf\u0000";
  const value = series.map((s) => {
    const datapoints: unknown[] = [];
    for (const i of s.keep ?? Array.from({ length: s.count }, (_, k) => k)) {
      const v = s.values[i];
      datapoints.push([v !== v ? null : v === Infinity ? INF : v === -Infinity ? NINF : v, s.start + i * s.step]);
    }
    return { target: s.target, tags: s.tags, datapoints };
  });
  return JSON.stringify(value, null, 2).replaceAll(JSON.stringify(INF), "1e9999").replaceAll(JSON.stringify(NINF), "-1e9999");
}

const CSV_SPECIAL = /[",\r\n]/;

/** A field as Python's csv writer (Excel dialect, QUOTE_MINIMAL) writes it. */
function csvField(s: string): string {
  return CSV_SPECIAL.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** `YYYY-MM-DD HH:MM:SS` of a Unix time in an IANA zone. */
export function wallClock(t: number, tz: string): string {
  const ms = t * 1000;
  const d = new Date(ms + zoneOffsetMs(tz, ms));
  const p = (n: number) => String(n).padStart(2, "0");
  return `${String(d.getUTCFullYear()).padStart(4, "0")}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** `format=csv`: `name,YYYY-MM-DD HH:MM:SS,value` per point (an empty value for null), CRLF line ends. */
export function renderCsv(list: Series[], tz: string): string {
  const rows: string[] = [];
  for (const s of list) {
    const name = csvField(s.name);
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      rows.push(`${name},${wallClock(s.start + i * s.step, tz)},${v !== v ? "" : pyFloatText(v)}\r\n`);
    }
  }
  return rows.join("");
}

function pyFloatText(v: number): string {
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return pyRepr(v);
}

/** `format=raw`: `name,start,end,step|v1,v2,…` per series, `None` for null. */
export function renderRaw(list: Series[]): string {
  let out = "";
  for (const s of list) {
    const values: string[] = new Array(s.values.length);
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      values[i] = v !== v ? "None" : pyFloatText(v);
    }
    out += `${s.name},${Math.trunc(s.start)},${Math.trunc(s.end)},${Math.trunc(s.step)}|${values.join(",")}\n`;
  }
  return out;
}
