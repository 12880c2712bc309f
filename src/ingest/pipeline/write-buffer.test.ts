import { pino } from "pino";
import { cellsView } from "../../timeseries/testing/batch-view.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { StoreError, Timeseries, WriteBatch, type Namespace, type Store } from "../../timeseries/index.js";
import { createIngestLog } from "./ingest-log.js";
import { KarbonMetrics } from "../karbon-metrics.js";
import { WriteBuffer, rejectionReason, type WriteBufferOptions } from "./write-buffer.js";
import { WRITER_ID, nextFlushId } from "./flush-ids.js";

const NOW = 1_800_000_000 - (1_800_000_000 % 3600);

/** One row as a fake store received it: `name@sub=value`, in write order. */
function rowsIn(batch: WriteBatch): string[] {
  const out: string[] = [];
  for (const part of batch.parts.values()) {
    for (const [name, perInterval] of cellsView(part)) {
      perInterval.forEach((cells, i) => {
        for (const [sub, cell] of cells ?? []) {
          const at = `${part.intervals[i].name}:${name}@${sub}`;
          if (typeof cell === "number") out.push(`${at}=${cell}`);
          else if (Array.isArray(cell)) for (const v of cell) out.push(`${at}=${v}`);
          else if (cell instanceof Map) for (const [m, n] of cell) out.push(`${at}=${m}x${n}`);
          else if (cell instanceof Set) for (const m of cell) out.push(`${at}=${m}`);
          else out.push(`${at}=${cell.value}`);
        }
      });
    }
  }
  return out;
}

/**
 * A store that applies batches to a list of rows, all or nothing, and can
 * be told to fail: retryably for the next `down` writes, or for good for
 * any batch holding a row `refuse` picks out.
 */
class FakeStore implements Store {
  readonly url = "fake://store";
  readonly handle = null;
  readonly written: string[] = [];
  /** Time (fake clock, ms) of every write attempt. */
  readonly attempts: number[] = [];
  /** The flush id of every write attempt. */
  readonly ids: Array<string | undefined> = [];
  down = 0;
  refuse: (row: string) => boolean = () => false;
  /** When set, writes wait for it (a slow store). */
  gate: Promise<void> | null = null;

  async write(batch: WriteBatch): Promise<void> {
    this.attempts.push(Date.now());
    this.ids.push(batch.flushId);
    if (this.gate) await this.gate;
    if (this.down > 0) {
      this.down--;
      throw new StoreError(this.url, "write failed: connection refused", { retryable: true });
    }
    const rows = rowsIn(batch);
    const bad = rows.find((r) => this.refuse(r));
    if (bad) throw new StoreError(this.url, `write failed: value out of range: overflow (${bad})`, { retryable: false });
    this.written.push(...rows);
  }
  async read(): Promise<never[][]> {
    return [];
  }
  async list(_ns: Namespace): Promise<string[]> {
    return [];
  }
  async properties(): Promise<Record<string, never>> {
    return {};
  }
  async delete(): Promise<void> {}
  async deleteAll(): Promise<void> {}
  async expire(): Promise<void> {}
  async close(): Promise<void> {}
}

function setup(options: Partial<WriteBufferOptions> = {}, type = "count") {
  const store = new FakeStore();
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const metrics = new KarbonMetrics();
  const pressure: boolean[] = [];
  const buffer = new WriteBuffer(store, {
    flushInterval: 0,
    maxRows: 1_000_000,
    log: createIngestLog(logger, 0),
    logger,
    metrics,
    onPressure: (full) => pressure.push(full),
    ...options,
  });
  const ts = new Timeseries(store, { type, intervals: { minute: { step: 60, steps: 1440 } }, clock: () => NOW });
  const stage = (name: string, value: unknown, t = NOW) => ts.stage(buffer.batch, name, value, t);
  const rejected = async () => (await metrics.rejectedRows.get()).values.map((v) => [v.labels.reason, v.value]);
  return { store, logs, metrics, buffer, stage, pressure, rejected };
}

describe("WriteBuffer: retries", () => {
  beforeEach(() => vi.useFakeTimers({ now: NOW * 1000 }));
  afterEach(() => vi.useRealTimers());

  it("retries a failed flush ahead of newer ones: rows reach the store oldest first", async () => {
    const { store, buffer, stage } = setup();
    store.down = 2;
    stage("a", 1);
    expect(await buffer.flush()).toBe(false);
    stage("b", 2);
    expect(await buffer.flush()).toBe(false); // waits behind the retry of the first batch
    stage("c", 3);
    await vi.advanceTimersByTimeAsync(100); // first retry: fails again
    expect(store.written).toEqual([]);
    await vi.advanceTimersByTimeAsync(200); // second retry: the store is back
    // The retry also took what was staged meanwhile, behind the older batches.
    expect(store.written).toEqual([`minute:a@${NOW}=1`, `minute:b@${NOW}=2`, `minute:c@${NOW}=3`]);
    expect(await buffer.flush()).toBe(true);
    expect(buffer.rows).toBe(0);
  });

  it("backs off 100 ms, doubling each time, up to 10 s", async () => {
    const { store, buffer, stage } = setup();
    store.down = 1_000;
    stage("a", 1);
    await buffer.flush();
    await vi.advanceTimersByTimeAsync(60_000);
    const gaps = store.attempts.slice(1).map((t, i) => t - store.attempts[i]);
    expect(gaps.slice(0, 10)).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
    // Back again: the delay starts over.
    store.down = 0;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(store.written).toEqual([`minute:a@${NOW}=1`]);
    store.down = 2;
    stage("b", 1);
    const before = store.attempts.length;
    await buffer.flush();
    await vi.advanceTimersByTimeAsync(300);
    expect(store.attempts.slice(before).map((t) => t - store.attempts[before])).toEqual([0, 100, 300]);
  });

  it("close keeps retrying a failing store until the deadline, then reports the points left", async () => {
    const { store, buffer, stage } = setup();
    store.down = 1_000;
    stage("a", 1);
    stage("b", 1);
    stage("b", 1);
    let lost: number | undefined;
    void buffer.close(5_000).then((n) => (lost = n));
    await vi.advanceTimersByTimeAsync(4_900);
    expect(lost).toBeUndefined();
    const tries = store.attempts.length;
    expect(tries).toBeGreaterThan(3);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(lost).toBe(3);
    // No retry is left scheduled after close gave up.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(store.attempts.length).toBeLessThanOrEqual(tries + 2);
  });

  it("close resolves 0 once a store that comes back has everything", async () => {
    const { store, buffer, stage } = setup();
    store.down = 3;
    stage("a", 1);
    let lost: number | undefined;
    void buffer.close(30_000).then((n) => (lost = n));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(lost).toBe(0);
    expect(store.written).toEqual([`minute:a@${NOW}=1`]);
  });
});

describe("WriteBuffer: flush ids", () => {
  beforeEach(() => vi.useFakeTimers({ now: NOW * 1000 }));
  afterEach(() => vi.useRealTimers());

  it("each flush has an id of this writer before its first attempt, kept across retries; no two flushes share one", async () => {
    const { store, buffer, stage } = setup();
    stage("a", 1);
    await buffer.flush();
    store.down = 2;
    stage("b", 1);
    expect(await buffer.flush()).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(200);
    stage("c", 1);
    await buffer.flush();
    const [first, second, , , third] = store.ids;
    expect(store.ids).toEqual([first, second, second, second, third]);
    for (const id of [first, second, third]) expect(id).toMatch(new RegExp(`^${WRITER_ID}:\\d+$`));
    expect(new Set([first, second, third]).size).toBe(3);
    expect(WRITER_ID).toMatch(new RegExp(`^[0-9a-f]{12}-${process.pid}$`));
  });

  it("a batch that already has an id (read back from a spool) keeps it", async () => {
    const { store, buffer, stage } = setup();
    const id = nextFlushId();
    stage("a", 1);
    buffer.batch.flushId = id;
    await buffer.flush();
    expect(store.ids).toEqual([id]);
  });

  it("halves of a refused batch get ids of their own, derived from the parent's", async () => {
    const { store, buffer, stage } = setup();
    store.refuse = (row) => row.includes(":bad");
    for (const n of ["a", "bad", "c", "d"]) stage(n, 1);
    await buffer.flush();
    const [parent, ...rest] = store.ids;
    expect(rest.length).toBeGreaterThan(1);
    for (const id of rest) expect(id).toMatch(new RegExp(`^${parent}(/[01])+$`));
    // Every attempt of different rows has a different id; only a retry of the same rows repeats one.
    expect(new Set(store.ids).size).toBe(store.ids.length);
  });
});

describe("WriteBuffer: backpressure", () => {
  it("signals full at maxRows and releases only below half", async () => {
    const { store, buffer, stage, pressure } = setup({ maxRows: 100, flushRows: 10, flushInterval: 60_000 });
    let open!: () => void;
    store.gate = new Promise<void>((r) => (open = r));
    for (let i = 0; i < 60; i++) stage(`a${i}`, 1);
    buffer.afterChunk(); // 60 rows: a flush starts and waits on the store
    expect(pressure).toEqual([]);
    for (let i = 0; i < 60; i++) stage(`b${i}`, 1);
    buffer.afterChunk(); // 120 rows
    expect(pressure).toEqual([true]);
    expect(buffer.full).toBe(true);
    // The first batch lands: 60 rows left, not yet under half of 100.
    let release!: () => void;
    const second = new Promise<void>((r) => (release = r));
    const firstDone = store.gate;
    store.gate = second;
    open();
    await firstDone;
    await new Promise((r) => setImmediate(r));
    expect(buffer.rows).toBe(60);
    expect(pressure).toEqual([true]);
    release();
    await buffer.flush();
    expect(buffer.rows).toBe(0);
    expect(pressure).toEqual([true, false]);
    expect(store.written).toHaveLength(120);
  });
});

describe("WriteBuffer: rows a store refuses", () => {
  it("isolates the refused rows in the middle of a batch, counts and logs them once, writes every other row once", async () => {
    const { store, buffer, stage, logs, rejected } = setup();
    store.refuse = (row) => row.includes(":bad");
    const good: string[] = [];
    for (let i = 0; i < 40; i++) {
      if (i === 13) stage("x:bad1", 1);
      if (i === 27) {
        stage("x:bad2", 1);
        stage("x:bad2", 1, NOW + 60); // two rows of one name: logged once
      }
      stage(`good${i}`, i + 1);
      good.push(`minute:good${i}@${NOW}=${i + 1}`);
    }
    expect(await buffer.flush()).toBe(true);
    expect([...store.written].sort()).toEqual([...good].sort());
    expect(new Set(store.written).size).toBe(store.written.length);
    expect(await rejected()).toEqual([["out_of_range", 3]]);
    const refused = logs.filter((l) => l.msg === "store refused a row; dropped it").map((l) => l.name);
    expect(refused.sort()).toEqual(["x:bad1", "x:bad2"]);
    expect(logs.filter((l) => l.msg?.toString().startsWith("store refused a flush"))).toHaveLength(1);
    expect(buffer.rows).toBe(0);
    // Later points are written as usual.
    stage("later", 5);
    expect(await buffer.flush()).toBe(true);
    expect(store.written.at(-1)).toBe(`minute:later@${NOW}=5`);
  });

  it("a store that refuses every row: all are counted, the first 100 names logged one by one, then one summary", async () => {
    const { store, buffer, stage, logs, rejected } = setup();
    store.refuse = () => true;
    for (let i = 0; i < 150; i++) stage(`n${i}`, 1);
    expect(await buffer.flush()).toBe(true);
    expect(store.written).toEqual([]);
    expect(await rejected()).toEqual([["out_of_range", 150]]);
    expect(logs.filter((l) => l.msg === "store refused a row; dropped it")).toHaveLength(100);
    expect(logs.filter((l) => /more than 100 names in one flush/.test(String(l.msg)))).toHaveLength(1);
    expect(buffer.rows).toBe(0);
  });

  it("isolates one refused bucket of a name and keeps the name's other buckets", async () => {
    const { store, buffer, stage, rejected } = setup();
    store.refuse = (row) => row === `minute:mixed@${NOW + 60}=7`;
    stage("mixed", 1);
    stage("mixed", 7, NOW + 60);
    stage("mixed", 2, NOW + 120);
    expect(await buffer.flush()).toBe(true);
    expect(store.written.sort()).toEqual([`minute:mixed@${NOW}=1`, `minute:mixed@${NOW + 120}=2`].sort());
    expect(await rejected()).toEqual([["out_of_range", 1]]);
  });

  it("keeps series values in arrival order around a refused one", async () => {
    const { store, buffer, stage } = setup({}, "series");
    store.refuse = (row) => row.endsWith("=666");
    const values = [1, 2, 3, 666, 4, 5, 6, 7];
    for (const v of values) stage("s", v);
    expect(await buffer.flush()).toBe(true);
    expect(store.written).toEqual(values.filter((v) => v !== 666).map((v) => `minute:s@${NOW}=${v}`));
  });

  it("a retryable failure while isolating waits and resumes without writing anything twice", async () => {
    vi.useFakeTimers({ now: NOW * 1000 });
    try {
      const { store, buffer, stage, rejected } = setup();
      let refusals = 0;
      store.refuse = (row) => {
        if (!row.includes("bad")) return false;
        // After the first refusal the store goes down for a while, mid-isolation.
        if (refusals++ === 0) store.down = 2;
        return true;
      };
      for (let i = 0; i < 16; i++) stage(i === 9 ? "bad" : `g${i}`, 1);
      await buffer.flush();
      await vi.advanceTimersByTimeAsync(5_000);
      expect(buffer.rows).toBe(0);
      expect([...store.written].sort()).toEqual(
        Array.from({ length: 16 }, (_, i) => i)
          .filter((i) => i !== 9)
          .map((i) => `minute:g${i}@${NOW}=1`)
          .sort(),
      );
      expect(await rejected()).toEqual([["out_of_range", 1]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("retryable failures are never split: the batch waits whole", async () => {
    vi.useFakeTimers({ now: NOW * 1000 });
    try {
      const { store, buffer, stage, rejected } = setup();
      store.down = 5;
      for (let i = 0; i < 8; i++) stage(`g${i}`, 1);
      await buffer.flush();
      await vi.advanceTimersByTimeAsync(1_600); // attempts at 0, 100, 300, 700 and 1500 ms
      expect(store.attempts).toHaveLength(5); // one write per attempt: nothing split
      await vi.advanceTimersByTimeAsync(2_000);
      expect(store.written).toHaveLength(8);
      expect(await rejected()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it.each([
    ["PostgreSQL overflow", "write failed: value out of range: overflow", "out_of_range"],
    ["MySQL overflow", "write failed: DOUBLE value is out of range in '(`value` + values(`value`))'", "out_of_range"],
    ["Redis non-finite", "write: count Infinity is not a finite number; nothing was written", "out_of_range"],
    ["MySQL long name", "write failed: Data too long for column 'name' at row 1", "too_long"],
    ["PostgreSQL NUL", "write failed: invalid byte sequence for encoding \"UTF8\": 0x00", "bad_text"],
    ["SQLite NOT NULL", "write failed: NOT NULL constraint failed: count.value", "refused"],
    ["anything else", "write failed: permission denied for table financials", "refused"],
  ])("names the reason of a refusal: %s", (_label, message, reason) => {
    expect(rejectionReason(new StoreError("x://", message, { retryable: false }))).toBe(reason);
  });
});

describe("WriteBatch.split", () => {
  it("halves the rows, keeps every row exactly once and in order, and stops at one row", () => {
    const store = new FakeStore();
    const h = new Timeseries(store, { type: "histogram", intervals: { minute: { step: 60 } } });
    const c = new Timeseries(store, { type: "count", intervals: { minute: { step: 60 } } });
    const batch = new WriteBatch();
    for (let i = 0; i < 5; i++) h.stage(batch, "h", i, NOW);
    for (let i = 0; i < 4; i++) c.stage(batch, `c${i}`, i, NOW + 60 * i);
    const all = rowsIn(batch);
    expect(batch.size).toBe(9);
    const parts = (b: WriteBatch): WriteBatch[] => {
      const halves = b.split();
      if (!halves) return [b];
      expect(halves[0].size + halves[1].size).toBe(b.size);
      expect(Math.abs(halves[0].size - halves[1].size)).toBeLessThanOrEqual(1);
      return [...parts(halves[0]), ...parts(halves[1])];
    };
    const leaves = parts(batch);
    expect(leaves.every((b) => b.size === 1)).toBe(true);
    expect(leaves.flatMap(rowsIn)).toEqual(all);
    expect(leaves.reduce((n, b) => n + b.points, 0)).toBe(batch.points);
  });
});

describe("WriteBuffer: when a batch is written", () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const until = async (test: () => boolean, ms = 5_000) => {
    const end = Date.now() + ms;
    while (!test() && Date.now() < end) await sleep(2);
  };

  it("writes the last batch of a burst once input goes quiet, not at the flush interval", async () => {
    const { store, buffer, stage } = setup({ flushInterval: 60_000, quietMs: 10 });
    buffer.start();
    const t0 = Date.now();
    stage("a", 1);
    buffer.afterChunk();
    await until(() => store.written.length > 0);
    expect(store.written).toEqual([`minute:a@${NOW}=1`]);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await buffer.close();
  });

  it("keeps merging while chunks keep coming, then writes one batch", async () => {
    const { store, buffer, stage } = setup({ flushInterval: 60_000, quietMs: 300 });
    buffer.start();
    for (let i = 0; i < 20; i++) {
      stage("a", 1);
      buffer.afterChunk();
      await sleep(2);
    }
    expect(store.attempts).toHaveLength(0);
    await until(() => store.written.length > 0);
    expect(store.attempts).toHaveLength(1);
    expect(store.written).toEqual([`minute:a@${NOW}=20`]);
    await buffer.close();
  });

  it("writes a batch once it is as old as the flush interval, even while input goes on", async () => {
    const { store, buffer, stage } = setup({ flushInterval: 30, quietMs: 60_000 });
    buffer.start();
    const end = Date.now() + 400;
    let n = 0;
    while (Date.now() < end) {
      stage("a", 1);
      n++;
      buffer.afterChunk();
      await sleep(2);
    }
    expect(store.attempts.length).toBeGreaterThanOrEqual(2);
    await buffer.close();
    expect(store.written.reduce((s, r) => s + Number(r.split("=")[1]), 0)).toBe(n);
  });

  /**
   * A buffer whose first write (one point) is held until `release`; `during` stages more meanwhile.
   * Returns when the second write started, and how long after the first ended.
   */
  async function secondWrite(options: Partial<WriteBufferOptions>, during: (stage: (name: string, v: number) => void, buffer: WriteBuffer) => Promise<void>) {
    const { store, buffer, stage } = setup(options);
    buffer.start();
    let release!: () => void;
    store.gate = new Promise<void>((r) => (release = r));
    stage("a", 1);
    buffer.afterChunk();
    await until(() => store.attempts.length === 1);
    await during(stage, buffer);
    expect(store.attempts).toHaveLength(1);
    store.gate = null;
    const ended = Date.now();
    release();
    await until(() => store.attempts.length === 2);
    const after = store.attempts[1] - ended;
    await until(() => store.written.length === 2);
    await buffer.close();
    return { after, written: store.written };
  }

  it("a batch begun while a write runs is aged from the write's end, merging meanwhile", async () => {
    const { after, written } = await secondWrite({ flushInterval: 200, quietMs: 60_000 }, async (stage, buffer) => {
      for (let i = 0; i < 10; i++) {
        stage("a", 1);
        buffer.afterChunk();
        await sleep(60); // three flush intervals pass in all
      }
    });
    // A full interval after the write ended, as when the write holds the thread; not at once.
    expect(after).toBeGreaterThanOrEqual(190);
    expect(written).toEqual([`minute:a@${NOW}=1`, `minute:a@${NOW}=10`]);
  });

  it("a batch whose input went quiet while a write ran is written as soon as the write ends", async () => {
    const { after, written } = await secondWrite({ flushInterval: 60_000, quietMs: 20 }, async (stage, buffer) => {
      stage("a", 1);
      buffer.afterChunk();
      await sleep(100); // quiet well past quietMs while the first write runs
    });
    expect(after).toBeLessThan(1_000);
    expect(written).toEqual([`minute:a@${NOW}=1`, `minute:a@${NOW}=1`]);
  });
});
