import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  BAD_LINE_REASONS,
  EXCERPT_MAX_BYTES,
  describeBadLine,
  lineExcerpt,
  parseLine,
  type BadLineReason,
} from "./plaintext-parser.js";
import { collector, type Event } from "./collecting-sink.case.js";

function parse(line: string | Uint8Array): Event[] {
  const buf = typeof line === "string" ? Buffer.from(line, "utf8") : Buffer.from(line);
  const sink = collector();
  parseLine(buf, 0, buf.length, sink);
  return sink.events;
}

const point = (name: string, value: string, timestamp: number): Event => ({ kind: "point", name, value, timestamp });

describe("parseLine: good lines", () => {
  const table: [input: string, name: string, value: string, timestamp: number][] = [
    ["foo.bar 42 1764000000", "foo.bar", "42", 1764000000],
    ["foo\t42\t1764000000", "foo", "42", 1764000000],
    ["  foo  42   1764000000  ", "foo", "42", 1764000000],
    ["\tfoo \t 42\t 1764000000\t", "foo", "42", 1764000000],
    ["foo 42 1764000000\r", "foo", "42", 1764000000],
    ["foo 42 1764000000 \t\r", "foo", "42", 1764000000],
    ["foo 42 1764000000\r\r", "foo", "42", 1764000000],
    // the value is everything between name and timestamp, trimmed, inner blanks kept
    ["stat  foo bar  1234.5", "stat", "foo bar", 1234],
    ["stat a\tb  c 7", "stat", "a\tb  c", 7],
    ["a b c d e 9", "a", "b c d e", 9],
    // the value is not interpreted here
    ["foo -1.5e3 10", "foo", "-1.5e3", 10],
    ["foo {\"k\": 1} 10", "foo", '{"k": 1}', 10],
    ["foo x\ry 10", "foo", "x\ry", 10],
    // timestamps: integer and decimal seconds, truncated
    ["foo 42 1234.999", "foo", "42", 1234],
    ["foo 42 1234.", "foo", "42", 1234],
    ["foo 42 .5", "foo", "42", 0],
    ["foo 42 0", "foo", "42", 0],
    ["foo 42 0.0", "foo", "42", 0],
    ["foo 42 000123", "foo", "42", 123],
    ["foo 42 123456789012345", "foo", "42", 123456789012345],
    ["foo 42 1234567890123456.7", "foo", "42", 1234567890123456],
    [`foo 42 ${Number.MAX_SAFE_INTEGER}`, "foo", "42", Number.MAX_SAFE_INTEGER],
    // truncation works on the decimal digits: Number("9007199254740991.9") would round up to 2^53
    [`foo 42 ${Number.MAX_SAFE_INTEGER}.9`, "foo", "42", Number.MAX_SAFE_INTEGER],
    ["foo 42 00000000000000000000001", "foo", "42", 1],
    // exponent and sign forms (slow path)
    ["foo 42 1.7e9", "foo", "42", 1_700_000_000],
    ["foo 42 1.5E+2", "foo", "42", 150],
    ["foo 42 17e-1", "foo", "42", 1],
    ["foo 42 1e-3", "foo", "42", 0],
    ["foo 42 +17", "foo", "42", 17],
    ["foo 42 -0", "foo", "42", 0],
    // names and values in any Unicode
    ["héllo.wörld 1 5", "héllo.wörld", "1", 5],
    ["指标.延迟 1 5", "指标.延迟", "1", 5],
    ["emoji.😀.x 1 5", "emoji.😀.x", "1", 5],
    ["set.users värde 😀 5", "set.users", "värde 😀", 5],
    ["\u00a0nbsp 1 5", "\u00a0nbsp", "1", 5], // only space and tab separate fields
    ["sent\ufffdas.is 1 5", "sent\ufffdas.is", "1", 5], // a real U+FFFD (EF BF BD) is valid UTF-8
  ];
  it.each(table)("%j", (input, name, value, timestamp) => {
    expect(parse(input)).toEqual([point(name, value, timestamp)]);
  });

  it("never reports -0 as a timestamp", () => {
    const [event] = parse("foo 1 -0.0");
    expect(event.kind === "point" && Object.is(event.timestamp, 0)).toBe(true);
  });

  it("reads only buf[start..end)", () => {
    const buf = Buffer.from("junk 9 9\nfoo 42 1764000000\nmore 1 1", "utf8");
    const start = buf.indexOf("foo");
    const end = buf.indexOf("\n", start);
    const sink = collector();
    parseLine(buf, start, end, sink);
    expect(sink.events).toEqual([point("foo", "42", 1764000000)]);
  });
});

describe("parseLine: ignored lines", () => {
  it.each(["", " ", "\t", "\r", " \t\r", "\r\r", "   \t  "])("%j is neither a point nor bad", (input) => {
    expect(parse(input)).toEqual([]);
  });
});

describe("parseLine: bad lines", () => {
  const bytes = (...parts: (string | number[])[]): Uint8Array =>
    Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

  const table: [input: string | Uint8Array, reason: BadLineReason][] = [
    ["foo", "too_few_fields"],
    ["foo 42", "too_few_fields"],
    ["foo\t42", "too_few_fields"],
    ["foo 42 \r", "too_few_fields"],
    ["foo   \t  1764000000", "too_few_fields"],
    ["  foo  ", "too_few_fields"],
    ["foo 42 abc", "bad_timestamp"],
    ["foo 42 1764000000x", "bad_timestamp"],
    ["foo 42 -1", "bad_timestamp"],
    ["foo 42 -0.5", "bad_timestamp"],
    ["foo 42 1e400", "bad_timestamp"],
    ["foo 42 Infinity", "bad_timestamp"],
    ["foo 42 NaN", "bad_timestamp"],
    ["foo 42 0x10", "bad_timestamp"],
    ["foo 42 1_000", "bad_timestamp"],
    ["foo 42 1e", "bad_timestamp"],
    ["foo 42 .", "bad_timestamp"],
    ["foo 42 1.2.3", "bad_timestamp"],
    ["foo 42 +", "bad_timestamp"],
    ["foo 42 ١٢٣", "bad_timestamp"], // non-ASCII digits
    [`foo 42 ${2 ** 53}`, "bad_timestamp"],
    [`foo 42 ${2 ** 53}.0`, "bad_timestamp"],
    ["foo 42 99999999999999999999999999", "bad_timestamp"],
    ["foo 42 9".padEnd(400, "9"), "bad_timestamp"], // Infinity after accumulation
    ["foo 42 9".padEnd(400, "9") + ".5", "bad_timestamp"],
    ["foo 42 1e16", "bad_timestamp"],
    ["foo 42 1764000000\u00a0", "bad_timestamp"],
    // bad UTF-8 in the name or the value: a lone byte, a truncated sequence, an overlong form, a surrogate
    [bytes("foo", [0xff], " 1 2"), "bad_utf8"],
    [bytes("foo", [0xc3], " 1 2"), "bad_utf8"],
    [bytes("foo", [0xc0, 0xaf], " 1 2"), "bad_utf8"],
    [bytes("foo", [0xed, 0xa0, 0x80], " 1 2"), "bad_utf8"],
    [bytes("foo 1", [0xe2, 0x82], " 2"), "bad_utf8"],
    [bytes("foo ", [0x80], " 2"), "bad_utf8"],
    [bytes("foo\ufffd", [0xff], " 1 2"), "bad_utf8"], // a real U+FFFD does not hide a bad byte
    [bytes("foo\ufffd 1", [0xff], " 2"), "bad_utf8"],
  ];
  it.each(table)("%j is %s", (input, reason) => {
    const buf = typeof input === "string" ? Buffer.from(input, "utf8") : Buffer.from(input);
    // the excerpt quotes the line as it came (cutting is tested under lineExcerpt)
    expect(parse(input)).toEqual([{ kind: "bad", reason, excerpt: lineExcerpt(buf, 0, buf.length, false) }]);
  });

  it("checks fields, then the timestamp, then the encoding", () => {
    expect(parse(bytes([0xff], " 1"))[0]).toMatchObject({ reason: "too_few_fields" });
    expect(parse(bytes([0xff], " 1 x"))[0]).toMatchObject({ reason: "bad_timestamp" });
  });
});

describe("lineExcerpt", () => {
  const excerpt = (input: Buffer, more = false) => lineExcerpt(input, 0, input.length, more);
  const a = (n: number) => "a".repeat(n);

  const table: [label: string, input: Buffer, more: boolean, expected: string][] = [
    ["short line, whole", Buffer.from("foo 1"), false, "foo 1"],
    ["short line known to go on", Buffer.from("foo 1"), true, "foo 1…"],
    ["exactly the limit", Buffer.from(a(EXCERPT_MAX_BYTES)), false, a(EXCERPT_MAX_BYTES)],
    ["one over the limit", Buffer.from(a(EXCERPT_MAX_BYTES + 1)), false, a(EXCERPT_MAX_BYTES) + "…"],
    // a 2-byte character straddling the cut is left out whole
    ["cut inside é", Buffer.from(a(EXCERPT_MAX_BYTES - 1) + "é" + a(5)), false, a(EXCERPT_MAX_BYTES - 1) + "…"],
    // a 3-byte character whose last byte is the first one cut
    ["cut inside €", Buffer.from(a(EXCERPT_MAX_BYTES - 2) + "€" + a(5)), false, a(EXCERPT_MAX_BYTES - 2) + "…"],
    // a 4-byte character cut after its lead byte
    ["cut inside 😀", Buffer.from(a(EXCERPT_MAX_BYTES - 1) + "😀"), false, a(EXCERPT_MAX_BYTES - 1) + "…"],
    ["character ending at the cut", Buffer.from(a(EXCERPT_MAX_BYTES - 2) + "é" + a(5)), false, a(EXCERPT_MAX_BYTES - 2) + "é…"],
  ];
  it.each(table)("%s", (_label, input, more, expected) => {
    expect(excerpt(input, more)).toBe(expected);
  });

  it("cuts invalid UTF-8 at the byte limit and decodes it leniently", () => {
    const junk = Buffer.alloc(EXCERPT_MAX_BYTES + 50, 0x80);
    expect(excerpt(junk)).toBe("\ufffd".repeat(EXCERPT_MAX_BYTES) + "…");
  });

  it("quotes a long bad line by its start", () => {
    const line = `foo ${"x".repeat(1000)} notatime`;
    const [event] = parse(line);
    expect(event).toEqual({ kind: "bad", reason: "bad_timestamp", excerpt: line.slice(0, EXCERPT_MAX_BYTES) + "…" });
  });
});

describe("describeBadLine", () => {
  it.each(BAD_LINE_REASONS.map((r) => [r]))("names %s and quotes the line", (reason) => {
    const message = describeBadLine(reason, 'foo\t"1"\r');
    expect(message).toContain(`(${reason})`);
    expect(message).toContain(JSON.stringify('foo\t"1"\r'));
    expect(message).not.toMatch(/[\r\n\t]/); // one log line, whatever the input
  });
});

// ---------------------------------------------------------------- properties

const blank = fc.constantFrom(" ", "\t");
const blanks = fc.array(blank, { minLength: 1, maxLength: 4 }).map((a) => a.join(""));
const optionalBlanks = fc.array(blank, { maxLength: 3 }).map((a) => a.join(""));
/** Any Unicode text (well-formed, so it survives UTF-8 encoding unchanged) without newlines. */
const text = (constraints: { minLength?: number; maxLength?: number }) =>
  fc.string({ unit: "binary", ...constraints }).filter((s) => !s.includes("\n"));
const nameArb = text({ minLength: 1, maxLength: 30 }).filter((s) => !/[ \t]/.test(s));
const valueArb = text({ minLength: 1, maxLength: 30 }).filter((s) => !/^[ \t]|[ \t]$/.test(s));
/** A timestamp as a sender might write it, each form read by the JS number parser for the expectation. */
const timestampText = fc.oneof(
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).map(String),
  fc.tuple(fc.nat({ max: 4_000_000_000 }), fc.nat({ max: 999_999 })).map(([i, f]) => `${i}.${f}`),
  fc.double({ min: 0, max: 1e15, noNaN: true }).map((d) => d.toExponential()),
  fc.double({ min: 0, max: 1e15, noNaN: true }).map(String),
);

describe("parseLine: properties", () => {
  it("round-trips generated well-formed lines", () => {
    fc.assert(
      fc.property(
        optionalBlanks,
        nameArb,
        blanks,
        valueArb,
        blanks,
        timestampText,
        optionalBlanks,
        fc.boolean(),
        (lead, name, sep1, value, sep2, ts, trail, cr) => {
          const line = `${lead}${name}${sep1}${value}${sep2}${ts}${trail}${cr ? "\r" : ""}`;
          expect(parse(line)).toEqual([point(name, value, Math.trunc(Number(ts)))]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("ends the name at its first blank wherever it falls in a 4-byte word, and tells ASCII names from others", () => {
    // Bytes next to the blanks' (0x1f, 0x21, 0x08, 0x0a is excluded), high bytes whose low bits are a blank's (0xa0 = 0x80|0x20, 0x89), all in words at every alignment.
    const nameChar = fc.constantFrom("a", ".", ";", "=", "!", "\x1f", "\x08", "\x7f", "\u00a0", "\u0089", "é", "😀");
    const nameOf = fc.array(nameChar, { minLength: 1, maxLength: 20 }).map((a) => a.join(""));
    fc.assert(
      fc.property(fc.nat({ max: 7 }), nameOf, blanks, nameOf, blanks, fc.nat({ max: 4_000_000_000 }), (at, name, sep1, value, sep2, ts) => {
        const line = Buffer.from(`${name}${sep1}${value}${sep2}${ts}`, "utf8");
        // Junk bytes either side (no newline, and blanks would be part of the line): the line starts at any offset of its buffer.
        const buf = Buffer.concat([Buffer.alloc(at, 0x41), line, Buffer.from("xyz")]);
        const sink = collector();
        parseLine(buf, at, at + line.length, sink);
        expect(sink.events).toEqual([point(name, value, ts)]);
      }),
      { numRuns: 3000 },
    );
  });

  it("never throws on arbitrary bytes, and what it reports is well-formed", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const buf = Buffer.from(bytes);
        const start = buf.length === 0 ? 0 : a % (buf.length + 1);
        const end = start + (buf.length === 0 ? 0 : b % (buf.length - start + 1));
        const sink = collector();
        parseLine(buf, start, end, sink);
        expect(sink.events.length).toBeLessThanOrEqual(1);
        for (const event of sink.events) {
          if (event.kind === "point") {
            expect(event.name).toMatch(/^[^ \t]+$/);
            expect(event.value).toMatch(/^[^ \t](?:[^]*[^ \t])?$/);
            expect(Number.isSafeInteger(event.timestamp) && event.timestamp >= 0).toBe(true);
          } else {
            expect(BAD_LINE_REASONS).toContain(event.reason);
            expect(Buffer.byteLength(event.excerpt.replace(/…$/, ""))).toBeLessThanOrEqual(EXCERPT_MAX_BYTES * 3);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});
