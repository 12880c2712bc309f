import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  GraphiteTimeError,
  GraphiteTimeErrorCodes,
  MAX_GRAPHITE_TIME_LENGTH,
  alignRange,
  clampFetchRange,
  parseGraphiteTime,
  parseTimeOffset,
  parseTimeRange,
  resolveTimeZone,
} from "./graphite-time.js";

// Reference §2.1: now = 1795738200 = Friday 2026-11-27 00:10 UTC, TIME_ZONE = UTC.
const NOW = 1795738200;
const UTC = { now: NOW, tz: "UTC" };
const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi) / 1000;
const MIDNIGHT = utc(2026, 11, 27);
const DAY = 86_400;

describe("parseGraphiteTime: the forms of reference §2.1 (now = 1795738200, UTC)", () => {
  it.each<[string, number]>([
    // the verified results the reference gives
    ["-1h", 1795734600],
    ["-1y", 1764202200],
    ["21:00_20261127", 1795813200],
    ["20261127", 1795737600],
    ["yesterday", 1795651200],
    // now and relative offsets
    ["now", NOW],
    ["", NOW],
    ["NOW", NOW],
    ["-10min", NOW - 600],
    ["-1d", NOW - DAY],
    ["-2d", NOW - 2 * DAY],
    ["-1w", NOW - 7 * DAY],
    ["-30s", NOW - 30],
    ["-1mon", NOW - 30 * DAY],
    ["now-10min", NOW - 600],
    ["now-1d", NOW - DAY],
    ["+5min", NOW + 300],
    ["now+1h", NOW + 3600],
    ["-1h30min", NOW - 5400],
    ["-2hours", NOW - 7200],
    ["-3minutes", NOW - 180],
    ["-10seconds", NOW - 10],
    ["-1months", NOW - 30 * DAY],
    ["-2years", NOW - 730 * DAY],
    ["- 1 h", NOW - 3600], // spaces are removed first
    ["-1_h", NOW - 3600],
    ["now-", NOW], // an empty offset is nothing
    // unix seconds; 8 digits that look like YYYYMMDD are a date
    ["1795737600", 1795737600],
    ["0", 0],
    ["12345678", 12345678], // year 1234 is not > 1900: a timestamp
    ["19001231", 19001231], // year 1900 is not > 1900 either
    ["20261399", 20261399], // month 13: a timestamp
    ["1,795,737,600", 1795737600], // commas are removed
    // absolute dates
    ["11/27/26", MIDNIGHT],
    ["11/27/2026", MIDNIGHT],
    ["11/27/69", utc(2069, 11, 27)], // two-digit years are 1970-2069
    ["11/27/70", utc(1970, 11, 27)],
    ["nov27", MIDNIGHT],
    ["november27", MIDNIGHT],
    ["Nov 27", MIDNIGHT],
    ["jan5", utc(2026, 1, 5)],
    ["21:00_11/27/26", utc(2026, 11, 27, 21)],
    ["12:30_nov27", utc(2026, 11, 27, 12, 30)],
    ["20261127-1d", MIDNIGHT - DAY],
    ["20261127+6h", MIDNIGHT + 6 * 3600],
    // times of day, today
    ["midnight", MIDNIGHT],
    ["noon", MIDNIGHT + 12 * 3600],
    ["teatime", MIDNIGHT + 16 * 3600],
    ["3:00pm", MIDNIGHT + 15 * 3600],
    ["3:00am", MIDNIGHT + 3 * 3600],
    ["8am", MIDNIGHT + 8 * 3600],
    ["8pm", MIDNIGHT + 20 * 3600],
    ["12am", MIDNIGHT + 12 * 3600], // graphite-web's own reading: 12am is noon…
    ["12pm", MIDNIGHT], // …and 12pm is midnight
    ["9:05", MIDNIGHT + 9 * 3600 + 300],
    // day references
    ["today", MIDNIGHT],
    ["tomorrow", MIDNIGHT + DAY],
    ["noon yesterday", MIDNIGHT - DAY + 12 * 3600],
    ["noon_tomorrow", MIDNIGHT + DAY + 12 * 3600],
    ["midnight-1d", MIDNIGHT - DAY],
    ["yesterday+1h", MIDNIGHT - DAY + 3600],
    ["friday", MIDNIGHT], // today is a Friday: the most recent Friday is today
    ["monday", MIDNIGHT - 4 * DAY],
    ["mon", MIDNIGHT - 4 * DAY],
    ["saturday", MIDNIGHT - 6 * DAY],
    ["thu", MIDNIGHT - DAY],
    ["8am_monday", MIDNIGHT - 4 * DAY + 8 * 3600],
  ])("%j", (value, expected) => {
    expect(parseGraphiteTime(value, UTC)).toBe(expected);
  });

  it("says 3:00pm is later than now, as the reference notes", () => {
    expect(parseGraphiteTime("3:00pm", UTC)).toBeGreaterThan(NOW);
  });

  it("drops fractions of a second of now", () => {
    expect(parseGraphiteTime("-1h", { now: NOW + 0.75, tz: "UTC" })).toBe(NOW - 3600);
  });
});

describe("parseGraphiteTime: tz", () => {
  // 2026-11-27 00:10 UTC is 2026-11-26 19:10 in New York (EST, UTC-5) and 01:10 in Paris (CET, UTC+1).
  const NY = { now: NOW, tz: "America/New_York" };
  const PARIS = { now: NOW, tz: "Europe/Paris" };
  it.each<[string, { now: number; tz: string }, number]>([
    ["midnight", NY, utc(2026, 11, 26, 5)],
    ["today", NY, utc(2026, 11, 26, 5)],
    ["yesterday", NY, utc(2026, 11, 25, 5)],
    ["thursday", NY, utc(2026, 11, 26, 5)], // still Thursday there
    ["21:00_20261127", NY, utc(2026, 11, 28, 2)],
    ["21:00_20261127", PARIS, 1795813200 - 3600],
    ["20260701", PARIS, utc(2026, 6, 30, 22)], // summer time, UTC+2
    ["midnight", PARIS, utc(2026, 11, 26, 23)],
    ["-1h", NY, NOW - 3600], // offsets do not depend on the zone
    ["1795737600", NY, 1795737600],
    // DST: New York springs forward 2026-03-08 02:00 → 03:00 and falls back 2026-11-01 02:00 → 01:00
    ["02:30_20260308", NY, utc(2026, 3, 8, 7, 30)], // a skipped time takes the offset before the change (pytz is_dst=False)
    ["03:30_20260308", NY, utc(2026, 3, 8, 7, 30)],
    ["01:30_20261101", NY, utc(2026, 11, 1, 6, 30)], // a repeated time is taken in standard time
    ["00:30_20261101", NY, utc(2026, 11, 1, 4, 30)],
    ["20260308+12h", NY, utc(2026, 3, 8, 5) + 12 * 3600], // offsets are elapsed seconds, across the change too
  ])("%j in %j", (value, ctx, expected) => {
    expect(parseGraphiteTime(value, ctx)).toBe(expected);
  });

  it("ignores an unknown zone, as graphite-web does", () => {
    expect(resolveTimeZone("Mars/Olympus_Mons")).toBe("UTC");
    expect(resolveTimeZone("Mars/Olympus_Mons", "Europe/Paris")).toBe("Europe/Paris");
    expect(resolveTimeZone(undefined, "Europe/Paris")).toBe("Europe/Paris");
    expect(resolveTimeZone("")).toBe("UTC");
    expect(resolveTimeZone("America/New_York")).toBe("America/New_York");
    expect(parseTimeRange({ from: "midnight", tz: "Nowhere/Else" }, NOW).from).toBe(MIDNIGHT);
  });
});

describe("parseGraphiteTime: bad input", () => {
  it.each<[string, RegExp]>([
    ["-5m", /invalid offset unit "m" \(use s, min, h, d, w, mon or y\)/],
    ["-1.5h", /invalid offset unit ""/], // integers only: ".5h" leaves no unit after "1"
    ["-5", /invalid offset unit ""/], // a bare number has no unit
    ["-h", /expected a whole number in offset "-h"/],
    ["-1h-30min", /expected a whole number/],
    ["-1mo", /invalid offset unit "mo"/],
    ["2026-11-27", /unknown day reference "2026"/],
    ["2026-11-27T10:00:00Z", /./],
    ["last week", /unknown day reference "lastweek"/],
    ["nov", /a day of month must follow the month name/],
    ["feb30", /no such date/],
    ["20260231", /no such date/],
    ["13/01/26", /no such date/],
    ["11/27/x", /expected a number for the year/],
    ["25:00", /no such time of day/],
    ["10:75", /no such time of day/],
    ["3:", /expected a number for the minute/],
    ["xx:00", /expected a number for the hour, found "xx"/],
    ["99999999999999", /out of range/],
    ["-99999999y", /out of range/],
    ["now-999999999999999999999y", /out of range/],
    ["abc", /unknown day reference "abc"/],
  ])("%j", (value, reason) => {
    let error: unknown;
    try {
      parseGraphiteTime(value, UTC, "from");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraphiteTimeError);
    const e = error as GraphiteTimeError;
    expect(e.code).toBe(GraphiteTimeErrorCodes.BAD_TIME);
    expect(e.field).toBe("from");
    expect(e.message).toMatch(reason);
    expect(e.message).toContain(`from: cannot parse time ${JSON.stringify(value)}`);
    expect(e.message).not.toContain("\n");
  });

  it("caps the length before parsing", () => {
    const long = `-${"1".repeat(MAX_GRAPHITE_TIME_LENGTH)}h`;
    expect(() => parseGraphiteTime(long, UTC, "until")).toThrow(/until: cannot parse time ".*\.\.\.": longer than 200 characters/);
    expect(() => parseGraphiteTime("1".repeat(MAX_GRAPHITE_TIME_LENGTH), UTC)).toThrow(/out of range/); // at the cap it is parsed
  });

  it("throws nothing but GraphiteTimeError on arbitrary text", () => {
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: fc.constantFrom(..."0123456789:/+-_ amphinoswdyte".split("")), maxLength: 20 }));
    fc.assert(
      fc.property(text, fc.constantFrom("UTC", "America/New_York", "Australia/Lord_Howe"), (value, tz) => {
        try {
          const t = parseGraphiteTime(value, { now: NOW, tz });
          expect(Number.isInteger(t)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(GraphiteTimeError);
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it("reads every offset it can print: -<n><unit> is now minus n units", () => {
    const units: Array<[string, number]> = [["s", 1], ["min", 60], ["h", 3600], ["d", DAY], ["w", 7 * DAY], ["mon", 30 * DAY], ["y", 365 * DAY]];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000 }), fc.constantFrom(...units), fc.constantFrom("-", "+"), (n, [unit, secs], sign) => {
        expect(parseGraphiteTime(`${sign}${n}${unit}`, UTC)).toBe(NOW + (sign === "-" ? -1 : 1) * n * secs);
      }),
    );
  });
});

describe("parseTimeOffset (function interval arguments)", () => {
  it.each<[string, number]>([
    ["1h", 3600],
    ["5min", 300],
    ["-1d", -DAY],
    ["+2w", 14 * DAY],
    ["1h30min", 5400],
    ["10seconds", 10],
    ["1y", 365 * DAY],
    ["", 0],
  ])("%j", (value, expected) => {
    expect(parseTimeOffset(value)).toBe(expected);
  });

  it.each(["5m", "1.5h", "h", "1H", "x1h", "1h 30min"])("rejects %j", (value) => {
    expect(() => parseTimeOffset(value, "summarize interval")).toThrow(GraphiteTimeError);
    expect(() => parseTimeOffset(value, "summarize interval")).toThrow(/^summarize interval: cannot parse time/);
  });
});

describe("parseTimeRange", () => {
  it("defaults to from=-1d, until=now", () => {
    expect(parseTimeRange({}, NOW)).toEqual({ from: NOW - DAY, until: NOW, now: NOW, tz: "UTC" });
    expect(parseTimeRange({}, NOW + 0.9)).toEqual({ from: NOW - DAY, until: NOW, now: NOW, tz: "UTC" }); // whole seconds
  });

  it("takes now= as the clock for every other value", () => {
    expect(parseTimeRange({ now: "1795737600", from: "-1h" }, 42)).toEqual({ from: 1795734000, until: 1795737600, now: 1795737600, tz: "UTC" });
    expect(parseTimeRange({ now: "-1h" }, NOW).until).toBe(NOW - 3600);
  });

  it("swaps a reversed range and refuses an empty one", () => {
    expect(parseTimeRange({ from: "now", until: "-1h" }, NOW)).toMatchObject({ from: NOW - 3600, until: NOW });
    expect(() => parseTimeRange({ from: "-1h", until: "-60min" }, NOW)).toThrow(expect.objectContaining({ code: GraphiteTimeErrorCodes.EMPTY_RANGE }));
    expect(() => parseTimeRange({ from: "1795737600", until: "1795737600" }, NOW)).toThrow(/invalid empty time range/);
  });

  it("names the parameter at fault", () => {
    expect(() => parseTimeRange({ until: "-5m" }, NOW)).toThrow(/^until: /);
    expect(() => parseTimeRange({ now: "soon" }, NOW)).toThrow(/^now: /);
  });

  it("applies tz to the wall-clock forms", () => {
    expect(parseTimeRange({ from: "midnight", until: "noon", tz: "America/New_York" }, NOW)).toMatchObject({
      from: utc(2026, 11, 26, 5),
      until: utc(2026, 11, 26, 17),
      tz: "America/New_York",
    });
  });
});

describe("alignRange: whisper's points (reference §2.2)", () => {
  const T0 = 1795737600; // a multiple of 60
  it.each<[number, number, number, number[]]>([
    [T0, T0 + 300, 60, [T0 + 60, T0 + 120, T0 + 180, T0 + 240, T0 + 300]],
    [T0 + 30, T0 + 90, 60, [T0 + 60]],
    [T0 + 1, T0 + 2, 60, [T0 + 60]], // both in one step: the one next point, even after until
    [T0, T0, 60, [T0 + 60]],
    [T0 - 1, T0, 60, [T0]],
    [T0 + 59, T0 + 61, 60, [T0 + 60]],
    [T0, T0 + 3600, 3600, [T0 + 3600]],
    [-90, 30, 60, [-60, 0]],
  ])("from %d until %d step %d", (from, until, step, points) => {
    const r = alignRange(from, until, step);
    const got: number[] = [];
    for (let t = r.start; t < r.end; t += r.step) got.push(t);
    expect(got).toEqual(points);
    expect(r.step).toBe(step);
  });

  it("returns exactly the multiples of step in (from, until], or the one next point", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e5 }), fc.constantFrom(1, 10, 60, 300, 3600), (from, len, step) => {
        const until = from + len;
        const r = alignRange(from, until, step);
        const expected: number[] = [];
        for (let t = Math.ceil((from + 1) / step) * step; t <= until; t += step) expected.push(t);
        if (expected.length === 0) expected.push(Math.floor(from / step) * step + step);
        expect(r.start).toBe(expected[0]);
        expect((r.end - r.start) / step).toBe(expected.length);
      }),
    );
  });

  it("refuses a reversed range or a bad step", () => {
    expect(() => alignRange(10, 5, 60)).toThrow(expect.objectContaining({ code: GraphiteTimeErrorCodes.BAD_RANGE }));
    expect(() => alignRange(0, 5, 0)).toThrow(/positive whole number/);
    expect(() => alignRange(0, 5, 1.5)).toThrow(/positive whole number/);
  });
});

describe("clampFetchRange", () => {
  it("clamps until to now and from to the retention, and drops ranges wholly outside", () => {
    expect(clampFetchRange(100, 500, 400)).toEqual({ from: 100, until: 400 });
    expect(clampFetchRange(100, 300, 400, 200)).toEqual({ from: 200, until: 300 });
    expect(clampFetchRange(500, 600, 400)).toBeNull(); // in the future
    expect(clampFetchRange(100, 150, 400, 200)).toBeNull(); // beyond retention
  });
});
