/**
 * Stream framing for the plaintext protocol: arbitrary TCP chunks in,
 * `\n`-terminated lines out to {@link parseLine}.
 *
 * Works on bytes and decodes only whole lines, so a chunk boundary inside a
 * multi-byte UTF-8 character is harmless. Memory is bounded by the line
 * limit whatever the input: an over-long line is reported once and skipped
 * up to its newline, never buffered.
 *
 * @module
 */
import { isNameIdSink, lineExcerpt, parseLine, parseLineIds, type PlaintextSink } from "./plaintext-parser.js";

type ParseLine = (buf: Buffer, start: number, end: number, sink: PlaintextSink) => void;

/** The parser for a sink: by name id when it takes ids (see {@link NameIdSink}), else by string. */
function parserFor(sink: PlaintextSink): ParseLine {
  return isNameIdSink(sink) ? (parseLineIds as ParseLine) : parseLine;
}

/** Lines longer than this many bytes (excluding `\n`) are skipped as `too_long` unless configured otherwise. */
export const DEFAULT_MAX_LINE_LENGTH = 4096;

const NEWLINE = 0x0a;

/** Options for {@link LineFramer}. */
export interface LineFramerOptions {
  /**
   * Longest accepted line in bytes, not counting the `\n` (a `\r` before it
   * does count). Default {@link DEFAULT_MAX_LINE_LENGTH}.
   */
  maxLineLength?: number;
}

function checkMaxLineLength(maxLineLength: number): number {
  if (!Number.isSafeInteger(maxLineLength) || maxLineLength < 1) {
    throw new RangeError(`maxLineLength must be a whole number of bytes >= 1, got ${String(maxLineLength)}`);
  }
  return maxLineLength;
}

/**
 * Splits one byte stream (e.g. one TCP connection) into lines and parses
 * each into `sink`, keeping the unfinished tail between chunks. One framer
 * per connection.
 *
 * The sink is called synchronously from `push()` and `end()`. It should not
 * throw: an exception propagates to the caller and the rest of that chunk is
 * not parsed.
 *
 * @example
 * ```ts
 * const framer = new LineFramer(sink);
 * socket.on("data", (chunk) => framer.push(chunk));
 * socket.on("end", () => framer.end());
 * ```
 */
export class LineFramer {
  readonly #sink: PlaintextSink;
  readonly #parse: ParseLine;
  readonly #max: number;
  /** The unfinished line carried over from earlier chunks: `#carry[0..#carryLength)`. Grows up to `#max` bytes. */
  #carry: Buffer;
  #carryLength = 0;
  /** True while inside a too-long line that was already reported: drop bytes up to the next `\n`. */
  #skipping = false;

  /**
   * @param sink - receives every point and every bad line.
   * @param options - see {@link LineFramerOptions}.
   * @throws RangeError when `maxLineLength` is not an integer >= 1.
   */
  constructor(sink: PlaintextSink, options: LineFramerOptions = {}) {
    this.#sink = sink;
    this.#parse = parserFor(sink);
    this.#max = checkMaxLineLength(options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH);
    // Sized for typical lines; grown on demand so a large limit costs nothing until used.
    this.#carry = Buffer.allocUnsafe(Math.min(this.#max, 512));
  }

  /**
   * Feed the next chunk of the stream. Every line completed by it is parsed
   * before this returns. The chunk is not retained (the tail is copied), so
   * the caller may reuse its memory afterwards.
   */
  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const size = buf.length;
    const max = this.#max;
    const sink = this.#sink;
    let pos = 0;

    if (this.#skipping) {
      const nl = buf.indexOf(NEWLINE);
      if (nl < 0) return;
      this.#skipping = false;
      pos = nl + 1;
    } else if (this.#carryLength > 0) {
      // Finish the line begun in an earlier chunk; only this small tail is ever copied.
      const nl = buf.indexOf(NEWLINE);
      const more = nl < 0 ? size : nl;
      if (this.#carryLength + more > max) {
        this.#skipping = nl < 0;
        this.#tooLong(buf);
        if (nl < 0) return;
      } else {
        this.#append(buf, 0, more);
        if (nl < 0) return;
        const length = this.#carryLength;
        this.#carryLength = 0; // first, so a throwing sink cannot make the line come round again
        this.#parse(this.#carry, 0, length, sink);
      }
      pos = nl + 1;
    }

    // Whole lines inside this chunk: parsed in place, no copy.
    const parse = this.#parse;
    let nl: number;
    while ((nl = buf.indexOf(NEWLINE, pos)) >= 0) {
      if (nl - pos > max) {
        sink.bad("too_long", lineExcerpt(buf, pos, pos + max, true));
      } else {
        parse(buf, pos, nl, sink);
      }
      pos = nl + 1;
    }

    // The unfinished tail.
    if (pos < size) {
      if (size - pos > max) {
        this.#skipping = true;
        sink.bad("too_long", lineExcerpt(buf, pos, pos + max, true));
      } else {
        this.#append(buf, pos, size);
      }
    }
  }

  /**
   * The stream is over: parse a final line that had no `\n`, then reset so
   * the framer could be reused for a new stream.
   */
  end(): void {
    const length = this.#skipping ? 0 : this.#carryLength;
    this.#carryLength = 0;
    this.#skipping = false;
    if (length > 0) this.#parse(this.#carry, 0, length, this.#sink);
  }

  /** Bytes held for an unfinished line (at most `maxLineLength`). */
  get pendingBytes(): number {
    return this.#carryLength;
  }

  #append(buf: Buffer, from: number, to: number): void {
    const need = this.#carryLength + (to - from);
    if (need > this.#carry.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.#max, Math.max(need, this.#carry.length * 2)));
      this.#carry.copy(grown, 0, 0, this.#carryLength);
      this.#carry = grown;
    }
    buf.copy(this.#carry, this.#carryLength, from, to);
    this.#carryLength = need;
  }

  /**
   * Report the carried line as too long. The excerpt is built from the line's
   * first `max` bytes, topping the carry up from `buf` first, so the report
   * is the same wherever the chunk boundaries fell.
   */
  #tooLong(buf: Buffer): void {
    const room = this.#max - this.#carryLength;
    this.#append(buf, 0, Math.min(room, buf.length));
    const excerpt = lineExcerpt(this.#carry, 0, this.#carryLength, true);
    this.#carryLength = 0;
    this.#sink.bad("too_long", excerpt);
  }
}

/**
 * Parse one UDP datagram: it holds whole lines (the last may lack its `\n`);
 * nothing is carried over to the next datagram.
 *
 * @param buf - the datagram.
 * @param sink - receives every point and every bad line.
 * @param maxLineLength - longest accepted line in bytes, as for {@link LineFramer}.
 * @throws RangeError when `maxLineLength` is not an integer >= 1.
 */
export function parseDatagram(buf: Uint8Array, sink: PlaintextSink, maxLineLength: number = DEFAULT_MAX_LINE_LENGTH): void {
  const max = checkMaxLineLength(maxLineLength);
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const size = bytes.length;
  const parse = parserFor(sink);
  let pos = 0;
  while (pos < size) {
    let nl = bytes.indexOf(NEWLINE, pos);
    if (nl < 0) nl = size;
    if (nl - pos > max) {
      sink.bad("too_long", lineExcerpt(bytes, pos, pos + max, true));
    } else {
      parse(bytes, pos, nl, sink);
    }
    pos = nl + 1;
  }
}
