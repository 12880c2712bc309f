/**
 * Graphite's `from` / `until` / `now` / `tz` (reference §2.1), read exactly
 * as graphite-web's `parseATTime` reads them, and the whisper rule of which
 * points a range returns (§2.2).
 *
 * The grammar is small and odd (`-5m` is an error, `12am` is noon), and
 * Grafana's older releases depend on its exact forms, so it is written out
 * here rather than handed to a general date parser.
 */
import { zoneOffsetMs } from "../time/time-parse.js";
import { TorusError } from "../timeseries/errors.js";

/** Stable error codes. */
export const GraphiteTimeErrorCodes = {
  BAD_TIME: "TORUS_ERR_GRAPHITE_BAD_TIME",
  EMPTY_RANGE: "TORUS_ERR_GRAPHITE_EMPTY_RANGE",
  BAD_RANGE: "TORUS_ERR_GRAPHITE_BAD_RANGE",
} as const;

export type GraphiteTimeErrorCode = (typeof GraphiteTimeErrorCodes)[keyof typeof GraphiteTimeErrorCodes];

/** Longest time text parsed at all (checked before anything else). */
export const MAX_GRAPHITE_TIME_LENGTH = 200;
/** 9999-12-31T23:59:59Z, the last second Python's datetime (and so graphite-web) can hold. */
const MAX_SECONDS = 253_402_300_799;
/** 0001-01-01T00:00:00Z, the first. */
const MIN_SECONDS = -62_135_596_800;

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

export class GraphiteTimeError extends TorusError {
  declare readonly code: GraphiteTimeErrorCode;
  /** The parameter at fault (`from`, `until`, `now`, or a function argument). */
  declare readonly field: string;
  declare readonly value: string;

  constructor(code: GraphiteTimeErrorCode, field: string, value: string, message: string) {
    super(code, message, { field, value });
    this.name = "GraphiteTimeError";
  }
}

/** A one-line message that names the parameter and quotes the value (shortened). */
function bad(field: string, value: string, reason: string): GraphiteTimeError {
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  return new GraphiteTimeError(GraphiteTimeErrorCodes.BAD_TIME, field, value, `${field}: cannot parse time ${shown}: ${reason}`);
}

/** Thrown inside the parser with just the reason; `parseGraphiteTime` adds field and value. */
class Reason extends Error {}

export interface GraphiteTimeContext {
  /** The request's "now", Unix seconds (the `now=` parameter, or the clock). */
  now: number;
  /** IANA zone for wall-clock forms (`midnight`, `21:00_20261127`). */
  tz: string;
}

const cachedZones = new Map<string, boolean>();

/**
 * The zone to use for a request: `tz` when it names a zone, else the
 * fallback — graphite-web ignores an unknown `tz` rather than failing.
 */
export function resolveTimeZone(tz: string | undefined, fallback = "UTC"): string {
  if (tz === undefined || tz === "" || tz.length > 64) return fallback;
  let ok = cachedZones.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    if (cachedZones.size < 1_000) cachedZones.set(tz, ok);
  }
  return ok ? tz : fallback;
}

/** Wall-clock fields of an instant in `tz`. */
interface Wall {
  y: number;
  mo: number; // 1-12
  d: number;
  weekday: number; // 0 = Sunday
}

function wallOf(seconds: number, tz: string): Wall {
  const ms = seconds * 1000;
  const w = new Date(ms + zoneOffsetMs(tz, ms));
  return { y: w.getUTCFullYear(), mo: w.getUTCMonth() + 1, d: w.getUTCDate(), weekday: w.getUTCDay() };
}

function daysInMonth(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/**
 * The instant of a wall-clock time in `tz`, as pytz's `localize()` with its
 * default `is_dst=False` resolves it: a time repeated by a DST change is
 * taken in standard time (the smaller offset), and a time skipped by one
 * uses the offset from before the change.
 */
function localize(tz: string, y: number, mo: number, d: number, h: number, mi: number): number {
  if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59) {
    throw new Reason(`no such date or time (${y}-${mo}-${d} ${h}:${mi})`);
  }
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d); // (not Date.UTC: it maps years 0-99 to 19xx)
  dt.setUTCHours(h, mi, 0, 0);
  const wall = dt.getTime();
  if (tz === "UTC" || tz === "Etc/UTC") return wall / 1000;
  // DST changes are months apart: the offsets a day either side are the two candidates.
  const before = zoneOffsetMs(tz, wall - DAY * 1000);
  const after = zoneOffsetMs(tz, wall + DAY * 1000);
  const fits = [before, after].filter((o) => zoneOffsetMs(tz, wall - o) === o);
  let offset: number;
  if (fits.length === 0) offset = before; // skipped (spring forward)
  else if (fits.length === 2 && fits[0] !== fits[1]) offset = Math.min(fits[0], fits[1]); // repeated (fall back)
  else offset = fits[0];
  return (wall - offset) / 1000;
}

const DIGITS = /^\d+$/;
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** Python's `int()` on what is left of the text: digits only here (spaces and `_` are gone already). */
function int(text: string, what: string): number {
  if (!DIGITS.test(text)) throw new Reason(`expected a number for the ${what}, found ${JSON.stringify(text)}`);
  return Number(text);
}

/** graphite-web's `parseTimeReference`: a time of day and a day, in `tz`. */
function parseReference(ref: string, ctx: GraphiteTimeContext): number {
  if (ref === "" || ref === "now") return ctx.now;
  const raw = ref;
  let hour = 0;
  let minute = 0;

  // HH:MM, then am/pm right after it
  let i = ref.indexOf(":");
  if (i > 0 && i < 3) {
    hour = int(ref.slice(0, i), "hour");
    minute = int(ref.slice(i + 1, i + 3), "minute");
    ref = ref.slice(i + 3);
    if (ref.startsWith("am")) ref = ref.slice(2);
    else if (ref.startsWith("pm")) {
      hour = (hour + 12) % 24;
      ref = ref.slice(2);
    }
  }
  // Xam / XXam, Xpm / XXpm. As in graphite-web, 12am is 12:00 and 12pm is 00:00.
  i = ref.indexOf("am");
  if (i > 0 && i < 3) {
    hour = int(ref.slice(0, i), "hour");
    ref = ref.slice(i + 2);
  }
  i = ref.indexOf("pm");
  if (i > 0 && i < 3) {
    hour = (int(ref.slice(0, i), "hour") + 12) % 24;
    ref = ref.slice(i + 2);
  }
  if (ref.startsWith("noon")) {
    [hour, minute] = [12, 0];
    ref = ref.slice(4);
  } else if (ref.startsWith("midnight")) {
    [hour, minute] = [0, 0];
    ref = ref.slice(8);
  } else if (ref.startsWith("teatime")) {
    [hour, minute] = [16, 0];
    ref = ref.slice(7);
  }
  if (hour > 23 || minute > 59) throw new Reason(`no such time of day (${hour}:${minute})`);

  // The day: today in tz unless the rest names another.
  const today = wallOf(ctx.now, ctx.tz);
  let { y, mo, d } = today;
  if (ref === "yesterday" || ref === "today" || ref === "tomorrow") {
    if (ref !== "today") {
      const t = new Date(Date.UTC(y, mo - 1, d + (ref === "yesterday" ? -1 : 1)));
      [y, mo, d] = [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
    }
  } else if (ref.split("/").length === 3) {
    // MM/DD/YY or MM/DD/YYYY; a two-digit year is 1970-2069
    const [m, dd, yy] = ref.split("/").map((p, k) => int(p, ["month", "day", "year"][k]));
    let year = yy;
    if (year < 1900) year += 1900;
    if (year < 1970) year += 100;
    [y, mo, d] = [year, m, dd];
  } else if (ref.length === 8 && DIGITS.test(ref)) {
    [y, mo, d] = [Number(ref.slice(0, 4)), Number(ref.slice(4, 6)), Number(ref.slice(6, 8))];
  } else if (MONTHS.includes(ref.slice(0, 3))) {
    // a month name and a day of month, in the current year
    const two = ref.slice(-2);
    const one = ref.slice(-1);
    if (DIGITS.test(two)) d = Number(two);
    else if (DIGITS.test(one)) d = Number(one);
    else throw new Reason("a day of month must follow the month name (nov27)");
    mo = MONTHS.indexOf(ref.slice(0, 3)) + 1;
  } else if (WEEKDAYS.includes(ref.slice(0, 3))) {
    // the most recent such day, today included
    let back = today.weekday - WEEKDAYS.indexOf(ref.slice(0, 3));
    if (back < 0) back += 7;
    const t = new Date(Date.UTC(y, mo - 1, d - back));
    [y, mo, d] = [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
  } else if (ref !== "") {
    throw new Reason(`unknown day reference ${JSON.stringify(raw)}`);
  }
  return localize(ctx.tz, y, mo, d, hour, minute);
}

/** graphite-web's unit names: the first letters decide (`min…` before `mon…`; a bare `m` is neither). */
function unitSeconds(unit: string): number {
  if (unit.startsWith("s")) return 1;
  if (unit.startsWith("min")) return MINUTE;
  if (unit.startsWith("h")) return HOUR;
  if (unit.startsWith("d")) return DAY;
  if (unit.startsWith("w")) return 7 * DAY;
  if (unit.startsWith("mon")) return 30 * DAY;
  if (unit.startsWith("y")) return 365 * DAY;
  throw new Reason(`invalid offset unit ${JSON.stringify(unit)} (use s, min, h, d, w, mon or y)`);
}

function offsetSeconds(offset: string): number {
  if (offset === "") return 0;
  let sign = 1;
  let rest = offset;
  if (!/^\d/.test(rest)) {
    if (rest[0] === "+") sign = 1;
    else if (rest[0] === "-") sign = -1;
    else throw new Reason(`invalid offset ${JSON.stringify(offset)}`);
    rest = rest.slice(1);
  }
  let total = 0;
  // Terms follow each other with no separator: -1h30min.
  while (rest !== "") {
    const num = /^\d*/.exec(rest)![0];
    if (num === "") throw new Reason(`expected a whole number in offset ${JSON.stringify(offset)}`);
    rest = rest.slice(num.length);
    const unit = /^[a-zA-Z]*/.exec(rest)![0];
    rest = rest.slice(unit.length);
    total += Number(num) * unitSeconds(unit);
    if (!Number.isSafeInteger(total)) throw new Reason("offset out of range");
  }
  return sign * total;
}

/**
 * Parse an offset alone (`'1h'`, `'-1d'`, `'5min'`): the interval arguments of
 * `summarize`, `timeShift`, `movingAverage` and `hitcount`. Returns signed
 * seconds. As graphite-web, the text is taken as given: units are
 * case-sensitive here (`'1H'` is an error), unlike in `from`/`until`.
 *
 * @throws GraphiteTimeError on an unknown unit, a fraction or a missing number.
 */
export function parseTimeOffset(offset: string, field = "interval"): number {
  if (offset.length > MAX_GRAPHITE_TIME_LENGTH) throw bad(field, offset, `longer than ${MAX_GRAPHITE_TIME_LENGTH} characters`);
  try {
    return offsetSeconds(offset);
  } catch (e) {
    if (e instanceof Reason) throw bad(field, offset, e.message);
    throw e;
  }
}

/**
 * Parse one `from` / `until` / `now` value into Unix seconds (whole seconds,
 * rounded down), as graphite-web's `parseATTime`: lower-cased, with `_`, `,`
 * and spaces removed; all digits is a timestamp unless it reads as YYYYMMDD;
 * otherwise a reference and an offset split at the first `+` (or else the
 * first `-`).
 *
 * @throws GraphiteTimeError with a one-line message quoting the value.
 */
export function parseGraphiteTime(value: string, ctx: GraphiteTimeContext, field = "time"): number {
  if (value.length > MAX_GRAPHITE_TIME_LENGTH) throw bad(field, value, `longer than ${MAX_GRAPHITE_TIME_LENGTH} characters`);
  const s = value.trim().toLowerCase().replace(/[_, ]/g, "");
  try {
    let t: number;
    const yyyymmdd = s.length === 8 && Number(s.slice(0, 4)) > 1900 && Number(s.slice(4, 6)) < 13 && Number(s.slice(6)) < 32;
    if (DIGITS.test(s) && !yyyymmdd) {
      t = Number(s);
    } else {
      let ref = s;
      let offset = "";
      const cut = s.includes("+") ? s.indexOf("+") : s.indexOf("-");
      if (cut >= 0) [ref, offset] = [s.slice(0, cut), s.slice(cut)];
      t = parseReference(ref, ctx) + offsetSeconds(offset);
    }
    t = Math.floor(t);
    if (!(t >= MIN_SECONDS && t <= MAX_SECONDS)) throw new Reason("out of range (years 1 to 9999)");
    return t;
  } catch (e) {
    if (e instanceof Reason) throw bad(field, value, e.message);
    throw e;
  }
}

/** The request parameters that set the time range (strings as sent; absent is undefined). */
export interface TimeRangeParams {
  from?: string;
  until?: string;
  now?: string;
  tz?: string;
}

export interface TimeRange {
  from: number;
  until: number;
  now: number;
  tz: string;
}

/**
 * A request's range, as graphite-web's render view builds it: `now=`
 * replaces the clock, `tz=` the zone (ignored when unknown), `from`
 * defaults to `-1d` and `until` to now; a reversed range is swapped; an
 * empty one is an error.
 *
 * @param clock the current Unix time in seconds
 * @param defaultTz the configured zone (graphite-web's TIME_ZONE; `UTC` by default)
 */
export function parseTimeRange(params: TimeRangeParams, clock: number, defaultTz = "UTC"): TimeRange {
  const tz = resolveTimeZone(params.tz, defaultTz);
  const now = params.now === undefined ? Math.floor(clock) : parseGraphiteTime(params.now, { now: clock, tz }, "now");
  const ctx = { now, tz };
  const until = params.until === undefined ? now : parseGraphiteTime(params.until, ctx, "until");
  let from = parseGraphiteTime(params.from ?? "-1d", ctx, "from");
  let to = until;
  if (from > to) [from, to] = [to, from];
  if (from === to) {
    throw new GraphiteTimeError(GraphiteTimeErrorCodes.EMPTY_RANGE, "from", String(params.from ?? "-1d"), `invalid empty time range: from and until are both ${from}`);
  }
  return { from, until: to, now, tz };
}

/** The points a fetch returns: timestamps `start, start+step, …` before `end` (exclusive). */
export interface AlignedRange {
  start: number;
  end: number;
  step: number;
}

/**
 * Whisper's rule (§2.2): a `(from, until)` fetch at `step` returns the points
 * at multiples of `step` with `from < t ≤ until`: `start = floor(from/step)·step
 * + step`, `end = floor(until/step)·step + step`, and when both fall in one
 * step, the one point at `start`.
 *
 * @throws GraphiteTimeError when `until < from` or `step` is not a positive integer.
 */
export function alignRange(from: number, until: number, step: number): AlignedRange {
  if (!Number.isInteger(step) || step <= 0) throw new GraphiteTimeError(GraphiteTimeErrorCodes.BAD_RANGE, "step", String(step), `step must be a positive whole number of seconds, got ${step}`);
  if (until < from) throw new GraphiteTimeError(GraphiteTimeErrorCodes.BAD_RANGE, "from", String(from), `from (${from}) is after until (${until})`);
  const start = Math.floor(from / step) * step + step;
  let end = Math.floor(until / step) * step + step;
  if (start === end) end += step;
  return { start, end, step };
}

/**
 * Whisper's clamping before alignment: `until` after `now` becomes `now`,
 * `from` before the retention limit becomes that limit; a range entirely in
 * the future or entirely beyond retention returns nothing (null).
 *
 * @param maxRetention seconds of history kept (the coarsest archive's reach)
 */
export function clampFetchRange(from: number, until: number, now: number, maxRetention = Infinity): { from: number; until: number } | null {
  if (from > now) return null;
  const oldest = now - maxRetention;
  const to = Math.min(until, now);
  if (to < oldest) return null;
  return { from: Math.max(from, oldest), until: to };
}
