import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_MAX_LINE_LENGTH, LineFramer, parseDatagram } from "./line-framer.js";
import { lineExcerpt, type BadLineReason, type PlaintextSink } from "./plaintext-parser.js";

import { collector, type Event } from "./collecting-sink.case.js";

const point = (name: string, value: string, timestamp: number): Event => ({ kind: "point", name, value, timestamp });
const bad = (reason: BadLineReason, excerpt: string): Event => ({ kind: "bad", reason, excerpt });
const bytes = (s: string): Buffer => Buffer.from(s, "utf8");

/** Feed `chunks` through a fresh framer, then end the stream. */
function frame(chunks: Uint8Array[], maxLineLength?: number): Event[] {
  const sink = collector();
  const framer = new LineFramer(sink, maxLineLength === undefined ? {} : { maxLineLength });
  for (const chunk of chunks) framer.push(chunk);
  framer.end();
  return sink.events;
}

/** Cut `buf` at the given byte offsets (any order, duplicates and 0/length allowed: they make empty chunks). */
function cut(buf: Buffer, at: number[]): Buffer[] {
  const points = [0, ...[...at].sort((x, y) => x - y), buf.length];
  const chunks: Buffer[] = [];
  for (let k = 1; k < points.length; k++) chunks.push(buf.subarray(points[k - 1], points[k]));
  return chunks;
}

// ------------------------------------------------------------------ a reference model
// A deliberately naive, string-and-regex version of the protocol to check the
// byte-level code against: split the whole stream, then parse each line.

const decoder = new TextDecoder("utf-8", { fatal: true });
function strictUtf8(latin1: string): string | undefined {
  try {
    return decoder.decode(Buffer.from(latin1, "latin1"));
  } catch {
    return undefined;
  }
}

function referenceLine(line: Buffer): Event | undefined {
  const raw = line.toString("latin1"); // one char per byte
  const trimmed = raw.replace(/[ \t\r]+$/, "").replace(/^[ \t]+/, "");
  if (trimmed === "") return undefined;
  const excerpt = lineExcerpt(line, 0, line.length, false);
  const m = /^([^ \t]+)[ \t]+([^ \t](?:.*[^ \t])?)[ \t]+([^ \t]+)$/s.exec(trimmed);
  if (!m) return bad("too_few_fields", excerpt);
  const [, name, value, ts] = m;
  const seconds = Number(ts);
  const integerPart = /^(\d*)\.?\d*$/.exec(ts)?.[1]; // plain decimals truncate exactly, digit by digit
  const truncated = integerPart !== undefined ? Number(integerPart || "0") : Math.trunc(seconds);
  if (!/^[+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?$/.test(ts) || !Number.isFinite(seconds) || seconds < 0 || truncated > Number.MAX_SAFE_INTEGER) {
    return bad("bad_timestamp", excerpt);
  }
  const n = strictUtf8(name);
  const v = strictUtf8(value);
  if (n === undefined || v === undefined) return bad("bad_utf8", excerpt);
  return point(n, v, truncated + 0);
}

function reference(stream: Buffer, max: number): Event[] {
  const events: Event[] = [];
  let pos = 0;
  while (pos < stream.length) {
    let nl = stream.indexOf(0x0a, pos);
    if (nl < 0) nl = stream.length;
    const line = stream.subarray(pos, nl);
    const event = line.length > max ? bad("too_long", lineExcerpt(line, 0, max, true)) : referenceLine(line);
    if (event) events.push(event);
    pos = nl + 1;
  }
  return events;
}

// ------------------------------------------------------------------ tables

describe("LineFramer: streams", () => {
  const table: [label: string, chunks: (string | Buffer)[], expected: Event[]][] = [
    ["two lines in one chunk", ["a 1 2\nb 2 3\n"], [point("a", "1", 2), point("b", "2", 3)]],
    ["lines split across chunks", ["a 1", " 2\nb 2", " 3\n"], [point("a", "1", 2), point("b", "2", 3)]],
    ["one byte per chunk", [..."a 1 2\nb 2 3\n"], [point("a", "1", 2), point("b", "2", 3)]],
    ["\\r\\n, the \\r and \\n in different chunks", ["a 1 2\r\n", "b 2 3\r", "\n"], [point("a", "1", 2), point("b", "2", 3)]],
    ["last line without \\n is parsed at end()", ["a 1 2\nb 2 3"], [point("a", "1", 2), point("b", "2", 3)]],
    ["empty and blank lines are ignored", ["\n\n \n\t\r\n", "a 1 2\n\n"], [point("a", "1", 2)]],
    ["empty chunks change nothing", ["", "a 1", "", " 2\n", ""], [point("a", "1", 2)]],
    ["tabs and a value with spaces", ["stat\tfoo bar\t1234.5\n"], [point("stat", "foo bar", 1234)]],
    ["a bad line does not disturb its neighbours", ["a 1 2\nnope\nb 2 3\n"], [point("a", "1", 2), bad("too_few_fields", "nope"), point("b", "2", 3)]],
    ["Unicode names", ["指标.延迟 1 5\nemoji.😀 2 6\n"], [point("指标.延迟", "1", 5), point("emoji.😀", "2", 6)]],
    // cut inside multi-byte characters: ü is c3 bc, 😀 is f0 9f 98 80
    ["cut inside a 2-byte character", [bytes("ü").subarray(0, 1), Buffer.concat([bytes("ü").subarray(1), bytes(" 1 2\n")])], [point("ü", "1", 2)]],
    [
      "4-byte character over three chunks",
      [Buffer.concat([bytes("x."), bytes("😀").subarray(0, 1)]), bytes("😀").subarray(1, 3), Buffer.concat([bytes("😀").subarray(3), bytes(" 1 2\n")])],
      [point("x.😀", "1", 2)],
    ],
  ];
  it.each(table)("%s", (_label, chunks, expected) => {
    expect(frame(chunks.map((c) => (typeof c === "string" ? bytes(c) : c)))).toEqual(expected);
  });

  it("accepts plain Uint8Array chunks", () => {
    const chunk = new Uint8Array(bytes("xx a 1 2\nb 2 3\nyy")).subarray(3, 15); // a view with an offset
    expect(frame([chunk])).toEqual([point("a", "1", 2), point("b", "2", 3)]);
  });

  it("can be reused after end()", () => {
    const sink = collector();
    const framer = new LineFramer(sink);
    framer.push(bytes("a 1 2\nb 2"));
    framer.end();
    framer.push(bytes(" 3\n"));
    framer.end();
    // end() flushed "b 2" as a line of its own; " 3" starts a new stream
    expect(sink.events).toEqual([point("a", "1", 2), bad("too_few_fields", "b 2"), bad("too_few_fields", " 3")]);
  });

  it("after a sink throws, carries on with the next chunk without repeating the line", () => {
    const sink = collector();
    let thrown = false;
    const throwing: PlaintextSink = {
      point(name, value, timestamp) {
        if (!thrown) {
          thrown = true;
          throw new Error("sink failed");
        }
        sink.point(name, value, timestamp);
      },
      bad: (reason, excerpt) => sink.bad(reason, excerpt),
    };
    const framer = new LineFramer(throwing);
    framer.push(bytes("a 1"));
    expect(() => framer.push(bytes(" 2\nb 2 3\n"))).toThrow("sink failed");
    framer.push(bytes("c 3 4\n"));
    framer.end();
    expect(sink.events).toEqual([point("c", "3", 4)]); // the rest of the failed chunk is gone, as documented
  });

  it("does not keep a reference to the pushed chunk", () => {
    const sink = collector();
    const framer = new LineFramer(sink);
    const chunk = bytes("name 1 2");
    framer.push(chunk);
    chunk.fill(0x21); // the caller reuses its buffer
    framer.push(bytes("\n"));
    expect(sink.events).toEqual([point("name", "1", 2)]);
  });
});

describe("LineFramer: the line length limit", () => {
  const max = 16;
  const line = (length: number) => `n ${"v".repeat(length - 4)} 1`; // exactly `length` bytes
  const long = line(100);
  const tooLong = bad("too_long", long.slice(0, max) + "…");

  const table: [label: string, chunks: string[], expected: Event[]][] = [
    ["exactly the limit is accepted", [line(max) + "\n"], [point("n", "v".repeat(max - 4), 1)]],
    ["one byte over is too long", [line(max + 1) + "\n"], [bad("too_long", line(max + 1).slice(0, max) + "…")]],
    ["the \\r of \\r\\n counts", [line(max) + "\r\n"], [bad("too_long", line(max) + "…")]],
    ["too long, then good lines, one chunk", [`${long}\na 1 2\nb 2 3\n`], [tooLong, point("a", "1", 2), point("b", "2", 3)]],
    ["too long inside one chunk, its end in the next", [`a 1 2\n${long}`, "\nb 2 3\n"], [point("a", "1", 2), tooLong, point("b", "2", 3)]],
    ["too long only once carried over", ["a 1 2\nn vvv", long.slice(7), "\nb 2 3\n"], [point("a", "1", 2), tooLong, point("b", "2", 3)]],
    ["too long, split into many chunks", [...(long + "\nb 2 3\n")], [tooLong, point("b", "2", 3)]],
    ["too long at the end of the stream, no \\n", ["a 1 2\n", long], [point("a", "1", 2), tooLong]],
    ["two too-long lines in a row", [`${long}\n${long}\nb 2 3\n`], [tooLong, tooLong, point("b", "2", 3)]],
  ];
  it.each(table)("%s", (_label, chunks, expected) => {
    expect(frame(chunks.map(bytes), max)).toEqual(expected);
  });

  it("lets every good line through after a huge line, with the default limit", () => {
    const good = Array.from({ length: 1000 }, (_, k) => `stats.app.m${k} ${k} ${1764000000 + k}\n`).join("");
    const stream = bytes("huge " + "x".repeat(10 * DEFAULT_MAX_LINE_LENGTH) + " 1 2\n" + good);
    for (const size of [1, 7, 4096, 65536]) {
      const chunks = cut(stream, Array.from({ length: Math.floor(stream.length / size) }, (_, k) => (k + 1) * size));
      const events = frame(chunks);
      expect(events[0]).toMatchObject({ kind: "bad", reason: "too_long" });
      expect(events.slice(1)).toEqual(Array.from({ length: 1000 }, (_, k) => point(`stats.app.m${k}`, String(k), 1764000000 + k)));
    }
  });

  it("keeps memory bounded on an endless line", () => {
    const sink = collector();
    const framer = new LineFramer(sink, { maxLineLength: 1000 });
    const chunk = Buffer.alloc(777, 0x78);
    for (let k = 0; k < 2000; k++) {
      framer.push(chunk);
      expect(framer.pendingBytes).toBeLessThanOrEqual(1000);
    }
    framer.push(bytes("\na 1 2\n"));
    framer.end();
    expect(sink.events).toEqual([bad("too_long", "x".repeat(200) + "…"), point("a", "1", 2)]);
  });

  it.each([0, -1, 1.5, Number.NaN, Infinity])("rejects maxLineLength %s", (maxLineLength) => {
    expect(() => new LineFramer(collector(), { maxLineLength })).toThrow(RangeError);
    expect(() => parseDatagram(bytes("a 1 2"), collector(), maxLineLength)).toThrow(/maxLineLength/);
  });
});

describe("parseDatagram", () => {
  const table: [label: string, datagram: string, expected: Event[]][] = [
    ["one line without \\n", "a 1 2", [point("a", "1", 2)]],
    ["several lines", "a 1 2\nb 2 3\n", [point("a", "1", 2), point("b", "2", 3)]],
    ["\\r\\n and blank lines", "a 1 2\r\n\r\n\nb 2 3", [point("a", "1", 2), point("b", "2", 3)]],
    ["a bad line among good", "a 1 2\nbad\nb 2 3", [point("a", "1", 2), bad("too_few_fields", "bad"), point("b", "2", 3)]],
    ["empty", "", []],
  ];
  it.each(table)("%s", (_label, datagram, expected) => {
    const sink = collector();
    parseDatagram(bytes(datagram), sink);
    expect(sink.events).toEqual(expected);
  });

  it("does not reassemble across datagrams", () => {
    const sink = collector();
    parseDatagram(bytes("a 1"), sink);
    parseDatagram(bytes(" 2\n"), sink);
    expect(sink.events).toEqual([bad("too_few_fields", "a 1"), bad("too_few_fields", " 2")]);
  });

  it("skips too-long lines, with or without \\n", () => {
    const sink = collector();
    parseDatagram(bytes("a 1 2\nxxxxxxxxxxxx 1 2\nb 2 3\nyyyyyyyyyyyy 1 2"), sink, 10);
    expect(sink.events).toEqual([point("a", "1", 2), bad("too_long", "xxxxxxxxxx…"), point("b", "2", 3), bad("too_long", "yyyyyyyyyy…")]);
  });
});

// ------------------------------------------------------------------ properties

/** Byte fragments that make lines interesting: blanks, \r, digits, dots, signs, exponents, multi-byte and invalid UTF-8. */
const fragment = fc.constantFrom(
  ...[" ", "\t", "  ", "\r", "\n", "\n", "a", "stats.", "x", "1", "42", "1764000000", ".", "5", "e", "-", "+", "ü", "指标", "😀", "\ufffd"].map(bytes),
  Buffer.from([0xff]),
  Buffer.from([0xc3]),
  Buffer.from([0xf0, 0x9f]),
  Buffer.from([0x80]),
);
const soup = fc.array(fragment, { maxLength: 80 }).map((parts) => Buffer.concat(parts));

/** Mostly well-formed lines, some broken (bad timestamps, bad UTF-8), some long, joined into a stream. */
const choose = (...options: (string | number[])[]) =>
  fc.constantFrom(...options.map((o) => (typeof o === "string" ? bytes(o) : Buffer.from(o))));
const wellFormedLine = fc
  .tuple(
    choose("stats.a", "ü.b", "指标", "x.😀", "n", "n\ufffd", [0x6e, 0xff], [0x6e, 0xc3]),
    choose(" ", "\t", "  "),
    choose("1", "42.5", "foo bar", "ü", "-3e2", [0x31, 0xe6, 0x8c]),
    choose(" ", "\t "),
    choose("1764000000", "1764000000.75", "1.7e9", "0", "abc", "-1", "+5", "1e400"),
    choose("", "\r", " ", " \r"),
  )
  .map((parts) => Buffer.concat(parts));
const lineArb = fc.oneof(
  { weight: 5, arbitrary: wellFormedLine },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }).map(bytes) },
  { weight: 1, arbitrary: fc.nat({ max: 200 }).map((n) => bytes(`long.${"y".repeat(n)} 1 2`)) },
  { weight: 1, arbitrary: soup },
);
const streamArb = fc
  .tuple(fc.array(lineArb, { maxLength: 30 }), fc.boolean())
  .map(([lines, trailingNewline]) => Buffer.concat(lines.flatMap((l, k) => (k < lines.length - 1 || trailingNewline ? [l, bytes("\n")] : [l]))));
const maxArb = fc.integer({ min: 1, max: 120 });
const cutsFor = (stream: Buffer) => fc.array(fc.nat({ max: stream.length }), { maxLength: 40 });

describe("LineFramer: properties", () => {
  it("any chunking parses the same as the whole stream", () => {
    fc.assert(
      fc.property(
        streamArb.chain((stream) => fc.tuple(fc.constant(stream), cutsFor(stream))),
        maxArb,
        ([stream, at], max) => {
          expect(frame(cut(stream, at), max)).toEqual(frame([stream], max));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("a cut at every single position parses the same as the whole stream", () => {
    const stream = bytes(
      "a 1 2\r\nstats.ü 42 1764000000.5\n\n  \nbad\nx.😀 foo bar 1.7e9\n" + `long.${"y".repeat(40)} 1 2\n指标 1 2\nz 1 -1\nlast 7 8`,
    );
    const whole = frame([stream], 30);
    expect(whole.length).toBe(8); // guards the stream itself: every kind of event is in there
    for (let at = 0; at <= stream.length; at++) {
      expect(frame(cut(stream, [at]), 30)).toEqual(whole);
    }
    expect(frame(cut(stream, Array.from({ length: stream.length }, (_, k) => k)), 30)).toEqual(whole);
  });

  it("agrees with the naive reference model", () => {
    fc.assert(
      fc.property(
        streamArb.chain((stream) => fc.tuple(fc.constant(stream), cutsFor(stream))),
        maxArb,
        ([stream, at], max) => {
          expect(frame(cut(stream, at), max)).toEqual(reference(stream, max));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("never throws on arbitrary bytes in arbitrary chunks", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }).chain((b) => fc.tuple(fc.constant(Buffer.from(b)), cutsFor(Buffer.from(b)))),
        maxArb,
        ([stream, at], max) => {
          const events = frame(cut(stream, at), max);
          expect(events).toEqual(reference(stream, max));
          const datagram = collector();
          parseDatagram(stream, datagram, max);
          expect(datagram.events).toEqual(events);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
