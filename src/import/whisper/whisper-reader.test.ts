import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { shouldRun } from "../../timeseries/testing/must-run.js";
import { AGGREGATION_METHODS, WhisperFormatError, type AggregationMethod } from "./whisper-format.js";
import { lastUpdate, readArchive, readWhisperHeader } from "./whisper-reader.js";
import { createWhisperBuffer, writeWhisperPoint } from "./whisper-writer.js";

const dir = mkdtempSync(join(tmpdir(), "torus-whisper-reader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** python3-whisper's own reading of each file: header (whisper.info) and every archive through `__archive_fetch` up to `until`. */
function pythonRead(files: Array<{ path: string; until: number }>): Array<{ info: any; archives: Array<Array<[number, number]>> }> {
  const script = `
import json, sys, whisper
fetch = getattr(whisper, "__archive_fetch")
out = []
for job in json.load(sys.stdin):
    info = whisper.info(job["path"])
    archives = []
    with open(job["path"], "rb") as fh:
        for a in info["archives"]:
            if job["until"] == 0:
                archives.append([])
                continue
            (start, end, step), values = fetch(fh, a, job["until"] - a["retention"], job["until"])
            archives.append([[start + i * step, v] for i, v in enumerate(values) if v is not None])
    out.append({"info": info, "archives": archives})
print(json.dumps(out))
`;
  const r = spawnSync("/usr/bin/python3", ["-c", script], { input: JSON.stringify(files), encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const T0 = 1_700_000_000;

const fileArb = fc
  .record({
    step: fc.constantFrom(1, 10, 60),
    factors: fc.array(fc.constantFrom(2, 3, 5), { minLength: 0, maxLength: 2 }),
    points: fc.array(fc.integer({ min: 2, max: 12 }), { minLength: 3, maxLength: 3 }),
    method: fc.constantFrom(...(AGGREGATION_METHODS.slice(1) as AggregationMethod[])),
    xff: fc.constantFrom(0, 0.5, 1),
  })
  .chain((shape) => {
    const archives: Array<{ secondsPerPoint: number; points: number }> = [{ secondsPerPoint: shape.step, points: shape.points[0] }];
    shape.factors.forEach((f, i) => archives.push({ secondsPerPoint: archives[i].secondsPerPoint * f, points: shape.points[i + 1] }));
    const span = Math.max(...archives.map((a) => a.secondsPerPoint * a.points)) * 3;
    // Writes across several laps of every ring, in any order: stale slots are the point.
    const write = fc.record({
      archive: fc.integer({ min: 0, max: archives.length - 1 }),
      offset: fc.integer({ min: 0, max: span }),
      value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    });
    return fc.record({ archives: fc.constant(archives), method: fc.constant(shape.method), xff: fc.constant(shape.xff), writes: fc.array(write, { maxLength: 60 }) });
  });

describe("the whisper reader", () => {
  const python = shouldRun("whisper reader oracle", spawnSync("/usr/bin/python3", ["-c", "import whisper"]).status === 0, "python3-whisper is not installed", "apt-get install -y python3-whisper.");
  it.runIf(python)("reads every file as python3-whisper's __archive_fetch does, stale laps included", () => {
    const samples = fc.sample(fileArb, { numRuns: 150, seed: 1234 });
    const jobs = samples.map((s, i) => {
      const buf = createWhisperBuffer(s.archives, s.method, s.xff);
      const header = readWhisperHeader(buf);
      for (const w of s.writes) writeWhisperPoint(buf, header, w.archive, T0 + w.offset, w.value);
      const path = join(dir, `p${i}.wsp`);
      writeFileSync(path, buf);
      return { path, buf, until: lastUpdate(buf, header), sample: s };
    });
    const py = pythonRead(jobs.map((j) => ({ path: j.path, until: j.until })));
    let stale = 0;
    jobs.forEach((job, i) => {
      const header = readWhisperHeader(job.buf);
      expect(header.aggregationMethod).toBe(py[i].info.aggregationMethod);
      expect(header.maxRetention).toBe(py[i].info.maxRetention);
      expect(header.xFilesFactor).toBeCloseTo(py[i].info.xFilesFactor, 6);
      expect(header.archives.map((a) => [a.offset, a.secondsPerPoint, a.points])).toEqual(py[i].info.archives.map((a: any) => [a.offset, a.secondsPerPoint, a.points]));
      header.archives.forEach((a, k) => {
        const ours = readArchive(job.buf, a, job.until);
        expect(ours.times.map((t, n) => [t, ours.values[n]])).toEqual(py[i].archives[k]);
        const written = new Set(job.sample.writes.filter((w) => w.archive === k).map((w) => T0 + w.offset - ((T0 + w.offset) % a.secondsPerPoint)));
        stale += Math.min(written.size, a.points) - ours.times.length;
      });
    });
    // The sample must exercise stale slots, or the comparison proves little.
    expect(stale).toBeGreaterThan(50);
  });

  it("names an empty file, a cut header and a cut archive", () => {
    expect(() => readWhisperHeader(Buffer.alloc(0))).toThrow(/^empty file$/);
    const good = createWhisperBuffer([{ secondsPerPoint: 60, points: 10 }, { secondsPerPoint: 300, points: 10 }], "sum");
    expect(() => readWhisperHeader(good.subarray(0, 10))).toThrow(/truncated header: 10 bytes/);
    expect(() => readWhisperHeader(good.subarray(0, 30))).toThrow(/truncated header: 2 archives need 40 bytes, the file has 30/);
    expect(() => readWhisperHeader(good.subarray(0, good.length - 1))).toThrow(/truncated: archive 1 \(300s × 10\) ends at byte 280, the file has 279/);
    expect(readWhisperHeader(good).archives).toHaveLength(2);
  });

  it("names a header whisper itself would refuse", () => {
    const bad = (mutate: (b: Buffer) => void) => {
      const b = createWhisperBuffer([{ secondsPerPoint: 60, points: 10 }]);
      mutate(b);
      return () => readWhisperHeader(b);
    };
    expect(bad((b) => b.writeUInt32BE(9, 0))).toThrow(/unknown aggregation type 9/);
    expect(bad((b) => b.writeFloatBE(1.5, 8))).toThrow(/xFilesFactor 1.5 is outside 0-1/);
    expect(bad((b) => b.writeUInt32BE(0, 12))).toThrow(/archive count 0/);
    expect(bad((b) => b.writeUInt32BE(4_000_000_000, 12))).toThrow(/archive count 4000000000/);
    expect(bad((b) => b.writeUInt32BE(0, 20))).toThrow(/archive 0: 0 seconds per point/);
    expect(bad((b) => b.writeUInt32BE(8, 16))).toThrow(/archive 0: offset 8 overlaps the header/);
  });

  it("reads an archive never written as empty", () => {
    const buf = createWhisperBuffer([{ secondsPerPoint: 60, points: 10 }]);
    const header = readWhisperHeader(buf);
    expect(lastUpdate(buf, header)).toBe(0);
    expect(readArchive(buf, header.archives[0], 0).times).toEqual([]);
  });

  it("fails on any cut or scribbled file with a WhisperFormatError or reads it, never anything else", () => {
    const base = createWhisperBuffer([{ secondsPerPoint: 10, points: 20 }, { secondsPerPoint: 60, points: 20 }], "max");
    const header = readWhisperHeader(base);
    for (let i = 0; i < 30; i++) writeWhisperPoint(base, header, i % 2, T0 + i * 37, i);
    fc.assert(
      fc.property(fc.nat({ max: base.length }), fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.nat({ max: 255 })), { maxLength: 8 }), (cut, scribbles) => {
        const b = Buffer.from(base.subarray(0, cut));
        for (const [at, byte] of scribbles) if (at < b.length) b[at] = byte;
        try {
          const h = readWhisperHeader(b);
          const until = lastUpdate(b, h);
          for (const a of h.archives) readArchive(b, a, until);
        } catch (err) {
          expect(err).toBeInstanceOf(WhisperFormatError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
