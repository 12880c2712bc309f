import { Interval } from "../../timeseries/intervals.js";
import { BatchPart, type PartColumns } from "../../timeseries/batch-part.js";
import { TYPE_NAMES, WriteBatch, type StagedNames, type TypeName } from "../../timeseries/index.js";
import { typeDef, type RowSink } from "../../timeseries/types/index.js";
// The SQLite writer thread's flat form of a batch (its layout, and its decoder) carries every type's rows; a record is that form on disk.
import { decodeBatch, type EncodedPart } from "../../timeseries/backends/sqlite/batch-codec.js";

/**
 * A spool record's payload: one WriteBatch in the flat form of
 * batch-codec (per cell: name index, interval index, sub-bucket, [row
 * count], then each row's `a` and `b`), laid out as
 *
 *   header length u32 | 0 u32 | every part's numbers, float64 | header JSON
 *
 * The header has the flush id, size, points, and per part its namespace,
 * intervals, names, text and number count. Text is interned per part
 * (histogram members and gauge values repeat across names). The numbers
 * come first so they sit 8 bytes into the payload: a reader whose payload
 * buffer is freshly allocated views them without a copy. The encoder
 * writes the numbers straight into their final array (one pass to size
 * it, one to fill it), and the record goes to disk as these pieces, never
 * joined in memory.
 */
interface Header {
  f: string | null;
  s: number;
  p: number;
  parts: Array<{ prefix: string; type: TypeName; intervals: EncodedPart["intervals"]; names: string[]; text: string[]; n: number }>;
}

/** The payload as pieces to write one after another. */
export function encodeSpoolPayload(batch: WriteBatch): Uint8Array[] {
  let total = 0;
  for (const part of batch.parts.values()) {
    const type = part.ns.type;
    if (!(TYPE_NAMES as readonly string[]).includes(type)) throw new Error(`no table for type ${JSON.stringify(type)}`);
    const def = typeDef(type);
    const perCell = def.rows.many ? 4 : 3;
    const perRow = def.rows.b === null ? 1 : 2;
    if (!def.rows.many) total += part.cellCount * (perCell + perRow);
    else total += part.cellCount * perCell + part.rows * perRow;
  }
  const nums = new Float64Array(total);
  const sink = new FillSink(nums);
  const parts: Header["parts"] = [];
  for (const part of batch.parts.values()) {
    const def = typeDef(part.ns.type);
    const many = def.rows.many;
    const start = sink.at;
    sink.reset(def.rows.a === "total");
    for (let slot = 0; slot < part.names.length; slot++) {
      for (let i = 0; i < part.intervals.length; i++) {
        for (let c = part.head(slot, i); c !== -1; c = part.cellNext[c]) {
          nums[sink.at++] = slot;
          nums[sink.at++] = i;
          nums[sink.at++] = part.cellSub[c];
          if (many) nums[sink.at++] = part.rowCount(c);
          part.cellRows(c, sink);
        }
      }
    }
    parts.push({
      prefix: part.ns.prefix,
      type: part.ns.type,
      intervals: part.intervals.map((iv) => ({ name: iv.name, step: iv.step.spec, resolution: iv.resolution?.spec ?? null, steps: iv.steps })),
      names: part.names.slice(),
      text: sink.text,
      n: sink.at - start,
    });
  }
  const header: Header = { f: batch.flushId ?? null, s: batch.size, p: batch.points, parts };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const lead = Buffer.alloc(8);
  lead.writeUInt32LE(json.length, 0);
  return [lead, new Uint8Array(nums.buffer, 0, sink.at * 8), json];
}

/** Rows into the numbers array: a count's total as is, text as its index in the part's interned text. */
class FillSink implements RowSink {
  at = 0;
  text: string[] = [];
  private index = new Map<string, number>();
  private total = false;
  constructor(private readonly nums: Float64Array) {}
  reset(total: boolean): void {
    this.total = total;
    this.text = [];
    this.index = new Map();
  }
  row(a: string | number, b: number | undefined): void {
    if (this.total) this.nums[this.at++] = a as number;
    else {
      let k = this.index.get(a as string);
      if (k === undefined) this.index.set(a as string, (k = this.text.push(a as string) - 1));
      this.nums[this.at++] = k;
    }
    if (b !== undefined) this.nums[this.at++] = b;
  }
}

/** A record's payload, its header read: what it holds, before decoding its rows. */
export interface SpoolPayload {
  readonly flushId: string | undefined;
  /** Where a store records its flush id (see `flushHome`): its smallest prefix. */
  readonly home: string | undefined;
  /** Rows of the batch. */
  readonly rows: number;
  /** The names it staged per namespace (see `WriteBatch.flushNames`). */
  readonly staged: StagedNames[];
  /** The batch, flush id and all; with `into`, its rows merged into that batch instead (see `decodeBatch`). */
  decode(intervalCache?: Map<string, Interval>, into?: WriteBatch): WriteBatch;
  /**
   * The batch, flush id and all, for writing only (see `BatchPart.fromColumns`): its columns built in one
   * pass, no lookups, as the record's cells and rows are already merged. Nothing can be staged or merged into it.
   */
  decodeForWrite(intervalCache?: Map<string, Interval>): WriteBatch;
}

/**
 * Read a payload's lead and header. Throws on a payload that does not
 * parse (its checksum passed, so only a bug or a foreign file makes one);
 * the spool drops such a record, counted.
 */
export function openSpoolPayload(payload: Uint8Array): SpoolPayload {
  if (payload.length < 8) throw new Error("spool record: shorter than its lead");
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const jsonLength = view.getUint32(0, true);
  const numbersBytes = payload.length - 8 - jsonLength;
  if (numbersBytes < 0 || numbersBytes % 8 !== 0) throw new Error("spool record: lengths do not add up");
  const header = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset + 8 + numbersBytes, jsonLength).toString("utf8")) as Header;
  const at0 = payload.byteOffset + 8;
  // A view when aligned (a payload read into its own buffer), else a copy.
  const all = at0 % 8 === 0 ? new Float64Array(payload.buffer, at0, numbersBytes / 8) : new Float64Array(payload.buffer.slice(at0, at0 + numbersBytes));
  let at = 0;
  const parts = header.parts.map((p) => {
    if (at + p.n > all.length) throw new Error("spool record: numbers run past the end of the record");
    const numbers = all.subarray(at, at + p.n);
    at += p.n;
    return { prefix: p.prefix, type: p.type, intervals: p.intervals, names: p.names, text: p.text, numbers };
  });
  let home: string | undefined;
  for (const p of parts) if (home === undefined || p.prefix < home) home = p.prefix;
  const flushId = header.f ?? undefined;
  return {
    flushId,
    home,
    rows: header.s,
    staged: parts.map((p) => ({ ns: { prefix: p.prefix, type: p.type }, names: p.names })),
    decode(intervalCache, into) {
      const batch = decodeBatch({ parts, size: header.s, points: header.p }, intervalCache, into);
      if (!into) batch.flushId = flushId;
      return batch;
    },
    decodeForWrite(intervalCache = new Map()) {
      const batch = new WriteBatch();
      for (const p of parts) {
        const intervals = p.intervals.map((spec) => {
          const key = JSON.stringify(spec);
          let iv = intervalCache.get(key);
          if (!iv) intervalCache.set(key, (iv = new Interval(spec.name, spec)));
          return iv;
        });
        batch.parts.set({}, BatchPart.fromColumns({ prefix: p.prefix, type: p.type }, intervals, columnsOf(p)));
      }
      batch.size = header.s;
      batch.points = header.p;
      batch.flushId = flushId;
      return batch;
    },
  };
}

/**
 * A part's columns straight from its numbers (laid out as `encodeSpoolPayload`
 * writes them): one pass counts the cells and rows, one fills the columns,
 * chaining each (name, interval)'s cells and each cell's rows in record order.
 */
function columnsOf(p: EncodedPart): PartColumns {
  if (!(TYPE_NAMES as readonly string[]).includes(p.type)) throw new Error(`spool record: unknown type ${JSON.stringify(p.type)}`);
  const def = typeDef(p.type);
  const many = def.rows.many;
  const total = def.rows.a === "total";
  const perRow = def.rows.b === null ? 1 : 2;
  const x = p.numbers;
  const nIv = p.intervals.length;
  let cells = 0;
  let rows = 0;
  for (let at = 0; at < x.length; cells++) {
    const k = many ? x[at + 3] : 1;
    at += (many ? 4 : 3) + k * perRow;
    rows += k;
  }
  const heads = new Int32Array(p.names.length * nIv).fill(-1);
  const tails = new Int32Array(heads.length);
  const cellSub = new Float64Array(cells);
  const cellNum = new Float64Array(many ? 0 : cells);
  const cellNext = new Int32Array(cells);
  const cellFirst = new Int32Array(many ? cells : 0);
  const cellRowCount = new Int32Array(many ? cells : 0);
  const cellText: string[] = many || total ? [] : new Array<string>(cells);
  const rowN = new Float64Array(many ? rows : 0);
  const rowNext = new Int32Array(many ? rows : 0);
  const rowText: string[] = many ? new Array<string>(rows) : [];
  const text = p.text;
  let r = 0;
  for (let at = 0, c = 0; c < cells; c++) {
    const slot = x[at];
    const iv = x[at + 1];
    if (slot >= p.names.length || iv >= nIv) throw new Error("spool record: a cell names a name or interval it does not have");
    const key = slot * nIv + iv;
    if (heads[key] === -1) heads[key] = c;
    else cellNext[tails[key]] = c;
    tails[key] = c;
    cellNext[c] = -1;
    cellSub[c] = x[at + 2];
    if (!many) {
      if (total) cellNum[c] = x[at + 3];
      else {
        cellText[c] = text[x[at + 3]];
        cellNum[c] = x[at + 4];
      }
      at += 3 + perRow;
      continue;
    }
    const k = x[at + 3];
    at += 4;
    cellRowCount[c] = k;
    cellFirst[c] = k > 0 ? r : -1;
    for (let j = 0; j < k; j++, r++) {
      rowText[r] = text[x[at++]];
      if (perRow === 2) rowN[r] = x[at++];
      rowNext[r] = j + 1 < k ? r + 1 : -1;
    }
  }
  return { names: p.names, rows: many ? rows : cells, heads, cellSub, cellNum, cellNext, cellFirst, cellRowCount, cellText, rowN, rowNext, rowText };
}

/** The batch back, flush id and all (throws as {@link openSpoolPayload}). */
export function decodeSpoolPayload(payload: Uint8Array, intervalCache?: Map<string, Interval>): WriteBatch {
  return openSpoolPayload(payload).decode(intervalCache);
}

/** The batch back for writing only (see `SpoolPayload.decodeForWrite`; throws as {@link openSpoolPayload}). */
export function decodeSpoolPayloadForWrite(payload: Uint8Array, intervalCache?: Map<string, Interval>): WriteBatch {
  return openSpoolPayload(payload).decodeForWrite(intervalCache);
}
