/** Small helpers shared by the benchmarks: timing, medians, a plain table, and the write workload. */
import { WriteBatch, type Store, type Timeseries } from "../src/timeseries/index.js";

export const BATCH = 10_000;

/**
 * The write shapes every store benchmark runs: new buckets (insert path), the
 * same buckets again (upsert-conflict path), and the worst case for a
 * name-ordered table. [label, names per batch, write the buckets twice].
 */
export const WRITE_SHAPES: ReadonlyArray<readonly [string, number, boolean]> = [
  ["1,000 names × 10 new buckets", 1_000, false],
  ["1,000 names × 10 existing buckets", 1_000, true],
  ["10,000 names × 1 new bucket", 10_000, false],
];

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export async function timeMs(fn: () => unknown): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Print rows as an aligned text table. */
export function printTable(headers: string[], rows: Array<Array<string | number>>): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === "number" ? fmt(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r: Array<string | number>) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  console.log(line(headers));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of cells.slice(1)) console.log(line(r));
}

export function fmt(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) >= 1000) return n.toLocaleString("en-US");
  if (Math.abs(n) >= 100) return n.toFixed(0);
  return n.toFixed(n < 10 ? 3 : 2);
}

/**
 * Merges per second: `total` distinct (name, bucket) merges, 10,000 per
 * flush, each batch covering `10,000 / names` consecutive minutes of
 * `names` stats (time moving forward, as a stream does).
 */
export async function writeRun(ts: Timeseries, store: Store, total: number, names: number, start: number): Promise<number> {
  const perName = BATCH / names;
  const ms = await timeMs(async () => {
    for (let done = 0; done < total; done += BATCH) {
      const batch = new WriteBatch();
      const base = start + (done / names) * 60;
      for (let k = 0; k < perName; k++) for (let n = 0; n < names; n++) ts.stage(batch, `app${n}.requests`, 1, base + k * 60);
      if (batch.size !== BATCH) throw new Error(`expected ${BATCH} distinct buckets per batch, got ${batch.size}`);
      await store.write(batch);
    }
  });
  return total / (ms / 1000);
}

/**
 * The read workload's data: one stat with a full day of minute buckets, and
 * 100 stats with an hour each. Checks the day reads back complete.
 */
export async function seedReadData(ts: Timeseries, store: Store, now: number): Promise<string[]> {
  const batch = new WriteBatch();
  for (let m = 0; m < 1440; m++) ts.stage(batch, "day.stat", m + 1, now - m * 60);
  for (let s = 0; s < 100; s++) for (let m = 0; m < 60; m++) ts.stage(batch, `hour.stat${s}`, m, now - m * 60);
  await store.write(batch);
  const day = await ts.series("day.stat", "minute", { steps: 1440 });
  if ([...day.values()].filter((v) => v !== null).length !== 1440) throw new Error(`${store.url}: read benchmark data incomplete`);
  return Array.from({ length: 100 }, (_, s) => `hour.stat${s}`);
}

/**
 * The read samples every store benchmark takes after `seedReadData`: one
 * stat's full day of minute buckets (plain and with `mean`), and 100 stats
 * with an hour each, in milliseconds per call.
 */
export async function sampleReads(ts: Timeseries, names: readonly string[], rounds = 300, hundredRounds = rounds): Promise<{ single: number[]; avg: number[]; hundred: number[] }> {
  const single: number[] = [];
  const avg: number[] = [];
  const hundred: number[] = [];
  for (let i = 0; i < rounds; i++) {
    single.push(await timeMs(() => ts.series("day.stat", "minute", { steps: 1440 })));
    avg.push(await timeMs(() => ts.series("day.stat", "minute", { steps: 1440, transform: "mean" })));
  }
  for (let i = 0; i < hundredRounds; i++) hundred.push(await timeMs(() => Promise.all(names.map((n) => ts.series(n, "minute", { steps: 60 })))));
  return { single, avg, hundred };
}
