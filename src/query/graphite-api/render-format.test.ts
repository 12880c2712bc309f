import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSeries, pyFloat } from "../../graphite/series.js";
import { pyJsonString, pyRepr, renderCsv, renderJson, renderRaw, wallClock } from "./render-format.js";

describe("pyRepr", () => {
  it.each([
    [1, "1.0"],
    [100, "100.0"],
    [0.5, "0.5"],
    [0.1, "0.1"],
    [-2.25, "-2.25"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [1e16, "1e+16"],
    [123456789012345.6, "123456789012345.6"],
    [1.5e300, "1.5e+300"],
    [0, "0.0"],
  ])("%s → %s", (v, text) => expect(pyRepr(v)).toBe(text));

  it("agrees with the full Python repr for any finite double", () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => pyRepr(v) === pyFloat(v)));
  });
});

describe("pyJsonString", () => {
  it.each([
    ["a.b", '"a.b"'],
    ['q"uote\\', '"q\\"uote\\\\"'],
    ["é", '"\\u00e9"'],
    ["\u007f", '"\\u007f"'],
    ["😀", '"\\ud83d\\ude00"'],
    ["tab\t", '"tab\\t"'],
  ])("%j → %s", (s, text) => expect(pyJsonString(s)).toBe(text));
});

describe("renderJson", () => {
  const s = createSeries({ name: "a.b", start: 60, step: 60, values: [1, null, Infinity, -Infinity, 2.5] });

  it("writes json.dumps's text with null and ±1e9999", () => {
    expect(renderJson([s])).toBe('[{"target": "a.b", "tags": {"name": "a.b"}, "datapoints": [[1.0, 60], [null, 120], [1e9999, 180], [-1e9999, 240], [2.5, 300]]}]');
    expect(JSON.parse(renderJson([s]))[0].datapoints[2][0]).toBe(Infinity);
    expect(renderJson([])).toBe("[]");
    // graphite-web's `if any(data)`: only series without values, no objects at all.
    expect(renderJson([createSeries({ name: "e", start: 60, step: 60, values: [] })])).toBe("[]");
  });

  it("pretty: two-space indent, still strict", () => {
    const text = renderJson([s], { pretty: true });
    expect(text).toContain('\n  {\n    "target": "a.b"');
    expect(text).not.toMatch(/Infinity|NaN/);
    expect(JSON.parse(text)[0].datapoints[1]).toEqual([null, 120]);
  });

  it("any values: the body is JSON whose datapoints are the series' points (1e9999 reads back as Infinity)", () => {
    const value = fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constant(-0));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 2e9 }), fc.integer({ min: 1, max: 3600 }), (values, start, step) => {
        const series = createSeries({ name: "x", start, step, values: Float64Array.from(values) });
        const parsed = JSON.parse(renderJson([series]));
        const want = values.map((v, i) => [Number.isNaN(v) ? null : v, start + i * step]);
        expect(parsed[0].datapoints).toEqual(want);
      }),
    );
  });

  it("noNullPoints keeps non-null points and drops a series left empty", () => {
    const empty = createSeries({ name: "e", start: 60, step: 60, values: [null, null] });
    expect(JSON.parse(renderJson([s, empty], { noNullPoints: true }))).toEqual([{ target: "a.b", tags: { name: "a.b" }, datapoints: [[1, 60], [Infinity, 180], [-Infinity, 240], [2.5, 300]] }]);
  });
});

describe("csv and raw", () => {
  it("wallClock in a zone", () => {
    expect(wallClock(0, "UTC")).toBe("1970-01-01 00:00:00");
    // 2026-07-01 12:00 UTC is 14:00 in Paris (summer time), 08:00 in New York.
    const t = Date.UTC(2026, 6, 1, 12) / 1000;
    expect(wallClock(t, "Europe/Paris")).toBe("2026-07-01 14:00:00");
    expect(wallClock(t, "America/New_York")).toBe("2026-07-01 08:00:00");
  });

  it("csv quotes names holding a comma or a quote, writes inf and empty nulls", () => {
    const s = createSeries({ name: 'sum(a,"b")', start: 0, step: 60, values: [1, null, Infinity] });
    expect(renderCsv([s], "UTC")).toBe('"sum(a,""b"")",1970-01-01 00:00:00,1.0\r\n"sum(a,""b"")",1970-01-01 00:01:00,\r\n"sum(a,""b"")",1970-01-01 00:02:00,inf\r\n');
  });

  it("raw: header then reprs, None for null", () => {
    const s = createSeries({ name: "a", start: 60, end: 240, step: 60, values: [1, null, 0.5] });
    expect(renderRaw([s, s])).toBe("a,60,240,60|1.0,None,0.5\na,60,240,60|1.0,None,0.5\n");
  });
});

describe("graphite-web's own writers (fixtures/render-views.json, from test/graphite-oracle/render-views.py)", () => {
  interface Case {
    format: "json" | "csv" | "raw";
    series: number[];
    options: { maxDataPoints?: number; noNullPoints?: boolean; jsonp?: string; tz?: string };
    contentType: string;
    body: string;
  }
  const fixture = JSON.parse(readFileSync(new URL("./fixtures/render-views.json", import.meta.url), "utf8")) as {
    series: Array<{ name: string; start: number; end: number; step: number; values: Array<number | string | null> }>;
    cases: Case[];
  };
  const decode = (v: number | string | null) => (v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number | null));
  const build = (which: number[]) => which.map((i) => fixture.series[i]).map((s) => createSeries({ ...s, values: s.values.map(decode) }));
  for (const c of fixture.cases) {
    it(`${c.format} ${JSON.stringify(c.options)}: the same text`, () => {
      const list = build(c.series);
      let body: string;
      if (c.format === "csv") body = renderCsv(list, c.options.tz ?? "UTC");
      else if (c.format === "raw") body = renderRaw(list);
      else {
        body = renderJson(list, { maxDataPoints: c.options.maxDataPoints, noNullPoints: c.options.noNullPoints });
        if (c.options.jsonp) body = `${c.options.jsonp}(${body})`;
      }
      expect(body).toBe(c.body);
    });
  }
});
