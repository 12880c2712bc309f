import { createRequire } from "node:module";
import { QueryError, QueryErrorCodes } from "../errors/query-error.js";
import { quote } from "../errors/torus-error.js";

/** What a relative or zone-less time is measured against. */
export interface TimeContext {
  /** Current Unix time in seconds. */
  now: number;
  /** IANA zone for dates written without one (config TIMEZONE; default UTC). */
  timezone: string;
}

type Chrono = typeof import("chrono-node/en");
let chrono: Chrono | null = null;
/**
 * chrono (English only) is loaded on the first phrase rather than at
 * startup: it costs ~100 ms to load, and `torus start` must be ready in
 * well under 1.5 s while most queries carry plain numbers or offsets.
 */
function phrases(): Chrono {
  return (chrono ??= createRequire(import.meta.url)("chrono-node/en") as Chrono);
}

const NUMBER = /^\d+(?:\.\d+)?$/;
const OFFSET = /^(?:now)?\s*([+-])\s*(\d+(?:\.\d+)?)\s*([a-z]+)$/i;
const ABSOLUTE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** 9999-12-31T23:59:59Z: past it no calendar or store makes sense of a time. */
const MAX_SECONDS = 253_402_300_799;
/** Longest `start`/`end`/`timestamp` text parsed at all: checked before the phrase parser sees it. */
export const MAX_TIME_LENGTH = 200;
const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

/** Graphite's offset units (`-30min`, `-1h`, `-7d`, `-1mon` = 30 days, `-1y` = 365 days). */
function unitSeconds(unit: string): number | null {
  const u = unit.toLowerCase();
  if (u === "s" || u.startsWith("sec")) return 1;
  if (u.startsWith("mon")) return 30 * DAY;
  if (u === "m" || u.startsWith("min")) return MINUTE;
  if (u === "h" || u.startsWith("hour") || u === "hr" || u === "hrs") return HOUR;
  if (u === "d" || u.startsWith("day")) return DAY;
  if (u === "w" || u.startsWith("week")) return 7 * DAY;
  if (u === "y" || u.startsWith("year")) return 365 * DAY;
  return null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds to add to UTC to get wall-clock time in `zone` at instant `utcMs`. */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  if (zone === "UTC" || zone === "Etc/UTC") return 0;
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(utcMs))) if (part.type !== "literal") p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(utcMs / 1000) * 1000;
}

/** The instant (ms) of a wall-clock time in `zone`; a time skipped or repeated by DST resolves like most libraries (the later offset). */
export function wallTimeToUtc(zone: string, y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi, s);
  const off1 = zoneOffsetMs(zone, guess);
  const t = guess - off1;
  const off2 = zoneOffsetMs(zone, t);
  return off2 === off1 ? t : guess - off2;
}

function midnight(ctx: TimeContext, dayShift: number): number {
  const nowMs = ctx.now * 1000;
  const wall = new Date(nowMs + zoneOffsetMs(ctx.timezone, nowMs));
  return wallTimeToUtc(ctx.timezone, wall.getUTCFullYear(), wall.getUTCMonth() + 1, wall.getUTCDate() + dayShift) / 1000;
}

function absolute(m: RegExpExecArray, ctx: TimeContext): number | null {
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => (m[i] === undefined ? 0 : Number(m[i])));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  // Reject 2026-02-31 and friends rather than rolling them into March.
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCMonth() !== mo - 1) return null;
  const zone = m[7];
  if (zone === undefined) return wallTimeToUtc(ctx.timezone, y, mo, d, h, mi, s) / 1000;
  const base = Date.UTC(y, mo - 1, d, h, mi, s);
  if (zone.toUpperCase() === "Z") return base / 1000;
  const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
  const minutes = Number(z[2]) * 60 + Number(z[3] ?? 0);
  return (base - (z[1] === "+" ? 1 : -1) * minutes * 60_000) / 1000;
}

function bad(field: string, text: string): QueryError {
  return new QueryError(
    400,
    QueryErrorCodes.BAD_TIME,
    `${field}: cannot parse time ${quote(text)} (use a Unix timestamp, a date like 2026-11-27 or 2026-11-27 10:30, ISO 8601, a phrase like "2 hours ago" or "yesterday", or an offset like -1h, -7d)`,
    field,
  );
}

/**
 * Parse a `start`/`end` value into whole Unix seconds. Plain numbers take a
 * fast path (dashboards send them on every refresh); then Graphite offsets,
 * the day words, absolute dates (in `ctx.timezone` unless they carry a zone),
 * and finally natural language through chrono, which must consume the whole
 * text so "blah 5 days ago" is an error rather than a guess.
 */
export function parseTime(value: string | number, field: string, ctx: TimeContext): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && Math.abs(value) <= MAX_SECONDS) return Math.floor(value);
    throw bad(field, String(value));
  }
  // chrono's cost grows with the text (~0.5 s of CPU for 14 KB), and no real time is this long.
  if (value.length > MAX_TIME_LENGTH) {
    throw new QueryError(400, QueryErrorCodes.BAD_TIME, `${field}: a time of ${value.length} characters is longer than the ${MAX_TIME_LENGTH} accepted (${quote(value)})`, field);
  }
  const text = value.trim();
  if (NUMBER.test(text)) {
    const n = Math.floor(Number(text));
    if (n <= MAX_SECONDS) return n;
    throw bad(field, value);
  }
  if (text === "") throw bad(field, value);
  const lower = text.toLowerCase();
  let out: number | null = null;
  const off = OFFSET.exec(text);
  if (off) {
    const unit = unitSeconds(off[3]);
    if (unit === null) throw bad(field, value);
    out = ctx.now + (off[1] === "-" ? -1 : 1) * Number(off[2]) * unit;
  } else if (lower === "now") {
    out = ctx.now;
  } else if (lower === "today") {
    out = midnight(ctx, 0);
  } else if (lower === "yesterday") {
    out = midnight(ctx, -1);
  } else if (lower === "tomorrow") {
    out = midnight(ctx, 1);
  } else {
    const abs = ABSOLUTE.exec(text);
    if (abs) {
      out = absolute(abs, ctx);
    } else {
      const nowMs = ctx.now * 1000;
      const results = phrases().parse(text, { instant: new Date(nowMs), timezone: zoneOffsetMs(ctx.timezone, nowMs) / 60_000 });
      const r = results[0];
      if (results.length === 1 && r.index === 0 && r.text.length === text.length) out = r.date().getTime() / 1000;
    }
  }
  if (out === null || !Number.isFinite(out) || Math.abs(out) > MAX_SECONDS) throw bad(field, value);
  return Math.floor(out);
}
