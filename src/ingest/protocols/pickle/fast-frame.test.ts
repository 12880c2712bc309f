/**
 * The one-pass reader of carbon's plain frames against the general
 * unpickler: for random carbon-shaped pickles in every opcode form senders
 * use, and for broken mutations of them, the stream (which tries the plain
 * pass first) gives exactly the sink calls and the close the general path
 * gives alone; and a clean frame in a sender's shape really is read by the
 * plain pass.
 */
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StreamClose } from "../protocol.js";
import { PlainPoints, scanPlainFrame } from "./fast-frame.js";
import { frame } from "./pickle-encoder.case.js";
import { decodeGeneral, PickleStream } from "./pickle-stream.js";
import { Unpickler } from "./unpickler.js";

const MAX_NAME = 24;
const LIMITS = { maxPickleFrame: 1 << 20, maxLineLength: MAX_NAME };

type Text = string | Buffer;
type Num = { n: number; op: "K" | "M" | "J" | "LONG1" | "G" | "I" | "TRUE" };
type Scalar = Text | Num;
interface Point {
  name: Scalar;
  ts: Scalar;
  value: Scalar;
}
interface Form {
  proto: number | null;
  frameOp: "none" | "exact" | "short" | "cut";
  /** "mix": BINPUT, MEMOIZE and a key PUT twice in turn, and a PUT after numbers too (all of which Python reads). */
  memo: "none" | "binput" | "long" | "memoize" | "huge" | "mix";
  strOp: "X" | "T" | "short" | "mixed";
  batch: number;
  /** A memo GET in place of the second point of each batch's name (or value): of an earlier name, text value or tuple, or of a key never PUT. */
  get: "none" | "name" | "value" | "valueAsName" | "number" | "tuple" | "missing";
  getLong: boolean;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

function numOp(x: Num): Buffer {
  const { n, op } = x;
  switch (op) {
    case "K":
      return Buffer.from([0x4b, n & 0xff]);
    case "M":
      return Buffer.from([0x4d, n & 0xff, (n >> 8) & 0xff]);
    case "J": {
      const b = Buffer.alloc(5);
      b[0] = 0x4a;
      b.writeInt32LE(n | 0, 1);
      return b;
    }
    case "LONG1": {
      let v = BigInt(Math.trunc(n));
      const bytes: number[] = [];
      if (v !== 0n) {
        while (true) {
          const byte = Number(v & 0xffn);
          bytes.push(byte);
          v >>= 8n;
          if ((v === 0n && byte < 0x80) || (v === -1n && byte >= 0x80)) break;
        }
      }
      return Buffer.from([0x8a, bytes.length, ...bytes]);
    }
    case "G": {
      const b = Buffer.alloc(9);
      b[0] = 0x47;
      b.writeDoubleBE(n, 1);
      return b;
    }
    case "I":
      return Buffer.from(`I${Math.trunc(n)}\n`, "latin1");
    case "TRUE":
      return Buffer.from([0x88]);
  }
}

/** A pickle of `[(name, (ts, value)), ...]` in the given opcode form. */
function writePickle(points: readonly Point[], form: Form, edit?: PartEdit): Buffer {
  const parts: Buffer[] = [];
  let memo = 0;
  let nameKey = -1;
  let valueKey = -1;
  let tupleKey = -1;
  let numberKey = -1;
  const get = (key: number) => {
    if (form.getLong) parts.push(Buffer.concat([Buffer.from([0x6a]), u32(key)]));
    else parts.push(Buffer.from([0x68, key & 0xff]));
  };
  const gets = form.memo === "none" && form.get !== "missing" ? "none" : form.get;
  const put = () => {
    const key = memo++;
    if (form.memo === "binput") parts.push(Buffer.from([0x71, key & 0xff]));
    else if (form.memo === "long") parts.push(Buffer.concat([Buffer.from([0x72]), u32(key)]));
    else if (form.memo === "memoize") parts.push(Buffer.from([0x94]));
    else if (form.memo === "huge") parts.push(Buffer.concat([Buffer.from([0x72]), u32(key === 3 ? 0x7fffffff : key)]));
    else if (form.memo === "mix") parts.push(key % 3 === 0 ? Buffer.from([0x71, key & 0xff]) : key % 3 === 1 ? Buffer.from([0x94]) : Buffer.concat([Buffer.from([0x72]), u32(key), Buffer.from([0x72]), u32(key)]));
    return key;
  };
  const str = (t: Text, k: number) => {
    const b = typeof t === "string" ? Buffer.from(t, "utf8") : t;
    const op = form.strOp === "mixed" ? (["X", "T", "short"] as const)[k % 3] : form.strOp;
    if (op === "short" && b.length < 256) parts.push(Buffer.from([k % 2 === 0 ? 0x8c : 0x55, b.length]), b);
    else parts.push(Buffer.from([op === "T" ? 0x54 : 0x58]), u32(b.length), b);
  };
  const scalar = (s: Scalar, k: number) => {
    if (typeof s === "string" || Buffer.isBuffer(s)) {
      str(s, k);
      return put();
    }
    parts.push(numOp(s));
    return form.memo === "mix" ? put() : -1;
  };
  parts.push(Buffer.from([0x5d]));
  put();
  for (let i = 0; i < points.length; i += form.batch) {
    const chunk = points.slice(i, i + form.batch);
    const marked = chunk.length > 1 || form.batch > 1;
    if (marked) parts.push(Buffer.from([0x28]));
    chunk.forEach((p, j) => {
      if (j === 1 && gets === "name" && nameKey >= 0) get(nameKey);
      else if (j === 1 && gets === "tuple" && tupleKey >= 0) get(tupleKey);
      else if (j === 1 && gets === "missing") get(200);
      else if (j === 1 && gets === "valueAsName" && valueKey >= 0) get(valueKey);
      else if (j === 1 && gets === "number" && numberKey >= 0) get(numberKey);
      else {
        const key = scalar(p.name, i + j);
        if (nameKey < 0) nameKey = key;
      }
      scalar(p.ts, i + j + 1);
      if (j === 1 && gets === "value" && valueKey >= 0) get(valueKey);
      else if (j === 1 && gets === "number" && numberKey >= 0) get(numberKey);
      else if (j === 2 && gets === "name" && nameKey >= 0) get(nameKey);
      else {
        const key = scalar(p.value, i + j + 2);
        const text = typeof p.value === "string" || Buffer.isBuffer(p.value);
        if (valueKey < 0 && key >= 0 && text) valueKey = key;
        if (numberKey < 0 && key >= 0 && !text) numberKey = key;
      }
      parts.push(Buffer.from([0x86]));
      const inner = put();
      if (tupleKey < 0) tupleKey = inner;
      parts.push(Buffer.from([0x86]));
      put();
    });
    parts.push(Buffer.from([marked ? 0x65 : 0x61]));
  }
  parts.push(Buffer.from([0x2e]));
  if (edit !== undefined) editParts(parts, edit);
  let body = Buffer.concat(parts);
  if (form.frameOp !== "none") {
    const head = Buffer.alloc(9);
    head[0] = 0x95;
    head.writeBigUInt64LE(BigInt(form.frameOp === "short" ? body.length - 1 : form.frameOp === "cut" ? body.length >> 1 : body.length), 1);
    body = Buffer.concat([head, body]);
  }
  if (form.proto !== null) body = Buffer.concat([Buffer.from([0x80, form.proto]), body]);
  return body;
}

/** An edit at opcode boundaries: one opcode (with its argument) dropped, repeated, swapped with the next, or one inserted, or bytes after STOP. */
type PartEdit = { kind: "drop" | "repeat" | "swap" | "insert" | "trail"; at: number; op: number };
/** Opcodes that change the shape: MARK, APPEND, APPENDS, STOP, TUPLE2, EMPTY_LIST, MEMOIZE, POP, BINPUT 0, BINGET 0, NONE. */
const SHAPE_OPS: readonly Buffer[] = [[0x28], [0x61], [0x65], [0x2e], [0x86], [0x5d], [0x94], [0x30], [0x71, 0], [0x68, 0], [0x4e]].map((b) => Buffer.from(b));

function editParts(parts: Buffer[], edit: PartEdit): void {
  const at = edit.at % parts.length;
  const op = SHAPE_OPS[edit.op % SHAPE_OPS.length];
  if (edit.kind === "drop" && parts.length > 1) parts.splice(at, 1);
  else if (edit.kind === "repeat") parts.splice(at, 0, parts[at]);
  else if (edit.kind === "swap" && at + 1 < parts.length) [parts[at], parts[at + 1]] = [parts[at + 1], parts[at]];
  else if (edit.kind === "insert") parts.splice(at, 0, op);
  else if (edit.kind === "trail") parts.push(op);
}
const partEditArb: fc.Arbitrary<PartEdit> = fc.record({ kind: fc.constantFrom("drop", "repeat", "swap", "insert", "trail"), at: fc.nat(), op: fc.nat() });

// ------------------------------------------------------------------ generators
const cleanName = fc.stringMatching(/^[a-z0-9._\-:;=]{1,24}$/);
const anyName: fc.Arbitrary<Text> = fc.oneof(
  { weight: 6, arbitrary: cleanName },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 0, maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom("", "a b", "a\tb", "a\nb", "x".repeat(MAX_NAME), "x".repeat(MAX_NAME + 1), "é".repeat(MAX_NAME), "\ufffd", "\u{1F600}".repeat(13)) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 12 }).map((a) => Buffer.from(a)) },
);
const intOp = (n: number): fc.Arbitrary<Num> => {
  const ops: Num["op"][] = ["LONG1", "G"];
  if (n >= 0 && n < 256) ops.push("K");
  if (n >= 0 && n < 65536) ops.push("M");
  if (n >= -(2 ** 31) && n < 2 ** 31) ops.push("J");
  return fc.constantFrom(...ops).map((op) => ({ n, op }));
};
const numArb: fc.Arbitrary<Num> = fc.oneof(
  fc.integer({ min: 0, max: 1100 }).chain(intOp),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).chain(intOp),
  fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).chain(intOp),
  fc.constantFrom(2 ** 47, -(2 ** 47), 2 ** 48 - 1, 2 ** 53, 2 ** 53 - 1, 2 ** 60).chain(intOp),
  fc.double().map((n): Num => ({ n, op: "G" })),
  fc.constantFrom(-0, -0.5, 0.5, NaN, Infinity, -Infinity, 1e21, 5e-324, 1.5).map((n): Num => ({ n, op: "G" })),
  fc.constantFrom<Num>({ n: 7, op: "I" }, { n: 1, op: "TRUE" }),
);
const cleanNum: fc.Arbitrary<Num> = fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }).chain(intOp), fc.double({ min: 0, max: 2 ** 40, noNaN: true }).map((n): Num => ({ n, op: "G" })));
const anyValue: fc.Arbitrary<Scalar> = fc.oneof(
  { weight: 6, arbitrary: numArb },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a)) },
);
const anyTs: fc.Arbitrary<Scalar> = fc.oneof({ weight: 8, arbitrary: numArb }, { weight: 1, arbitrary: fc.constantFrom("1700000000", " 12 ", "x") });
const pointArb = fc.record({ name: anyName, ts: anyTs, value: anyValue });
const cleanPoint = fc.record({ name: cleanName, ts: cleanNum as fc.Arbitrary<Scalar>, value: fc.oneof(cleanNum, numArb.filter((x) => x.op !== "I" && x.op !== "TRUE" && !(x.op === "G" && x.n === -0.5) && !(x.op === "LONG1" && (x.n < -(2 ** 47) || x.n >= 2 ** 53))), cleanName) as fc.Arbitrary<Scalar> });
const formArb = (plain: boolean): fc.Arbitrary<Form> =>
  fc.record({
    proto: plain ? fc.constantFrom(2, 3, 4, 5, null) : fc.constantFrom(0, 2, 4, 5, 6, null),
    frameOp: plain ? fc.constantFrom<Form["frameOp"]>("none", "exact") : fc.constantFrom<Form["frameOp"]>("none", "exact", "short", "cut"),
    memo: plain ? fc.constantFrom<Form["memo"]>("none", "binput", "long", "memoize", "mix") : fc.constantFrom<Form["memo"]>("none", "binput", "long", "memoize", "huge", "mix"),
    strOp: fc.constantFrom<Form["strOp"]>("X", "T", "short", "mixed"),
    batch: fc.integer({ min: 1, max: 8 }),
    get: plain ? fc.constantFrom<Form["get"]>("none", "name", "value", "valueAsName") : fc.constantFrom<Form["get"]>("none", "name", "value", "valueAsName", "number", "tuple", "missing"),
    getLong: fc.boolean(),
  });
type Mutation = { kind: "flip" | "insert" | "delete" | "truncate"; at: number; byte: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({ kind: fc.constantFrom("flip", "insert", "delete", "truncate"), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) });

function mutate(body: Buffer, ms: readonly Mutation[]): Buffer {
  let b = Buffer.from(body);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === "flip") b[at] = m.byte;
    else if (m.kind === "insert") b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
    else if (m.kind === "delete" && b.length > 1) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else b = b.subarray(0, Math.max(1, at));
  }
  return b;
}

// ------------------------------------------------------------------ the two paths
interface Outcome {
  calls: unknown[][];
  close: StreamClose | null;
}

const recorder = (calls: unknown[][]) => ({ point: (n: string, v: string, t: number) => calls.push(["point", n, v, t]), bad: (r: string, e: string) => calls.push(["bad", r, e]) });

/** The stream as karbon runs it: the plain pass first. */
function viaStream(body: Buffer): Outcome {
  const calls: unknown[][] = [];
  const close = new PickleStream(recorder(calls), LIMITS).push(frame(body));
  return { calls, close };
}

/** The general unpickler alone. */
function viaGeneral(body: Buffer): Outcome {
  const calls: unknown[][] = [];
  const close = decodeGeneral(new Unpickler(), body, 0, body.length, recorder(calls), MAX_NAME);
  return { calls, close };
}

const isPlain = (body: Buffer) => scanPlainFrame(body, 0, body.length, MAX_NAME, new PlainPoints());

describe("pickle: the plain-frame pass", () => {
  it("clean frames in a sender's shape are read by the plain pass, with the general path's points", () => {
    fc.assert(
      fc.property(fc.array(cleanPoint, { maxLength: 40 }), formArb(true), (points, form) => {
        const body = writePickle(points, form);
        expect(isPlain(body)).toBe(true);
        const general = viaGeneral(body);
        expect(general.close).toBeNull();
        expect(general.calls.length).toBe(points.length);
        expect(viaStream(body)).toEqual(general);
      }),
      { numRuns: 2000 },
    );
  });

  it("any carbon-shaped frame gives the same sink calls and close either way", () => {
    let plain = 0;
    fc.assert(
      fc.property(fc.array(pointArb, { maxLength: 20 }), formArb(false), (points, form) => {
        const body = writePickle(points, form);
        if (isPlain(body)) plain++;
        expect(viaStream(body)).toEqual(viaGeneral(body));
      }),
      { numRuns: 3000 },
    );
    // Both paths really were compared.
    expect(plain).toBeGreaterThan(50);
  });

  it("mutated frames give the same sink calls and close either way", () => {
    let plain = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 3, arbitrary: cleanPoint }, { weight: 1, arbitrary: pointArb }), { minLength: 1, maxLength: 10 }), fc.oneof(formArb(true), formArb(false)), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (points, form, ms) => {
        const body = mutate(writePickle(points, form), ms);
        if (isPlain(body)) plain++;
        expect(viaStream(body)).toEqual(viaGeneral(body));
      }),
      { numRuns: 5000 },
    );
    expect(plain).toBeGreaterThan(10);
  });

  it("frames with an opcode dropped, repeated, swapped or added give the same sink calls and close either way", () => {
    let plain = 0;
    fc.assert(
      fc.property(fc.array(cleanPoint, { minLength: 1, maxLength: 6 }), formArb(true), partEditArb, (points, form, edit) => {
        const body = writePickle(points, form, edit);
        if (isPlain(body)) plain++;
        expect(viaStream(body)).toEqual(viaGeneral(body));
      }),
      { numRuns: 4000 },
    );
    expect(plain).toBeGreaterThan(50);
  });

  it("clean frames with one point at an edge (name length, blanks, timestamp bounds, odd numbers) give the same either way", () => {
    const edgeName = fc.constantFrom<Text>("", "x".repeat(MAX_NAME), "x".repeat(MAX_NAME + 1), "é".repeat(MAX_NAME), "é".repeat(MAX_NAME + 1), "\u{1F600}".repeat(12), "\u{1F600}".repeat(13), "a b", "a\tb", "a\rb", "a\nb", "a\u0000b", "a\u007fb", "\ufffd", Buffer.from([0x61, 0xff]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf]));
    const edgeNum = fc.constantFrom<Num>(
      { n: -1, op: "J" }, { n: -1, op: "LONG1" }, { n: 2 ** 53, op: "LONG1" }, { n: 2 ** 53 - 1, op: "LONG1" }, { n: 2 ** 53 + 2, op: "LONG1" }, { n: -(2 ** 48), op: "LONG1" }, { n: 2 ** 56, op: "LONG1" },
      { n: 2 ** 53, op: "G" }, { n: 2 ** 53 - 1, op: "G" }, { n: -0, op: "G" }, { n: -0.5, op: "G" }, { n: -1e-300, op: "G" }, { n: NaN, op: "G" }, { n: Infinity, op: "G" }, { n: 0.1 + 0.2, op: "G" }, { n: 1023, op: "M" }, { n: 1024, op: "M" }, { n: 65535, op: "M" }, { n: 1, op: "TRUE" }, { n: 3, op: "I" },
    );
    const edgeText = fc.constantFrom<Text>("", " 1 ", "1 2", "1\t2", "é", Buffer.from([0xff]), "\ufffd", "1e5", "x".repeat(MAX_NAME + 1));
    const edgePoint = fc.oneof(
      fc.record({ name: edgeName as fc.Arbitrary<Scalar>, ts: cleanNum as fc.Arbitrary<Scalar>, value: cleanNum as fc.Arbitrary<Scalar> }),
      fc.record({ name: cleanName as fc.Arbitrary<Scalar>, ts: fc.oneof(edgeNum, edgeText) as fc.Arbitrary<Scalar>, value: cleanNum as fc.Arbitrary<Scalar> }),
      fc.record({ name: cleanName as fc.Arbitrary<Scalar>, ts: cleanNum as fc.Arbitrary<Scalar>, value: fc.oneof(edgeNum, edgeText) as fc.Arbitrary<Scalar> }),
    );
    fc.assert(
      fc.property(fc.array(cleanPoint, { maxLength: 5 }), edgePoint, fc.nat(), fc.oneof(formArb(true), formArb(false)), (points, edge, at, form) => {
        const all: Point[] = [...points];
        all.splice(at % (points.length + 1), 0, edge);
        const body = writePickle(all, form);
        expect(viaStream(body)).toEqual(viaGeneral(body));
      }),
      { numRuns: 4000 },
    );
  });

  it("what Python's pickle.dumps writes (protocols 2 to 5) for carbon-relay's batches is read by the plain pass, as the general path reads it", () => {
    // Names, ints of every width, floats and text values, some of them repeated (as memo GETs); 1200 points make pickle.dumps split its APPENDS.
    const script = `
import pickle, struct, sys
pts = [("a.h%d.metric-%d" % (i % 7, i), (1700000000 + i, [i, -i * 70001, 2 ** 40 + i, i / 7.0, 1e300, "%d.5" % i][i % 6])) for i in range(3000)]
# The same str object again (a name, a value) is written as a memo GET.
for i in range(0, 3000, 5):
    pts[i + 1] = (pts[i][0], (pts[i + 1][1][0], "7.5" if i % 2 else pts[i][0]))
for proto in (2, 3, 4, 5):
    for n in (1, 2, 500, 1200, 3000):
        sys.stdout.write(pickle.dumps(pts[:n], protocol=proto).hex() + "\\n")
`;
    const bodies = execFileSync("/usr/bin/python3", ["-c", script], { maxBuffer: 1 << 26 }).toString().trim().split("\n").map((hex) => Buffer.from(hex, "hex"));
    expect(bodies.length).toBe(20);
    bodies.forEach((body, k) => {
      // Protocol 4 on cuts a pickle over 64 KiB into several FRAMEs: those take the general path.
      const framed = k >= 10 && k % 5 === 4;
      expect(isPlain(body)).toBe(!framed);
      const general = viaGeneral(body);
      expect(general.close).toBeNull();
      expect(general.calls.every((c) => c[0] === "point")).toBe(true);
      expect(viaStream(body)).toEqual(general);
    });
  });

  it("frames one after another on one connection give the same as each through the general path (no memo carried over)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(fc.oneof(cleanPoint, pointArb), { maxLength: 4 }), formArb(false)), { minLength: 2, maxLength: 5 }), (frames) => {
        const bodies = frames.map(([points, form]) => writePickle(points, form));
        const calls: unknown[][] = [];
        const stream = new PickleStream(recorder(calls), LIMITS);
        const closes = [];
        for (const body of bodies) {
          const close = stream.push(frame(body));
          closes.push(close);
          if (close !== null) break;
        }
        const unpickler = new Unpickler();
        const expectedCalls: unknown[][] = [];
        const expectedCloses = [];
        for (const body of bodies) {
          const close = decodeGeneral(unpickler, body, 0, body.length, recorder(expectedCalls), MAX_NAME);
          expectedCloses.push(close);
          if (close !== null) break;
        }
        expect({ calls, closes }).toEqual({ calls: expectedCalls, closes: expectedCloses });
      }),
      { numRuns: 2000 },
    );
    // A key PUT in one frame and read in the next is refused there, as the general path refuses it.
    const put = writePickle([{ name: "a.b", ts: { n: 1, op: "K" }, value: { n: 2, op: "K" } }], { proto: 2, frameOp: "none", memo: "binput", strOp: "X", batch: 1, get: "none", getLong: false });
    const reads = Buffer.from([0x80, 0x02, 0x5d, 0x71, 0x00, 0x68, 0x01, 0x4b, 0x01, 0x4b, 0x02, 0x86, 0x86, 0x61, 0x2e]);
    const calls: unknown[][] = [];
    const stream = new PickleStream(recorder(calls), LIMITS);
    expect(stream.push(frame(put))).toBeNull();
    expect(stream.push(frame(reads))?.reason).toBe("pickle_malformed");
    expect(calls).toEqual([["point", "a.b", "2", 1]]);
  });

  it("keeps nothing of one frame in the next: a plain frame after a general one, and the reverse", () => {
    const calls: unknown[][] = [];
    const stream = new PickleStream(recorder(calls), LIMITS);
    const plain = writePickle([{ name: "a.b", ts: { n: 10, op: "K" }, value: { n: 1.5, op: "G" } }], { proto: 2, frameOp: "none", memo: "binput", strOp: "X", batch: 1, get: "none", getLong: false });
    const general = writePickle([{ name: "c d", ts: { n: 11, op: "K" }, value: { n: 2, op: "K" } }], { proto: 2, frameOp: "none", memo: "binput", strOp: "X", batch: 1, get: "none", getLong: false });
    expect(stream.push(Buffer.concat([frame(plain), frame(general), frame(plain)]))).toBeNull();
    expect(calls).toEqual([["point", "a.b", "1.5", 10], ...viaGeneral(general).calls, ["point", "a.b", "1.5", 10]]);
  });
});
