import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../../runtime/runtime.js";
import { TYPE_NAMES } from "../../../timeseries/index.js";
import { shouldRun } from "../../../timeseries/testing/must-run.js";
import { DirectPointSource } from "./direct-point-source.js";
import { dropAll, expectedPoints, pointRuntime, samplePoints, schemaOf, storesUnderTest, writePoints, type RawPoint } from "./point-fixture.case.js";

const T0 = 1_800_000_000 - (1_800_000_000 % 3600); // an hour boundary
const NAMES = ["a", "b", "c"];

for (const target of await storesUnderTest()) {
  if (!shouldRun(`${target.label} point source`, target.available, `no ${target.label} at ${target.url}`)) continue;

  describe(`DirectPointSource on ${target.label}`, () => {
    let runtime: Runtime;
    const written = new Map<string, RawPoint[]>();
    beforeAll(async () => {
      runtime = await pointRuntime(target.url, "direct");
      for (const type of TYPE_NAMES) {
        const names = NAMES.map((n) => `${type}.${n}`);
        // Three names over ~2 hours, then one point of "a" far later (a gap of empty buckets between).
        const points = [...samplePoints(names.slice(0, 2), T0 + 600, 400, 7), ...samplePoints([names[2]], T0 + 30, 50, 3), [names[0], T0 + 5 * 3600 + 59, 1.25] as RawPoint];
        await writePoints(schemaOf(runtime, type), points);
        written.set(type, points);
      }
    });
    afterAll(() => dropAll(runtime));

    const source = new DirectPointSource();

    for (const type of TYPE_NAMES) {
      it(`${type}: one float per minute bucket, NaN where nothing was written`, async () => {
        const schema = schemaOf(runtime, type);
        const interval = schema.series.interval("minute");
        const first = T0 - 120;
        const last = T0 + 6 * 3600;
        const names = [...NAMES.map((n) => `${type}.${n}`), `${type}.never`];
        const got = await source.read({ schema, interval, names, first, last });
        const length = (last - first) / 60 + 1;
        expect(got).toHaveLength(names.length);
        names.forEach((name, i) => {
          expect(got[i].start).toBe(first);
          expect(got[i].step).toBe(60);
          expect([...got[i].values]).toEqual(expectedPoints(type, written.get(type)!, name, first, 60, length));
        });
        // Something was in range, and the never-written name is all nulls.
        expect(got[0].values.some((v) => !Number.isNaN(v))).toBe(true);
        expect(got[3].values.every((v) => Number.isNaN(v))).toBe(true);
      });

      it(`${type}: an interval with a resolution gives its sub-buckets as the points`, async () => {
        const schema = schemaOf(runtime, type);
        const interval = schema.series.interval("hour");
        const first = T0;
        const last = T0 + 2 * 3600;
        const names = [`${type}.b`, `${type}.a`];
        const got = await source.read({ schema, interval, names, first, last });
        names.forEach((name, i) => {
          expect(got[i].start).toBe(first);
          expect(got[i].step).toBe(60);
          expect(got[i].values).toHaveLength(3 * 60);
          expect([...got[i].values]).toEqual(expectedPoints(type, written.get(type)!, name, first, 60, 3 * 60));
        });
      });

      it(`${type}: a range inside the data starts at its first bucket`, async () => {
        const schema = schemaOf(runtime, type);
        const interval = schema.series.interval("minute");
        const first = T0 + 1800;
        const last = T0 + 1800 + 9 * 60;
        const [got] = await source.read({ schema, interval, names: [`${type}.a`], first, last });
        expect([...got.values]).toEqual(expectedPoints(type, written.get(type)!, `${type}.a`, first, 60, 10));
      });
    }

    it("no names is no entries; last before first is empty points", async () => {
      const schema = schemaOf(runtime, "count");
      const interval = schema.series.interval("minute");
      expect(await source.read({ schema, interval, names: [], first: T0, last: T0 + 60 })).toEqual([]);
      const [got] = await source.read({ schema, interval, names: ["count.a"], first: T0 + 60, last: T0 });
      expect(got.values).toHaveLength(0);
    });
  });
}
