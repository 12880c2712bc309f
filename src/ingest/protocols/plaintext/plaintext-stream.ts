/**
 * One TCP connection of the plaintext protocol: the {@link LineFramer}, with
 * the connection's start held back until its first line is known not to be
 * an HTTP request.
 *
 * @module
 */
import type { StreamClose, StreamDecoder } from "../protocol.js";
import { HTTP_REQUEST, isHttpRequestLine } from "./http-request.js";
import { LineFramer } from "./line-framer.js";
import type { PlaintextSink } from "./plaintext-parser.js";

/** The bounds of the plaintext protocol, read from the configuration when a connection opens. */
export interface PlaintextLimits {
  /** Longest accepted line in bytes, not counting the `\n`. */
  readonly maxLineLength: number;
}

/** How much of a connection's start is held back to recognise an HTTP request line. */
const SNIFF_BYTES = 8192;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

export class PlaintextStream implements StreamDecoder {
  readonly #framer: LineFramer;
  /** The start of the connection, held until its first line is known; null once it is. */
  #head: Buffer | null = EMPTY;

  constructor(sink: PlaintextSink, limits: PlaintextLimits) {
    this.#framer = new LineFramer(sink, { maxLineLength: limits.maxLineLength });
  }

  push(chunk: Buffer): StreamClose | null {
    if (this.#head === null) {
      this.#framer.push(chunk);
      return null;
    }
    const head = this.#head.length === 0 ? chunk : Buffer.concat([this.#head, chunk]);
    const nl = head.indexOf(NEWLINE);
    if (nl < 0 && head.length < SNIFF_BYTES) {
      this.#head = head;
      return null;
    }
    const first = head.toString("latin1", 0, nl < 0 ? Math.min(head.length, 200) : Math.min(nl, 200));
    this.#head = null;
    if (nl >= 0 && isHttpRequestLine(first)) {
      return { reason: HTTP_REQUEST, message: "HTTP request on the Carbon port; closing the connection", detail: { line: first.trimEnd() } };
    }
    this.#framer.push(head);
    return null;
  }

  /** The sender closed its side: its last line is complete even without a newline. */
  end(): void {
    if (this.#head !== null && this.#head.length > 0) this.#framer.push(this.#head);
    this.#head = null;
    this.#framer.end();
  }

  get pendingBytes(): number {
    return (this.#head?.length ?? 0) + this.#framer.pendingBytes;
  }
}
