import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { WriteBatch } from "../../timeseries/index.js";
import { decodeSpoolPayload, decodeSpoolPayloadForWrite, encodeSpoolPayload } from "./spool-codec.js";
import { frameRecord, RECORD_HEADER, scanRecords } from "./spool-record.js";
import { StoreSpool } from "./store-spool.js";
import { batchArb, plain } from "./spool-test-batches.js";

const logger = pino({ level: "silent" });
const dirs: string[] = [];
const spools: StoreSpool[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "torus-spool-"));
  dirs.push(d);
  return d;
}
function open(dir: string, maxBytes = 64 * 1024 * 1024, segmentBytes?: number): StoreSpool {
  const s = new StoreSpool({ dir, maxBytes, segmentBytes, logger });
  spools.push(s);
  return s;
}
function closeAll(): void {
  for (const s of spools.splice(0)) s.close();
}
afterEach(() => {
  closeAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Everything a spool replays, acking each. */
function drain(s: StoreSpool): WriteBatch[] {
  const out: WriteBatch[] = [];
  for (let b = s.next(); b; b = s.next()) {
    out.push(b);
    s.ack();
  }
  return out;
}

describe("spool payload", () => {
  it("round-trips any batch of any type, flush id included", () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        const payload = Buffer.concat(encodeSpoolPayload(batch));
        expect(plain(decodeSpoolPayload(payload))).toEqual(plain(batch));
        // Built column by column for writing only: the same cells and rows, in the same order.
        expect(plain(decodeSpoolPayloadForWrite(payload))).toEqual(plain(batch));
      }),
      { numRuns: 300 },
    );
  });

  it("decodes a payload that sits at an odd offset of its buffer", () => {
    fc.assert(
      fc.property(batchArb, fc.integer({ min: 1, max: 7 }), (batch, shift) => {
        const p = Buffer.concat(encodeSpoolPayload(batch));
        const host = new Uint8Array(p.length + shift);
        host.set(p, shift);
        expect(plain(decodeSpoolPayload(host.subarray(shift)))).toEqual(plain(batch));
      }),
      { numRuns: 50 },
    );
  });
});

describe("spool records", () => {
  const payloads = fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 8 });
  const join = (ps: Uint8Array[]) => Buffer.concat(ps.flatMap((p) => frameRecord(p).pieces));

  it("reads back what was framed", () => {
    fc.assert(
      fc.property(payloads, (ps) => {
        const got = scanRecords(join(ps));
        expect(got.payloads.map((p) => [...p])).toEqual(ps.map((p) => [...p]));
        expect(got.dropped).toBe(0);
      }),
    );
  });

  it("frames a payload given in pieces, empty ones included, as the same bytes as whole", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 5 }), (pieces) => {
        const withEmpty = [new Uint8Array(new ArrayBuffer(0)), ...pieces, new Uint8Array(new Float64Array(0).buffer)];
        const framed = Buffer.concat(frameRecord(withEmpty).pieces);
        expect(framed).toEqual(Buffer.concat(frameRecord(Buffer.concat(pieces)).pieces));
        expect(scanRecords(framed).payloads.map((p) => Buffer.from(p))).toEqual([Buffer.concat(pieces)]);
      }),
    );
  });

  it("drops a torn last record, counted, and keeps every whole one before it", () => {
    fc.assert(
      fc.property(payloads, fc.nat(), (ps, cutAt) => {
        const whole = join(ps);
        const lastStart = whole.length - RECORD_HEADER - ps.at(-1)!.length;
        const cut = lastStart + 1 + (cutAt % (whole.length - lastStart - 1)); // somewhere inside the last record
        const got = scanRecords(whole.subarray(0, cut));
        expect(got.payloads.map((p) => [...p])).toEqual(ps.slice(0, -1).map((p) => [...p]));
        expect(got.dropped).toBe(1);
        expect(got.end).toBe(lastStart);
      }),
    );
  });

  it("never hands on a record with a flipped byte", () => {
    fc.assert(
      fc.property(payloads, fc.nat(), fc.integer({ min: 1, max: 255 }), (ps, at, flip) => {
        const data = Buffer.from(join(ps));
        const i = at % data.length;
        data[i] ^= flip;
        const got = scanRecords(data);
        // Every record handed on is one of the originals, byte for byte, in order; at least one is dropped.
        const originals = ps.map((p) => Buffer.from(p).toString("hex"));
        let from = 0;
        for (const p of got.payloads) {
          const k = originals.indexOf(Buffer.from(p).toString("hex"), from);
          expect(k).toBeGreaterThanOrEqual(from);
          from = k + 1;
        }
        expect(got.payloads.length).toBeLessThan(ps.length);
        expect(got.dropped).toBeGreaterThanOrEqual(1);
      }),
    );
  });
});

describe("StoreSpool", () => {
  it("replays batches oldest first, across segments and a restart, each once", () => {
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 1, maxLength: 12 }), fc.nat({ max: 12 }), (batches, replayedBefore) => {
        const dir = tempDir();
        const s = open(dir, 64 * 1024 * 1024, 1); // a segment per record
        for (const b of batches) expect(s.append(b)).toBe(true);
        expect(s.unread).toBe(batches.length);
        const first = [];
        for (let i = 0; i < Math.min(replayedBefore, batches.length); i++) {
          first.push(s.next()!);
          s.ack();
        }
        // The flush id given at append is what is replayed.
        const ids = batches.map((b) => b.flushId);
        expect(ids.every((id) => typeof id === "string")).toBe(true);
        closeAll();
        const again = open(dir);
        const rest = drain(again);
        expect([...first, ...rest].map(plain)).toEqual(batches.map(plain));
        expect(again.stats.bytes).toBe(0);
        expect(again.holding).toBe(false);
        closeAll();
        expect(readdirSync(join(dir, "0")).filter((f) => f.endsWith(".seg"))).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it("a record handed out and not acked is handed out again after a restart, same flush id", () => {
    const dir = tempDir();
    const s = open(dir);
    const [a] = fc.sample(batchArb, { numRuns: 1, seed: 7 });
    s.append(a);
    expect(s.next()!.flushId).toBe(a.flushId);
    closeAll(); // no ack: killed before the store confirmed it
    const again = open(dir);
    expect(drain(again).map((b) => b.flushId)).toEqual([a.flushId]);
  });

  it("drops a torn tail left by a crash mid-append, counts it, replays the rest, and appends after it", () => {
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 2, maxLength: 6 }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (batches, where) => {
        const dir = tempDir();
        const s = open(dir);
        for (const b of batches) s.append(b);
        closeAll();
        const seg = join(dir, "0", "000000000001.seg");
        const size = statSync(seg).size;
        const lastLength = frameRecord(encodeSpoolPayload(batches.at(-1)!)).length;
        truncateSync(seg, size - lastLength + Math.max(1, Math.floor(where * (lastLength - 1))));
        const again = open(dir);
        expect(again.stats.torn).toBe(1);
        expect(again.unread).toBe(batches.length - 1);
        const extra = batches[0];
        again.append(extra);
        expect(drain(again).map(plain)).toEqual([...batches.slice(0, -1), extra].map(plain));
      }),
      { numRuns: 30 },
    );
  });

  it("skips a record whose bytes changed on disk, counted", () => {
    const dir = tempDir();
    const s = open(dir);
    const batches = fc.sample(batchArb, { numRuns: 3, seed: 3 });
    for (const b of batches) s.append(b);
    closeAll();
    const seg = join(dir, "0", "000000000001.seg");
    const data = readFileSync(seg);
    const secondAt = frameRecord(encodeSpoolPayload(batches[0])).length;
    data[secondAt + RECORD_HEADER] ^= 0xff; // first payload byte of the second record
    writeFileSync(seg, data);
    const again = open(dir);
    expect(again.stats.torn).toBe(1);
    expect(drain(again).map(plain)).toEqual([batches[0], batches[2]].map(plain));
  });

  it("refuses appends past its bound, counted, and takes them again once replayed", () => {
    const dir = tempDir();
    const [b] = fc.sample(batchArb.filter((x) => x.parts.size > 0), { numRuns: 1, seed: 11 });
    const record = frameRecord(encodeSpoolPayload(b)).length + 40; // room for the flush id it is given
    const s = open(dir, record * 2, 1);
    let taken = 0;
    while (s.append(b)) taken++;
    expect(taken).toBeGreaterThanOrEqual(1);
    expect(s.stats.refused).toBe(1);
    drain(s);
    expect(s.append(b)).toBe(true);
  });

  it("gives each live spool of one directory its own slot", () => {
    const dir = tempDir();
    const a = open(dir);
    const b = open(dir);
    expect(a.path).not.toBe(b.path);
    a.close();
    const c = open(dir);
    expect(c.path).toBe(a.path);
  });

  it("takes over a slot whose pid now belongs to another process", () => {
    const dir = tempDir();
    const s = open(dir);
    const [batch] = fc.sample(batchArb, { numRuns: 1, seed: 9 });
    s.append(batch);
    closeAll();
    // pid 1 is alive, but it started at another time than the lock says: the holder died and its pid was reused.
    writeFileSync(join(dir, "0", "lock"), "1 999999999999\n");
    const again = open(dir);
    expect(again.path).toBe(join(dir, "0"));
    expect(drain(again).map(plain)).toEqual([plain(batch)]);
  });

  it("leaves the slot of another live process alone", () => {
    const dir = tempDir();
    open(dir).close();
    const parent = process.ppid;
    const stat = readFileSync(`/proc/${parent}/stat`, "utf8");
    writeFileSync(join(dir, "0", "lock"), `${parent} ${stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]}\n`);
    expect(open(dir).path).toBe(join(dir, "1"));
  });

  it("takes over the slot of a dead process", () => {
    const dir = tempDir();
    const s = open(dir);
    const [batch] = fc.sample(batchArb, { numRuns: 1, seed: 5 });
    s.append(batch);
    closeAll();
    // A lock left by a process that no longer exists (pid far beyond pid_max's default).
    writeFileSync(join(dir, "0", "lock"), "4194000\n");
    const again = open(dir);
    expect(again.path).toBe(join(dir, "0"));
    expect(drain(again).map(plain)).toEqual([plain(batch)]);
  });
});
