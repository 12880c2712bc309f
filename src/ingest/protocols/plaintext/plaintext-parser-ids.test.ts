/**
 * The by-id parser against the string parser: the same events, line for
 * line, whatever the bytes, the table's size, its collisions and its bound.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { long_or_float } from "../../../timeseries/index.js";
import { collector, type Event } from "./collecting-sink.case.js";
import { LineFramer, parseDatagram } from "./line-framer.js";
import { NameTable, type NameTableOptions } from "./name-table.js";
import { parseLine, parseLineIds, plainDecimal, type NameIdSink } from "./plaintext-parser.js";

/** A NameIdSink that turns ids back into the events the string parser gives, checking each number on the way. */
function idSink(options: NameTableOptions = {}): NameIdSink & { events: Event[]; numbers: number; texts: number; strings: number } {
  const events: Event[] = [];
  const names = new NameTable(options);
  const out = {
    events,
    names,
    numbers: 0,
    texts: 0,
    strings: 0,
    point(name: string, value: string, timestamp: number) {
      out.strings++;
      events.push({ kind: "point", name, value, timestamp });
    },
    bad(reason: Event & { kind: "bad" } extends { reason: infer R } ? R : never, excerpt: string) {
      events.push({ kind: "bad", reason, excerpt });
    },
    pointNumber(id: number, num: number, buf: Buffer, vs: number, ve: number, timestamp: number) {
      out.numbers++;
      const value = buf.toString("latin1", vs, ve);
      // Exactly the number the default write_func makes of the text.
      expect(Object.is(num, long_or_float(value))).toBe(true);
      events.push({ kind: "point", name: names.names[id], value, timestamp });
    },
    pointText(id: number, value: string, timestamp: number) {
      out.texts++;
      events.push({ kind: "point", name: names.names[id], value, timestamp });
    },
  };
  return out;
}

function byString(lines: Buffer[]): Event[] {
  const sink = collector();
  for (const l of lines) parseLine(l, 0, l.length, sink);
  return sink.events;
}

function byId(lines: Buffer[], options?: NameTableOptions): Event[] {
  const sink = idSink(options);
  for (const l of lines) parseLineIds(l, 0, l.length, sink);
  return sink.events;
}

/** Values around the edges of the byte-level number reader. */
const numericText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true }).map(String),
  fc.double({ noNaN: true }).map((d) => d.toFixed(Math.min(20, Math.abs(Math.floor(d)) % 21))),
  fc.double({ noNaN: true }).map((d) => d.toExponential()),
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
  fc.tuple(fc.constantFrom("", "+", "-"), fc.stringMatching(/^[0-9]{0,17}$/), fc.constantFrom("", "."), fc.stringMatching(/^[0-9]{0,17}$/)).map((p) => p.join("")),
  fc.constantFrom("0", "-0", "+0", "-0.0", ".5", "5.", "-.5", "+.5", ".", "-", "+", "--1", "1..2", "1.2.3", "0x10", "1e3", "Infinity", "NaN", "999999999999999", "9999999999999999", "123456789012345.6", "0.000000000000001", "4.35", "0.1", "1_000"),
);
const nameText = fc.oneof(
  fc.constantFrom("a", "a.b", "stats.timers.app1.f2.mean", "héllo.wörld", "x;tag=1", "seriesByTag}", "\u{1F600}.n"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 12 }).filter((s) => !/[ \t\r\n]/.test(s)),
);
const lineText = fc.tuple(nameText, fc.constantFrom(" ", "\t", "  "), fc.oneof(numericText, fc.string({ unit: "binary", maxLength: 8 })), fc.constantFrom(" ", "\t"), fc.oneof(fc.nat().map(String), fc.constantFrom("1.5", "x", "-1", "1e3")))
  .map(([n, a, v, b, t]) => `${n}${a}${v}${b}${t}`)
  .filter((s) => !s.includes("\n"));
/** Bytes that are often not UTF-8: lead bytes, lone continuations, overlongs. */
const rawByte = fc.oneof(fc.constantFrom(0x20, 0x09, 0x2e, 0x31, 0x61, 0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xff, 0x0d), fc.integer({ min: 0, max: 255 }));
const rawLine = fc.array(rawByte, { maxLength: 40 }).map((b) => Buffer.from(b.filter((x) => x !== 0x0a)));
const tables: NameTableOptions[] = [{}, { slots: 2, hash: () => 1 }, { slots: 2, hash: (b, s, e) => (e - s) & 3 }, { maxBytes: 300 }, { maxBytes: 0 }];

describe("parseLineIds gives exactly parseLine's events", () => {
  it.each(tables.map((t, i) => [i, t] as const))("on generated lines, table %i", (_, options) => {
    fc.assert(
      fc.property(fc.array(lineText, { maxLength: 30 }), (lines) => {
        const bufs = lines.map((l) => Buffer.from(l, "utf8"));
        // Every line twice: the second time its name is (usually) known.
        const twice = [...bufs, ...bufs];
        expect(byId(twice, options)).toEqual(byString(twice));
      }),
      { numRuns: 400 },
    );
  });

  it.each(tables.map((t, i) => [i, t] as const))("on raw bytes (invalid UTF-8 included), table %i", (_, options) => {
    fc.assert(
      fc.property(fc.array(rawLine, { maxLength: 20 }), (bufs) => {
        const twice = [...bufs, ...bufs];
        expect(byId(twice, options)).toEqual(byString(twice));
      }),
      { numRuns: 400 },
    );
  });

  it("invalid UTF-8 in a name is a bad line whether the name is new or its bytes were seen", () => {
    const bad = Buffer.from([0x61, 0xff, 0x20, 0x31, 0x20, 0x35]);
    const sink = idSink();
    parseLineIds(bad, 0, bad.length, sink);
    parseLineIds(bad, 0, bad.length, sink);
    expect(sink.events.map((e) => e.kind === "bad" && e.reason)).toEqual(["bad_utf8", "bad_utf8"]);
    expect(sink.names.size).toBe(0);
    expect(sink.events).toEqual(byString([bad, bad]));
  });

  it("invalid UTF-8 in the value of a known name is a bad line, as before", () => {
    const good = Buffer.from("a.b 1 5");
    const bad = Buffer.from([0x61, 0x2e, 0x62, 0x20, 0xc3, 0x28, 0x20, 0x35]);
    expect(byId([good, bad, good])).toEqual(byString([good, bad, good]));
    expect(byId([good, bad])[1]).toMatchObject({ kind: "bad", reason: "bad_utf8" });
  });

  it("hands a known name's plain decimals over as numbers, other values as text, unknown names past the bound as strings", () => {
    const sink = idSink({ maxBytes: 120 });
    const lines = ["a 1 5", "a 2.5 5", "a -0 5", "a 1e3 5", "a foo 5", "long.name.that.does.not.fit.anymore 3 5"].map((l) => Buffer.from(l));
    for (const l of lines) parseLineIds(l, 0, l.length, sink);
    expect([sink.numbers, sink.texts, sink.strings]).toEqual([3, 2, 1]);
    expect(sink.events).toEqual(byString(lines));
  });

  it("framing by id gives the same events at every chunk boundary as framing by string", () => {
    fc.assert(
      fc.property(fc.array(lineText, { minLength: 1, maxLength: 10 }), fc.nat(), (lines, cutAt) => {
        const all = Buffer.from(lines.join("\n"), "utf8");
        const cut = cutAt % (all.length + 1);
        const a = idSink({ slots: 2 });
        const framerA = new LineFramer(a);
        framerA.push(all.subarray(0, cut));
        framerA.push(all.subarray(cut));
        framerA.end();
        const b = collector();
        const framerB = new LineFramer(b);
        framerB.push(all);
        framerB.end();
        expect(a.events).toEqual(b.events);
        const c = idSink();
        parseDatagram(all, c);
        expect(c.events).toEqual(b.events);
      }),
      { numRuns: 500 },
    );
  });
});

describe("plainDecimal", () => {
  it.each([
    ["0", 0],
    ["-0", -0],
    ["+7", 7],
    ["42", 42],
    ["4.35", 4.35],
    ["0.1", 0.1],
    [".5", 0.5],
    ["5.", 5],
    ["-12.750", -12.75],
    ["999999999999999", 999999999999999],
    ["0.00000000000001", 1e-14],
  ])("%s → %s", (text, expected) => {
    const b = Buffer.from(text);
    expect(Object.is(plainDecimal(b, 0, b.length), expected)).toBe(true);
  });

  it.each(["", "-", "+", ".", "-.", "1.2.3", "1e3", "0x1", "1 2", "9999999999999999", "1234567890.1234567", "0.000000000000001", "∞", "--1", "+-1"])("%j is left to the text", (text) => {
    const b = Buffer.from(text);
    expect(plainDecimal(b, 0, b.length)).toBeNaN();
  });

  it("equals Number() wherever it reads a number", () => {
    fc.assert(
      fc.property(numericText, (text) => {
        const b = Buffer.from(text);
        const n = plainDecimal(b, 0, b.length);
        if (n === n) expect(Object.is(n, Number(text))).toBe(true);
      }),
      { numRuns: 50_000 },
    );
  });
});
