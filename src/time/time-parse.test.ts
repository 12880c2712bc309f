import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { QueryError } from "../query/query-error.js";
import { MAX_TIME_LENGTH, parseTime, wallTimeToUtc, zoneOffsetMs } from "./time-parse.js";

// Sunday 2026-03-15 10:30:00 UTC.
const NOW = Date.UTC(2026, 2, 15, 10, 30, 0) / 1000;
const UTC = { now: NOW, timezone: "UTC" };
const PARIS = { now: NOW, timezone: "Europe/Paris" }; // UTC+1 in March before the 29th
const DAY = 86_400;
const MIDNIGHT = NOW - (NOW % DAY);

describe("parseTime", () => {
  it.each([
    ["1800000000", UTC, 1_800_000_000],
    ["1800000000.9", UTC, 1_800_000_000],
    [" 42 ", UTC, 42],
    ["now", UTC, NOW],
    ["NOW", UTC, NOW],
    ["today", UTC, MIDNIGHT],
    ["yesterday", UTC, MIDNIGHT - DAY],
    ["tomorrow", UTC, MIDNIGHT + DAY],
    ["today", PARIS, MIDNIGHT - 3600],
    ["yesterday", PARIS, MIDNIGHT - DAY - 3600],
    ["-1h", UTC, NOW - 3600],
    ["-7d", UTC, NOW - 7 * DAY],
    ["-30min", UTC, NOW - 1800],
    ["-5m", UTC, NOW - 300],
    ["-90s", UTC, NOW - 90],
    ["-2w", UTC, NOW - 14 * DAY],
    ["-1mon", UTC, NOW - 30 * DAY],
    ["-1y", UTC, NOW - 365 * DAY],
    ["now-1h", UTC, NOW - 3600],
    ["+1h", UTC, NOW + 3600],
    ["-3 hours", UTC, NOW - 3 * 3600],
    ["2026-11-27", UTC, Date.UTC(2026, 10, 27) / 1000],
    ["2026-11-27 10:30", UTC, Date.UTC(2026, 10, 27, 10, 30) / 1000],
    ["2026-11-27 10:30:15", UTC, Date.UTC(2026, 10, 27, 10, 30, 15) / 1000],
    ["2026-11-27T10:30:00Z", UTC, Date.UTC(2026, 10, 27, 10, 30) / 1000],
    ["2026-11-27T10:30:00+02:00", UTC, Date.UTC(2026, 10, 27, 8, 30) / 1000],
    ["2026-11-27T10:30:00.250-0500", UTC, Date.UTC(2026, 10, 27, 15, 30) / 1000],
    ["2026-11-27", PARIS, Date.UTC(2026, 10, 26, 23) / 1000],
    ["2026-07-01 12:00", PARIS, Date.UTC(2026, 6, 1, 10) / 1000], // summer time: UTC+2
    ["2026-11-27T10:30:00Z", PARIS, Date.UTC(2026, 10, 27, 10, 30) / 1000], // an explicit zone wins
    ["5 days ago", UTC, NOW - 5 * DAY],
    ["2 hours ago", UTC, NOW - 2 * 3600],
    ["last week", UTC, NOW - 7 * DAY],
    ["3 weeks ago", UTC, NOW - 21 * DAY],
    ["yesterday 10am", UTC, MIDNIGHT - DAY + 10 * 3600],
    ["yesterday 10am", PARIS, MIDNIGHT - DAY + 9 * 3600],
  ] as const)("%s (%s) → expected", (text, ctx, expected) => {
    expect(parseTime(text, "start", ctx)).toBe(expected);
  });

  it.each(["", "  ", "blah", "blah 5 days ago", "5 days ago blah", "-1fortnight", "-h", "2026-13-01", "2026-02-30", "2026-11-27 25:00", "2026-11-27T10:61", "next blursday", "1e5", "-1", "0x10", "99999999999999999999"])(
    "rejects %j with a 400 naming the field",
    (text) => {
      let err: unknown;
      try {
        parseTime(text, "end", UTC);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(QueryError);
      expect((err as QueryError).status).toBe(400);
      expect((err as QueryError).message).toMatch(/^end: cannot parse time/);
    },
  );

  it("property: any non-negative integer is that Unix time", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 253_402_300_799 }), (n) => parseTime(String(n), "start", UTC) === n));
  });

  it("property: a Graphite offset is now ± amount × unit", () => {
    const units = { s: 1, sec: 1, min: 60, minutes: 60, h: 3600, hours: 3600, d: DAY, days: DAY, w: 7 * DAY, mon: 30 * DAY, y: 365 * DAY } as const;
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(units) as Array<keyof typeof units>)), fc.integer({ min: 0, max: 1000 }), fc.boolean(), (unit, n, minus) => {
        const got = parseTime(`${minus ? "-" : "+"}${n}${unit}`, "start", UTC);
        return got === NOW + (minus ? -1 : 1) * n * units[unit];
      }),
    );
  });

  it("property: a written date and time is that wall-clock time in the configured zone", () => {
    const zones = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"];
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1971-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }),
        fc.constantFrom(...zones),
        (d, zone) => {
          const text = d.toISOString().slice(0, 19).replace("T", " ");
          const got = parseTime(text, "start", { now: NOW, timezone: zone });
          // Formatting the result in that zone gives back the written wall time (except inside a DST gap).
          const wall = new Date(got * 1000 + zoneOffsetMs(zone, got * 1000)).toISOString().slice(0, 19).replace("T", " ");
          const inGap = zoneOffsetMs(zone, got * 1000) !== zoneOffsetMs(zone, got * 1000 - 3 * 3600 * 1000);
          return wall === text || inGap;
        },
      ),
    );
  });

  it("property: ISO 8601 with an explicit zone is the instant it names", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("1971-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }), (d) => {
        return parseTime(d.toISOString(), "start", PARIS) === Math.floor(d.getTime() / 1000);
      }),
    );
  });

  it("property: any text either parses to a whole number of seconds or is a 400 QueryError — never another exception", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        try {
          const t = parseTime(s, "start", UTC);
          return Number.isInteger(t);
        } catch (err) {
          return err instanceof QueryError && err.status === 400;
        }
      }),
      { numRuns: 500 },
    );
  });

  it("text longer than MAX_TIME_LENGTH is refused before any parsing, naming the field", () => {
    const phrase = "5 days ago ".repeat(1300);
    const started = performance.now();
    expect(() => parseTime(phrase, "end", UTC)).toThrow(new RegExp(`^end: a time of ${phrase.length} characters is longer than the ${MAX_TIME_LENGTH} accepted`));
    // chrono would spend ~0.5 s on it; the cap answers at once.
    expect(performance.now() - started).toBeLessThan(100);
    const padded = " ".repeat(MAX_TIME_LENGTH - 3) + "now";
    expect(parseTime(padded, "end", UTC)).toBe(UTC.now);
    expect(() => parseTime(padded + " ", "end", UTC)).toThrow(/longer than the 200 accepted/);
    let caught: unknown = null;
    try {
      parseTime("1".repeat(201), "start", UTC);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(QueryError);
    expect(caught).toMatchObject({ status: 400, code: "TORUS_ERR_QUERY_BAD_TIME", field: "start" });
  });

  it("wallTimeToUtc inverts zoneOffsetMs outside DST gaps", () => {
    const t = wallTimeToUtc("America/New_York", 2026, 11, 27, 10, 30);
    expect(t).toBe(Date.UTC(2026, 10, 27, 15, 30));
  });
});
