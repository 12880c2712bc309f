import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCodes } from "./errors.js";
import { Interval, parseCalendar } from "./intervals.js";

const DAY = 86_400;
const utc = (...a: [number, number, number, number?, number?, number?]) => Date.UTC(...a) / 1000;

describe("parseCalendar", () => {
  it.each([
    [60, 60],
    ["60", 60],
    ["90s", 90],
    ["1h", 3_600],
    ["6h", 6 * 3_600],
    ["2d", 2 * DAY],
    ["1w", 7 * DAY],
    ["1m", 30 * DAY],
    ["1y", 365 * DAY],
  ])("%j is %d seconds", (spec, seconds) => {
    const cal = parseCalendar(spec, "step");
    expect(cal.seconds).toBe(seconds);
    expect(cal.gregorian).toBe(false);
    expect(cal.start(cal.index(1_000_000_007))).toBe(Math.floor(1_000_000_007 / seconds) * seconds);
  });

  it.each(["daily", "weekly", "monthly", "yearly"])("%s is Gregorian", (spec) => {
    expect(parseCalendar(spec, "step").gregorian).toBe(true);
  });

  it.each([[0], [-60], [1.5], ["1x"], ["h"], [""], ["fortnightly"], [null], [undefined], [{}], [Number.NaN], ["1e3"]])("rejects %j naming the field", (bad) => {
    expect(() => parseCalendar(bad, 'schema "t": interval "i": step')).toThrow(
      expect.objectContaining({ code: ErrorCodes.BAD_INTERVAL, field: 'schema "t": interval "i": step', value: bad }),
    );
  });
});

describe("Gregorian calendars (UTC)", () => {
  const cases: Array<[string, number, number, number]> = [
    // spec, time, expected bucket start, expected duration
    ["daily", utc(2026, 10, 27, 23, 59, 59), utc(2026, 10, 27), DAY],
    ["weekly", utc(2026, 10, 27, 12), utc(2026, 10, 23), 7 * DAY], // Fri → Monday 23rd
    ["weekly", utc(2026, 10, 23, 0, 0, 0), utc(2026, 10, 23), 7 * DAY], // Monday midnight starts a week
    ["weekly", utc(2026, 10, 22, 23, 59, 59), utc(2026, 10, 16), 7 * DAY], // Sunday belongs to the week before
    ["weekly", 0, utc(1969, 11, 29), 7 * DAY], // the epoch was a Thursday
    ["monthly", utc(2024, 1, 29, 8), utc(2024, 1, 1), 29 * DAY], // leap February
    ["monthly", utc(2026, 1, 10), utc(2026, 1, 1), 28 * DAY],
    ["monthly", utc(2026, 11, 31, 23, 59, 59), utc(2026, 11, 1), 31 * DAY],
    ["yearly", utc(2024, 6, 1), utc(2024, 0, 1), 366 * DAY],
    ["yearly", utc(2026, 0, 1), utc(2026, 0, 1), 365 * DAY],
  ];
  it.each(cases)("%s: %d → %d", (spec, t, start, duration) => {
    const cal = parseCalendar(spec, "step");
    const i = cal.index(t);
    expect(cal.start(i)).toBe(start);
    expect(cal.duration(i)).toBe(duration);
    expect(cal.start(i + 1)).toBe(start + duration);
  });

  it("property: every time falls in exactly the bucket its index names", () => {
    for (const spec of ["daily", "weekly", "monthly", "yearly", 60, "1h", "1m"]) {
      const cal = parseCalendar(spec, "step");
      fc.assert(
        fc.property(fc.integer({ min: -2e9, max: 4e9 }), (t) => {
          const i = cal.index(t);
          return cal.start(i) <= t && t < cal.start(i + 1) && cal.index(cal.start(i)) === i && cal.duration(i) === cal.start(i + 1) - cal.start(i);
        }),
      );
    }
  });
});

describe("Interval", () => {
  it("maps times to buckets and sub-buckets", () => {
    const iv = new Interval("hour", { step: "1h", resolution: 600, steps: 24 });
    const t = utc(2026, 10, 27, 10, 37, 5);
    expect(iv.bucketOf(t)).toBe(utc(2026, 10, 27, 10));
    expect(iv.subOf(t)).toBe(utc(2026, 10, 27, 10, 30));
    expect(iv.subsOf(iv.bucketOf(t))).toHaveLength(6);
    expect(iv.durationOf(iv.bucketOf(t))).toBe(3_600);
    expect(iv.subDurationOf(iv.subOf(t))).toBe(600);
  });

  it("applies kairos's range rules", () => {
    const iv = new Interval("m", { step: 60, steps: 5 });
    const now = 6_000 + 30;
    expect(iv.range({}, now)).toEqual([5_760, 5_820, 5_880, 5_940, 6_000]);
    expect(iv.range({ steps: 2 }, now)).toEqual([5_940, 6_000]);
    expect(iv.range({ start: 120, steps: 3 }, now)).toEqual([120, 180, 240]);
    expect(iv.range({ end: 299, steps: 3 }, now)).toEqual([120, 180, 240]);
    expect(iv.range({ start: 61, end: 300 }, now)).toEqual([60, 120, 180, 240, 300]);
    expect(new Interval("x", { step: 60 }).range({}, now)).toEqual([6_000]);
  });

  it("shifts a time by whole buckets keeping its offset, clamped in short months", () => {
    const monthly = new Interval("mo", { step: "monthly" });
    expect(monthly.shift(utc(2026, 0, 31, 12), 1)).toBe(utc(2026, 1, 28, 23, 59, 59));
    expect(monthly.shift(utc(2026, 0, 15, 12), -1)).toBe(utc(2025, 11, 15, 12));
    expect(new Interval("m", { step: 60 }).shift(125, 2)).toBe(245);
  });

  it("knows which buckets retention keeps", () => {
    const iv = new Interval("m", { step: 60, steps: 3 });
    expect(iv.firstLiveIndex(600)).toBe(8);
    expect(new Interval("m", { step: 60 }).firstLiveIndex(600)).toBe(-Infinity);
  });

  it.each([
    [{ step: "1h", resolution: 7 * 60 }, ErrorCodes.BAD_RESOLUTION], // does not divide
    [{ step: 60, resolution: 120 }, ErrorCodes.BAD_RESOLUTION], // coarser
    [{ step: 60, resolution: "daily" }, ErrorCodes.BAD_RESOLUTION], // Gregorian inside relative
    [{ step: "monthly", resolution: "weekly" }, ErrorCodes.BAD_RESOLUTION], // weeks straddle months
    [{ step: "daily", resolution: 7_000 }, ErrorCodes.BAD_RESOLUTION], // does not divide a day
    [{ step: "daily", resolution: "1x" }, ErrorCodes.BAD_RESOLUTION],
    [{ step: "1q" }, ErrorCodes.BAD_INTERVAL],
    [{ step: 60, steps: 0 }, ErrorCodes.BAD_STEPS],
    [{ step: 60, steps: 1.5 }, ErrorCodes.BAD_STEPS],
    [{ step: 60, steps: "10" }, ErrorCodes.BAD_STEPS],
    [null, ErrorCodes.BAD_INTERVAL],
  ])("rejects %j", (spec, code) => {
    expect(() => new Interval("i", spec as never, 'schema "s": interval "i"')).toThrow(expect.objectContaining({ code }));
    try {
      new Interval("i", spec as never, 'schema "s": interval "i"');
    } catch (err) {
      expect((err as Error).message).toMatch(/^schema "s": interval "i"/);
    }
  });

  it.each([
    [{ step: "daily", resolution: "1h" }],
    [{ step: "monthly", resolution: "daily" }],
    [{ step: "yearly", resolution: "monthly" }],
    [{ step: "weekly", resolution: "daily" }],
    [{ step: "1h", resolution: 60 }],
  ])("accepts nested %j", (spec) => {
    const iv = new Interval("i", spec);
    const t = utc(2026, 4, 17, 13, 14, 15);
    expect(iv.subOf(t)).toBeGreaterThanOrEqual(iv.bucketOf(t));
    expect(iv.subOf(t)).toBeLessThan(iv.bucketOf(t) + iv.durationOf(iv.bucketOf(t)));
  });
});
