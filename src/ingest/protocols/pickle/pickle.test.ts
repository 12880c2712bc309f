/**
 * The pickle protocol's decoder: batches pickled by a small TypeScript writer
 * and by Python's own `pickle.dumps` decode to the points they hold, however
 * the reads split them; hostile and broken pickles close the connection with
 * a reason and never run anything.
 */
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StreamClose } from "../protocol.js";
import { describeBadInput } from "../index.js";
import { pickle } from "./index.js";
import { frame, pickleBatch, type CarbonPoint, type Form } from "./pickle-encoder.case.js";
import { MAX_DEPTH } from "./unpickler.js";

type Event = string;
const LIMITS = { maxPickleFrame: 1 << 20, maxLineLength: 4096 };

/** Push `chunks` through a fresh decoder the way the TCP receiver does: nothing after a close; end() on a clean finish. */
function decode(chunks: Buffer[], limits = LIMITS): { events: Event[]; close: StreamClose | null; pending: number } {
  const events: Event[] = [];
  const stream = pickle.stream({ point: (n, v, t) => events.push(`${n}=${v}@${t}`), bad: (r, e) => events.push(`bad ${r}: ${e}`) }, limits);
  let close: StreamClose | null = null;
  for (const c of chunks) {
    close = stream.push(c);
    if (close) break;
  }
  const pending = stream.pendingBytes;
  if (!close) stream.end();
  return { events, close, pending };
}

const expected = (points: readonly CarbonPoint[]): Event[] => points.map((p) => `${p.name}=${typeof p.value === "string" ? p.value : String(p.value)}@${Math.trunc(p.timestamp) + 0}`);

/** Python's pickle.dumps of each batch, framed, in one python3 run. */
function pythonFrames(batches: ReadonlyArray<{ points: readonly CarbonPoint[]; protocol: number }>): Buffer[] {
  const script = `
import json, pickle, struct, sys
for line in sys.stdin:
    b = json.loads(line)
    data = [(p[0], (p[1], p[2])) for p in b["points"]]
    body = pickle.dumps(data, protocol=b["protocol"])
    sys.stdout.write((struct.pack(">I", len(body)) + body).hex() + "\\n")
`;
  const input = batches.map((b) => JSON.stringify({ points: b.points.map((p) => [p.name, p.timestamp, p.value]), protocol: b.protocol })).join("\n") + "\n";
  const out = execFileSync("/usr/bin/python3", ["-c", script], { input, maxBuffer: 1 << 28 }).toString().trim().split("\n");
  return out.map((hex) => Buffer.from(hex, "hex"));
}

function python(expr: string): Buffer {
  return Buffer.from(execFileSync("/usr/bin/python3", ["-c", `import os, pickle, struct, sys\nbody = ${expr}\nsys.stdout.write(body.hex())`]).toString(), "hex");
}

// ------------------------------------------------------------------ generators
const nameArb = fc.string({ unit: "binary", minLength: 1, maxLength: 40 }).filter((s) => !/[ \t\r\n]/.test(s));
const valueArb: fc.Arbitrary<string | number> = fc.oneof(
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: 0, max: 1000 }).map(String),
  fc.string({ unit: "binary", maxLength: 20 }),
);
const timestampArb = fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.double({ min: 0, max: 2 ** 40, noNaN: true }));
const pointArb = fc.record({ name: nameArb, timestamp: timestampArb, value: valueArb });
const batchArb = fc.array(pointArb, { minLength: 1, maxLength: 30 });

describe("pickle: round trips", () => {
  it("batches from the TypeScript writer decode to their points, in every sender's form", () => {
    fc.assert(
      fc.property(batchArb, fc.constantFrom<Form>("python0", "python2", "statsd"), (points, form) => {
        // statsd sends the value as text: numbers arrive in their JavaScript form.
        const { events, close } = decode([frame(pickleBatch(points, form))]);
        expect(close).toBeNull();
        expect(events).toEqual(expected(form === "statsd" ? points.map((p) => ({ ...p, value: String(p.value) })) : points));
      }),
      { numRuns: 1500 },
    );
  });

  it("batches pickled by Python (protocols 0 to 5) decode to their points", () => {
    const batches = fc.sample(fc.record({ points: batchArb, protocol: fc.integer({ min: 0, max: 5 }) }), 300);
    const frames = pythonFrames(batches);
    batches.forEach((b, i) => {
      const { events, close } = decode([frames[i]]);
      expect(close, `protocol ${b.protocol}`).toBeNull();
      expect(events).toEqual(expected(b.points));
    });
  });

  it("APPENDS over 1000 items, memo keys past 255 (LONG_BINPUT) and many frames on one connection", () => {
    const points = Array.from({ length: 2500 }, (_, i) => ({ name: `big.batch.n${i}`, timestamp: 1_700_000_000 + i, value: i * 0.5 }));
    const frames = pythonFrames([0, 1, 2, 4].map((protocol) => ({ points, protocol })));
    const { events, close } = decode(frames);
    expect(close).toBeNull();
    expect(events).toEqual([0, 1, 2, 4].flatMap(() => expected(points)));
  });

  it("Python 2's forms: str as SHORT_BINSTRING/BINSTRING/STRING, longs, bools, memo GETs of a repeated name and tuple", () => {
    // What Python 2's cPickle wrote for [('a.b', (1700000000L, 1.5)), ('a.b', (1700000000L, 1.5))] with a shared tuple, protocol 2,
    // written out by hand: PROTO 2, EMPTY_LIST, BINPUT, MARK, SHORT_BINSTRING, BINPUT, LONG1, BINFLOAT, TUPLE2, BINPUT, TUPLE2, BINPUT, BINGET×2, TUPLE2, APPENDS, STOP.
    const ts = Buffer.from([0x8a, 0x04, 0x00, 0xf1, 0x53, 0x65]);
    const g = Buffer.alloc(9);
    g[0] = 0x47;
    g.writeDoubleBE(1.5, 1);
    const p2 = Buffer.concat([Buffer.from("\x80\x02]q\x00(U\x03a.bq\x01", "latin1"), ts, g, Buffer.from("\x86q\x02\x86q\x03h\x01h\x02\x86e.", "latin1")]);
    // Protocol 0 with STRING escapes, LONG text, Python 2 bools (I01) and GET.
    const p0 = Buffer.from("(lp0\n(S'c.\\x41\\'q\\\\'\np1\n(L1700000000L\nI01\ntp2\ntp3\na(g1\n(F1700000001.5\nS\"7\"\ntp4\ntp5\naT\x03\x00\x00\x00c.Bq\x06K\x05N\x86\x86a.", "latin1");
    const { events, close } = decode([frame(p2), frame(p0)]);
    expect(close).toBeNull();
    expect(events).toEqual(["a.b=1.5@1700000000", "a.b=1.5@1700000000", "c.A'q\\=1@1700000000", "c.A'q\\=7@1700000001", 'bad pickle_bad_point: ("c.B", (5, None))']);
  });

  it("longs beyond 2^53 become the nearest double, as Python's float() makes them", () => {
    const { events } = decode([frame(python("pickle.dumps([('x', (1700000000, 2**70)), ('y', (1700000000, -2**64 - 1)), ('z', (2**60, 1))], protocol=2)"))]);
    expect(events).toEqual([`x=${String(2 ** 70)}@1700000000`, `y=${String(-(2 ** 64))}@1700000000`, `bad pickle_bad_timestamp: ("z", (${String(2 ** 60)}, 1))`]);
  });
});

describe("pickle: framing", () => {
  const points = [
    { name: "a.b", timestamp: 1_700_000_000, value: 1.5 },
    { name: "指标.延迟😀", timestamp: 1_700_000_060, value: "42" },
  ];
  const stream = Buffer.concat([frame(pickleBatch(points, "python2")), frame(pickleBatch(points, "python0")), frame(pickleBatch(points, "statsd"))]);
  const want = [...expected(points), ...expected(points), ...expected(points.map((p) => ({ ...p, value: String(p.value) })))];

  it("a stream split at every byte boundary gives the same points", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const { events, close } = decode([stream.subarray(0, cut), stream.subarray(cut)]);
      expect(close, `cut at ${cut}`).toBeNull();
      expect(events, `cut at ${cut}`).toEqual(want);
    }
    expect(decode([...stream].map((b) => Buffer.from([b]))).events).toEqual(want);
  });

  it("any cuts into any number of chunks give the same points (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: stream.length }), { maxLength: 12 }), (at) => {
        const cuts = [0, ...at.sort((x, y) => x - y), stream.length];
        const chunks = cuts.slice(1).map((c, k) => stream.subarray(cuts[k], c));
        expect(decode(chunks).events).toEqual(want);
      }),
    );
  });

  it("does not keep a reference to a pushed chunk", () => {
    const events: string[] = [];
    const s = pickle.stream({ point: (n, v, t) => events.push(`${n}=${v}@${t}`), bad: () => {} }, LIMITS);
    const f = frame(pickleBatch(points.slice(0, 1), "python2"));
    const first = Buffer.from(f.subarray(0, 10));
    s.push(first);
    first.fill(0x63); // the caller reuses its buffer (0x63 is GLOBAL)
    expect(s.push(Buffer.from(f.subarray(10)))).toBeNull();
    expect(events).toEqual(expected(points.slice(0, 1)));
  });

  it("refuses a length over MAX_PICKLE_FRAME as soon as its 4 bytes are in, holding nothing", () => {
    const huge = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x80, 0x02]);
    const { close, pending, events } = decode([huge.subarray(0, 2), huge.subarray(2)], { maxPickleFrame: 1000, maxLineLength: 4096 });
    expect(close).toMatchObject({ reason: "pickle_frame_too_long", detail: { length: 0xffffffff, max: 1000 } });
    expect(pending).toBe(0);
    expect(events).toEqual([]);
    // Exactly at the bound is fine.
    const body = pickleBatch(points, "python2");
    expect(decode([frame(body)], { maxPickleFrame: body.length, maxLineLength: 4096 }).close).toBeNull();
    expect(decode([frame(body)], { maxPickleFrame: body.length - 1, maxLineLength: 4096 }).close?.reason).toBe("pickle_frame_too_long");
  });

  it("counts a frame the sender did not finish, keeping what came before", () => {
    const f = frame(pickleBatch(points, "python2"));
    for (const cut of [1, 3, 4, 5, f.length - 1]) {
      const { events, close } = decode([f, f.subarray(0, cut)]);
      expect(close).toBeNull();
      expect(events.slice(0, 2)).toEqual(expected(points));
      expect(events[2]).toMatch(/^bad pickle_truncated: /);
      expect(events).toHaveLength(3);
    }
  });

  it("a bad point inside a good frame is counted; the rest of the frame lands", () => {
    const body = python(
      "pickle.dumps([('ok.1', (1700000000, 1)), ('has space', (1700000000, 1)), ('ok.2', (-5, 1)), ('ok.3', (1700000000, None)), ('', (1, 1)), ('ok.4', (1700000000, 'x')), 'just text', ('ok.5', (1700000000, 2), 3), ('ok.6', ('1700000000.5', '2.5')), ('ok.7', ('soon', 1)), ('n'*5000, (1, 1))], protocol=2)",
    );
    const { events, close } = decode([frame(body)]);
    expect(close).toBeNull();
    expect(events.map((e) => e.replace(/:.*/, ""))).toEqual([
      "ok.1=1@1700000000",
      "bad pickle_bad_name",
      "bad pickle_bad_timestamp",
      "bad pickle_bad_point",
      "bad pickle_bad_name",
      "ok.4=x@1700000000",
      "bad pickle_bad_point",
      "bad pickle_bad_point",
      "ok.6=2.5@1700000000",
      "bad pickle_bad_timestamp",
      "bad pickle_bad_name",
    ]);
    // Bytes (SHORT_BINBYTES) that are not UTF-8: counted as pickle_bad_utf8, the next point stored.
    const p = Buffer.from("\x80\x03](C\x02\xff\xfeK\x01K\x02\x86\x86C\x01aK\x01K\x02\x86\x86e.", "latin1");
    expect(decode([frame(p)]).events).toEqual(['bad pickle_bad_utf8: (b"��", (1, 2))', "a=2@1"]);
    // Not a list at all.
    expect(decode([frame(python("pickle.dumps(42, protocol=2)"))]).events).toEqual(["bad pickle_not_a_list: 42"]);
  });
});

describe("pickle: hostile and broken input", () => {
  const marker = `/tmp/torus-pickle-pwned-${process.pid}`;
  /** The frame's reason, checking nothing before the bad frame was lost and nothing after it was read. */
  function refused(body: Buffer): StreamClose {
    const good = frame(pickleBatch([{ name: "before", timestamp: 1, value: 1 }], "python2"));
    const after = frame(pickleBatch([{ name: "after", timestamp: 1, value: 1 }], "python2"));
    const { events, close } = decode([Buffer.concat([good, frame(body), after])]);
    expect(events).toEqual(["before=1@1"]);
    expect(close).not.toBeNull();
    return close!;
  }

  it.each([0, 1, 2])("os.system through GLOBAL and REDUCE (protocol %i) is refused and never run", (protocol) => {
    rmSync(marker, { force: true });
    const body = python(`pickle.dumps([type("X", (), {"__reduce__": lambda self: (os.system, ("touch ${marker}",))})()], protocol=${protocol})`);
    expect(body.includes(Buffer.from("system"))).toBe(true);
    expect(refused(body)).toMatchObject({ reason: "pickle_unsafe_opcode", detail: { opcode: "GLOBAL" } });
    expect(existsSync(marker)).toBe(false);
  });

  it("os.system through STACK_GLOBAL (protocol 4) is refused", () => {
    const body = python(`pickle.dumps([type("X", (), {"__reduce__": lambda self: (os.system, ("touch ${marker}",))})()], protocol=4)`);
    expect(refused(body)).toMatchObject({ reason: "pickle_unsafe_opcode", detail: { opcode: "STACK_GLOBAL" } });
    expect(existsSync(marker)).toBe(false);
  });

  it.each([
    ["BUILD", "b"],
    ["INST", "i__builtin__\nobject\n"],
    ["OBJ", "o"],
    ["NEWOBJ", "\x81"],
    ["NEWOBJ_EX", "\x92"],
    ["PERSID", "Pfoo\n"],
    ["BINPERSID", "Q"],
    ["EXT1", "\x82\x01"],
    ["EXT2", "\x83\x01\x00"],
    ["EXT4", "\x84\x01\x00\x00\x00"],
    ["REDUCE", "R"],
  ])("%s is refused", (opcode, bytes) => {
    expect(refused(Buffer.from(`\x80\x02]K\x01${bytes}.`, "latin1"))).toMatchObject({ reason: "pickle_unsafe_opcode", detail: { opcode } });
  });

  it.each([
    ["a dict", "pickle.dumps([{'a': 1}], protocol=2)", "pickle_unsupported_opcode"],
    ["a set", "pickle.dumps([{1}], protocol=4)", "pickle_unsupported_opcode"],
    ["Python 3 bytes in protocol 2 (pickled through _codecs.encode)", "pickle.dumps([(b'a', (1, 1))], protocol=2)", "pickle_unsafe_opcode"],
    ["protocol 5's out-of-band buffer", "pickle.dumps([pickle.PickleBuffer(b'ab')], protocol=5, buffer_callback=lambda b: False)", "pickle_unsupported_opcode"],
  ])("%s is refused", (_label, expr, reason) => {
    expect(refused(python(expr)).reason).toBe(reason);
  });

  it("a PROTO above 5 is refused", () => {
    expect(refused(Buffer.from("\x80\x06].", "latin1")).reason).toBe("pickle_protocol");
  });

  it("nesting deeper than the bound is refused, by MARKs and by containers, without recursing", () => {
    expect(refused(Buffer.from(`${"(".repeat(MAX_DEPTH + 1)}l.`, "latin1")).reason).toBe("pickle_too_deep");
    expect(refused(Buffer.from(`${"]".repeat(MAX_DEPTH + 1)}${"a".repeat(MAX_DEPTH)}.`, "latin1")).reason).toBe("pickle_too_deep");
    expect(refused(Buffer.from(`${")".repeat(1)}${"\x85".repeat(MAX_DEPTH)}.`, "latin1")).reason).toBe("pickle_too_deep");
    // 100,000 levels: still a counted refusal, no stack overflow.
    expect(refused(Buffer.from(`]${"\x85".repeat(100_000)}.`, "latin1")).reason).toBe("pickle_too_deep");
    // Python's own deeply nested list (up to its recursion limit).
    expect(refused(python("pickle.dumps(__import__('functools').reduce(lambda a, _: [a], range(200), []), protocol=2)")).reason).toBe("pickle_too_deep");
    // A list that holds itself (a cycle) is not walked: its element is no point.
    expect(decode([frame(Buffer.from("\x80\x02]q\x00h\x00a.", "latin1"))]).events).toEqual(["bad pickle_bad_point: [[[[[…]]]]]"]);
  });

  it.each([
    ["a string length past the frame", "\x80\x02X\xff\xff\xff\x7fab."],
    ["a BINUNICODE8 length of 2^63", "\x80\x04\x8d\x00\x00\x00\x00\x00\x00\x00\x80."],
    ["a truncated BINFLOAT", "\x80\x02]G\x00\x01"],
    ["no STOP", "\x80\x02]"],
    ["bytes after STOP", "\x80\x02].]"],
    ["APPEND to a tuple", "\x80\x02)K\x01a."],
    ["APPEND on an empty stack", "a."],
    ["a GET of a key never PUT", "\x80\x02]h\x05."],
    ["a PUT key past any pickle of this size", "\x80\x02]r\xff\xff\xff\xff."],
    ["TUPLE2 of one item", "\x80\x02K\x01\x86."],
    ["STOP with two values", "\x80\x02K\x01K\x02."],
    ["an INT that is not one", "I12x\n."],
    ["a FLOAT that is not one", "F1.2.3\n."],
    ["a STRING without quotes", "Sabc\n."],
    ["a truncated \\u escape", "V\\u12\n."],
    ["APPENDS without a MARK", "]e."],
    ["a str that is not UTF-8", "\x80\x02]X\x02\x00\x00\x00\xff\xfea."],
    ["a Python 2 str that is not UTF-8 (carbon reads them as UTF-8)", "\x80\x02]U\x02\xff\xfea."],
    ["a STRING that is not UTF-8", "]S'\\xff'\na."],
  ])("%s is malformed", (_label, bytes) => {
    expect(refused(Buffer.from(bytes, "latin1")).reason).toBe("pickle_malformed");
  });

  it("an empty frame and garbage close the connection", () => {
    expect(decode([Buffer.from([0, 0, 0, 0])]).close?.reason).toBe("pickle_malformed");
    // Plaintext sent to the pickle port: "a.b " as a length is 1.6 GB, over the bound.
    expect(decode([Buffer.from("a.b 1 1700000000\n")]).close?.reason).toBe("pickle_frame_too_long");
    expect(refused(Buffer.from("\x00\xfe\xfd garbage", "latin1")).reason).toBe("pickle_unsupported_opcode");
  });

  it("arbitrary bytes never throw: points, counted bad points, or a counted close", () => {
    const reasons = new Set(["pickle_unsafe_opcode", "pickle_unsupported_opcode", "pickle_protocol", "pickle_too_deep", "pickle_malformed", "pickle_frame_too_long"]);
    // Mutations of a real pickle reach deeper into the decoder than random bytes.
    const base = pickleBatch([{ name: "a.b", timestamp: 1, value: 1.5 }, { name: "c", timestamp: 2, value: "x" }], "python2");
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }).map((edits) => {
        const b = Buffer.from(base);
        for (const [i, v] of edits) b[i] = v;
        return b;
      }),
    );
    fc.assert(
      fc.property(body, (b) => {
        const { close, events } = decode([frame(Buffer.from(b))]);
        if (close) expect(reasons).toContain(close.reason);
        for (const e of events) expect(e).toMatch(/^(bad pickle_\w+: |[^ \t\r\n]+=[^]*@\d+$)/);
      }),
      { numRuns: 5000 },
    );
  });
});

describe("describeBadInput", () => {
  it("words each reason in its own protocol's terms", () => {
    expect(describeBadInput("pickle_bad_name", '("a b", (1, 2))')).toBe('bad pickle (pickle_bad_name): the name is empty, holds a blank or line break, or is over MAX_LINE_LENGTH: "(\\"a b\\", (1, 2))"');
    expect(describeBadInput("too_few_fields", "foo 12")).toMatch(/^bad line \(too_few_fields\): /);
  });
});
